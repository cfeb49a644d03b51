/**
 * Typed facade over the generated libvirt protocol tables (main/libvirt/protocol/generated).
 *
 * - Types and codecs: everything from the generated modules is re-exported (`RemoteNonnullDomain`,
 *   `encodeRemoteNonnullDomain`, `RemoteNonnullDomainCodec`, `REMOTE_PROGRAM`, ...).
 * - Procedure lookup by program + number (`lookupProcedure`) or by name (`remoteProcedures.X`).
 * - Event lookup: event ID → MESSAGE procedure and back (`eventForMessage`).
 * - libvirt API constants: `virDomainState.VIR_DOMAIN_RUNNING`, ... (libvirt-constants.gen).
 *
 * Framing a CALL into one buffer (length word counts itself):
 *
 *   const w = new XdrWriter();
 *   w.writeUint(0);
 *   encodeVirNetMessageHeader(w, { prog: REMOTE_PROGRAM, vers: 1, proc: p.proc, type: 0, serial, status: 0 });
 *   p.args.encode(w, args);
 *   w.patchUint(0, w.length);
 *   socket.write(w.toBytes());
 */
import type { XdrCodec, XdrValue } from '../xdr/codec';
import type { EventFamilyInfo, EventIdInfo, ProcedureInfo } from './procedure';
import { eventFamilies } from './generated/remote-events.gen';
import { KEEPALIVE_PROGRAM, keepaliveProcedures } from './generated/keepalive-protocol.gen';
import { LXC_PROGRAM, lxcProcedures } from './generated/lxc-protocol.gen';
import { QEMU_PROGRAM, qemuProcedures } from './generated/qemu-protocol.gen';
import { REMOTE_PROGRAM, remoteProcedures } from './generated/remote-protocol.gen';

export * from './procedure';
export * from './generated/virnet-protocol.gen';
export * from './generated/keepalive-protocol.gen';
export * from './generated/remote-protocol.gen';
export * from './generated/qemu-protocol.gen';
export * from './generated/lxc-protocol.gen';
export * from './generated/remote-events.gen';
export * from './generated/libvirt-constants.gen';

/** Payload types of a procedure table entry: `ProcArgs<typeof remoteProcedures.REMOTE_PROC_CONNECT_OPEN>`. */
export type ProcArgs<P extends { readonly args: XdrCodec<unknown> }> = XdrValue<P['args']>;
export type ProcRet<P extends { readonly ret: XdrCodec<unknown> }> = XdrValue<P['ret']>;
export type ProcMsg<P extends { readonly msg: XdrCodec<unknown> }> = XdrValue<P['msg']>;

/** Names of the programs this client knows, by program number. */
export const PROGRAM_NAMES: ReadonlyMap<number, string> = new Map([
  [REMOTE_PROGRAM, 'REMOTE'],
  [QEMU_PROGRAM, 'QEMU'],
  [LXC_PROGRAM, 'LXC'],
  [KEEPALIVE_PROGRAM, 'KEEPALIVE'],
]);

type Table = Readonly<Record<string, ProcedureInfo>>;

function index(table: Table): ReadonlyMap<number, ProcedureInfo> {
  const m = new Map<number, ProcedureInfo>();
  for (const p of Object.values(table)) m.set(p.proc, p);
  return m;
}

const byProgram: ReadonlyMap<number, ReadonlyMap<number, ProcedureInfo>> = new Map([
  [REMOTE_PROGRAM, index(remoteProcedures)],
  [QEMU_PROGRAM, index(qemuProcedures)],
  [LXC_PROGRAM, index(lxcProcedures)],
  [KEEPALIVE_PROGRAM, index(keepaliveProcedures)],
]);

/** The procedure `proc` of program `program`, or undefined if unknown (e.g. newer than this table). */
export function lookupProcedure(program: number, proc: number): ProcedureInfo | undefined {
  return byProgram.get(program)?.get(proc);
}

/** All procedures of a program, in procedure-number order. */
export function listProcedures(program: number): readonly ProcedureInfo[] {
  const m = byProgram.get(program);
  return m ? [...m.values()].sort((a, b) => a.proc - b.proc) : [];
}

export interface EventLookup {
  readonly family: EventFamilyInfo;
  readonly event: EventIdInfo;
  /** True when `proc` is the legacy form (sent to clients that used the legacy register calls). */
  readonly legacy: boolean;
}

const eventsByProc = new Map<number, EventLookup>();
for (const family of eventFamilies) {
  for (const event of family.events) {
    eventsByProc.set(event.proc, { family, event, legacy: false });
    if (event.legacyProc !== null) eventsByProc.set(event.legacyProc, { family, event, legacy: true });
  }
}

/** Which event a REMOTE_PROGRAM MESSAGE procedure carries (undefined for non-event procedures). */
export function eventForMessage(proc: number): EventLookup | undefined {
  return eventsByProc.get(proc);
}

/** The event info for `eventId` of a family, e.g. `eventInfo(domainEvents, 0)` (lifecycle). */
export function eventInfo(family: EventFamilyInfo, eventId: number): EventIdInfo | undefined {
  return family.events[eventId];
}

/**
 * ORs flag values into an `unsigned int`. JS `|` yields a signed 32-bit result, so
 * `VIR_CONNECT_GET_ALL_DOMAINS_STATS_ENFORCE_STATS | x` would be negative and rejected by the
 * XDR writer; this keeps it unsigned.
 */
export function combineFlags(...flags: readonly number[]): number {
  let v = 0;
  for (const f of flags) v |= f;
  return v >>> 0;
}

/** Reverse lookup in a generated const-enum object: `enumName(virDomainState, 1)` → 'VIR_DOMAIN_RUNNING'. */
export function enumName(
  enumObject: Readonly<Record<string, number | bigint>>,
  value: number | bigint,
): string | undefined {
  let names = enumNames.get(enumObject);
  if (!names) {
    // The first name per value, as the search over the entries in order found it.
    names = new Map();
    for (const [k, v] of Object.entries(enumObject)) if (!names.has(v)) names.set(v, k);
    enumNames.set(enumObject, names);
  }
  return names.get(value);
}

/**
 * Value → name per enum object, made on first use: the stats tick names every guest's state through
 * here (before, a search over the enum's entries, an array per entry, per guest per tick).
 * The enum objects are the generated constants, never changed, so the map never goes stale.
 */
const enumNames = new WeakMap<object, Map<number | bigint, string>>();

/**
 * Text of an rpcgen `char` array (e.g. `remote_node_get_info_ret.model`, security labels): the
 * bytes up to the first NUL, decoded as UTF-8. Values 128..255 and -128..-1 are the same byte.
 */
export function cString(chars: readonly number[]): string {
  const bytes: number[] = [];
  for (const c of chars) {
    if (c === 0) break;
    bytes.push(c & 0xff);
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}
