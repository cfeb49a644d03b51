/**
 * Emits remote-events.gen.ts: for each event family, the REGISTER_ANY/DEREGISTER_ANY procedures
 * and the event ID → MESSAGE procedure map, taken from the daemon's relay tables
 * (remote_daemon_dispatch.c) and cross-checked against the client's table (remote_driver.c),
 * the procedure enum and the API XML event-ID enums.
 */
import type { ApiConstants } from './api-xml';
import { parseClientEventTable, parseDaemonEventTable } from './c-events';
import type { ProcedureModel } from './emit-protocol';

export interface EventFamilyConfig {
  readonly family: 'domain' | 'network' | 'storagePool' | 'nodeDevice' | 'secret';
  readonly exportName: string;
  /** Daemon table, e.g. `domainEventCallbacks`. */
  readonly daemonTable: string;
  /** Prefix of relay function names, e.g. `remoteRelayDomainEvent`. */
  readonly relayPrefix: string;
  /** Prefix of the event-ID enum members in the API XML, e.g. `VIR_DOMAIN_EVENT_ID_`. */
  readonly idPrefix: string;
  readonly idEnumType: string;
  readonly register: string;
  readonly deregister: string;
}

export const EVENT_FAMILIES: readonly EventFamilyConfig[] = [
  {
    family: 'domain',
    exportName: 'domainEvents',
    daemonTable: 'domainEventCallbacks',
    relayPrefix: 'remoteRelayDomainEvent',
    idPrefix: 'VIR_DOMAIN_EVENT_ID_',
    idEnumType: 'virDomainEventID',
    register: 'REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY',
    deregister: 'REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY',
  },
  {
    family: 'network',
    exportName: 'networkEvents',
    daemonTable: 'networkEventCallbacks',
    relayPrefix: 'remoteRelayNetworkEvent',
    idPrefix: 'VIR_NETWORK_EVENT_ID_',
    idEnumType: 'virNetworkEventID',
    register: 'REMOTE_PROC_CONNECT_NETWORK_EVENT_REGISTER_ANY',
    deregister: 'REMOTE_PROC_CONNECT_NETWORK_EVENT_DEREGISTER_ANY',
  },
  {
    family: 'storagePool',
    exportName: 'storagePoolEvents',
    daemonTable: 'storageEventCallbacks',
    relayPrefix: 'remoteRelayStoragePoolEvent',
    idPrefix: 'VIR_STORAGE_POOL_EVENT_ID_',
    idEnumType: 'virStoragePoolEventID',
    register: 'REMOTE_PROC_CONNECT_STORAGE_POOL_EVENT_REGISTER_ANY',
    deregister: 'REMOTE_PROC_CONNECT_STORAGE_POOL_EVENT_DEREGISTER_ANY',
  },
  {
    family: 'nodeDevice',
    exportName: 'nodeDeviceEvents',
    daemonTable: 'nodeDeviceEventCallbacks',
    relayPrefix: 'remoteRelayNodeDeviceEvent',
    idPrefix: 'VIR_NODE_DEVICE_EVENT_ID_',
    idEnumType: 'virNodeDeviceEventID',
    register: 'REMOTE_PROC_CONNECT_NODE_DEVICE_EVENT_REGISTER_ANY',
    deregister: 'REMOTE_PROC_CONNECT_NODE_DEVICE_EVENT_DEREGISTER_ANY',
  },
  {
    family: 'secret',
    exportName: 'secretEvents',
    daemonTable: 'secretEventCallbacks',
    relayPrefix: 'remoteRelaySecretEvent',
    idPrefix: 'VIR_SECRET_EVENT_ID_',
    idEnumType: 'virSecretEventID',
    register: 'REMOTE_PROC_CONNECT_SECRET_EVENT_REGISTER_ANY',
    deregister: 'REMOTE_PROC_CONNECT_SECRET_EVENT_DEREGISTER_ANY',
  },
];

const squash = (s: string): string => s.replace(/_/g, '').toUpperCase();

export function emitEvents(
  header: string,
  dispatchC: string,
  driverC: string,
  remoteProcs: readonly ProcedureModel[],
  otherProcs: readonly ProcedureModel[],
  api: ApiConstants,
): string {
  const byName = new Map(remoteProcs.map((p) => [p.name, p]));
  const proc = (name: string, where: string): ProcedureModel => {
    const p = byName.get(name);
    if (!p) throw new Error(`${where}: ${name} is not a remote procedure`);
    return p;
  };

  // Cross-check: every MESSAGE procedure the client handles exists with the same payload type,
  // and every generated message procedure is handled by the client.
  const client = [
    ...parseClientEventTable(driverC, 'remoteEvents'),
    ...parseClientEventTable(driverC, 'qemuEvents'),
  ];
  const all = new Map([...remoteProcs, ...otherProcs].map((p) => [p.name, p]));
  for (const e of client) {
    const p = all.get(e.proc);
    if (!p || p.kind !== 'message' || p.msg !== e.xdrType) {
      throw new Error(
        `remote_driver.c: ${e.proc} (${e.xdrType}) does not match the generated table (${p?.msg ?? 'missing'})`,
      );
    }
  }
  const clientSet = new Set(client.map((e) => e.proc));
  for (const p of [...remoteProcs, ...otherProcs]) {
    if (
      p.kind === 'message' &&
      p.name.includes('_PROC_') &&
      !p.name.startsWith('KEEPALIVE') &&
      !clientSet.has(p.name)
    ) {
      throw new Error(`remote_driver.c: message procedure ${p.name} is not in the client's event tables`);
    }
  }

  const out: string[] = [header, ''];
  out.push(`import type { EventFamilyInfo } from '../procedure';`, '');
  const families: string[] = [];
  for (const fam of EVENT_FAMILIES) {
    const where = `remote_daemon_dispatch.c ${fam.daemonTable}[]`;
    const relays = parseDaemonEventTable(dispatchC, fam.daemonTable);
    const ids = api.enums
      .filter((e) => e.type === fam.idEnumType && !e.name.endsWith('_LAST'))
      .sort((a, b) => (a.value < b.value ? -1 : 1));
    if (ids.length !== relays.length) {
      throw new Error(
        `${where}: ${relays.length} relay functions but ${ids.length} ${fam.idEnumType} values`,
      );
    }
    const reg = proc(fam.register, where);
    const dereg = proc(fam.deregister, where);
    out.push(`/** ${fam.family} events: ${fam.idEnumType} → MESSAGE procedure (${where}). */`);
    out.push(`export const ${fam.exportName}: EventFamilyInfo = {`);
    out.push(`  family: '${fam.family}',`);
    out.push(`  registerProc: ${reg.proc},`, `  registerProcName: '${reg.name}',`);
    out.push(`  deregisterProc: ${dereg.proc},`, `  deregisterProcName: '${dereg.name}',`);
    out.push('  events: [');
    relays.forEach((r, i) => {
      const id = ids[i];
      if (!id || id.value !== BigInt(i))
        throw new Error(`${where}: ${fam.idEnumType} values are not 0..${relays.length - 1}`);
      const idSuffix = id.name.slice(fam.idPrefix.length);
      const relaySuffix = r.relay.startsWith(fam.relayPrefix)
        ? r.relay.slice(fam.relayPrefix.length)
        : r.relay;
      if (squash(idSuffix) !== squash(relaySuffix)) {
        throw new Error(`${where}: entry ${i} is ${r.relay} but ${fam.idEnumType} ${i} is ${id.name}`);
      }
      const modernName = r.procs[r.procs.length - 1] as string;
      const modernType = r.xdrTypes[r.xdrTypes.length - 1] as string;
      const modern = proc(modernName, where);
      if (modern.kind !== 'message' || modern.msg !== modernType) {
        throw new Error(
          `${where}: ${r.relay} sends ${modernName} with ${modernType}, table has ${modern.msg ?? 'none'}`,
        );
      }
      let legacy: ProcedureModel | null = null;
      if (r.procs.length === 2) {
        legacy = proc(r.procs[0] as string, where);
        if (legacy.kind !== 'message' || legacy.msg !== r.xdrTypes[0]) {
          throw new Error(`${where}: ${r.relay} legacy ${legacy.name} payload mismatch`);
        }
      }
      out.push(
        `    { eventId: ${i}, name: '${id.name}', proc: ${modern.proc}, procName: '${modern.name}', msgType: '${modernType}', ` +
          `legacyProc: ${legacy ? legacy.proc : 'null'}, legacyProcName: ${legacy ? `'${legacy.name}'` : 'null'} },`,
      );
    });
    out.push('  ],', '};', '');
    families.push(fam.exportName);
  }
  out.push(`export const eventFamilies: readonly EventFamilyInfo[] = [${families.join(', ')}];`);
  return `${out.join('\n')}\n`;
}
