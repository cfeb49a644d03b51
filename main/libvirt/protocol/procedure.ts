/**
 * Shapes of the generated procedure and event tables (hand-written; the generated files import
 * these types and the small factory below).
 */
import type { XdrCodec } from '../xdr/codec';
import { xdrVoid } from '../xdr/codec';

/**
 * Stream annotation of a procedure, from the client's point of view: `read` = data flows from the
 * daemon to the client (`@readstream`), `write` = client to daemon (`@writestream`).
 *
 * Recorded exactly as annotated in the .x file. Note that REMOTE_PROC_DOMAIN_OPEN_CONSOLE and
 * REMOTE_PROC_DOMAIN_OPEN_CHANNEL are annotated `@readstream` but are bidirectional in practice
 * (the client also sends STREAM packets with keyboard input); the stream layer must allow that.
 */
export type StreamDirection = 'none' | 'read' | 'write' | 'both';
export type ProcedureKind = 'call' | 'message';
export type ProcedurePriority = 'low' | 'high';

export interface ProcedureInfo<A = unknown, R = unknown, M = unknown> {
  readonly program: number;
  readonly version: number;
  readonly proc: number;
  /** Enum member name, e.g. `REMOTE_PROC_CONNECT_OPEN`. */
  readonly name: string;
  /** `call`: client CALL → daemon REPLY. `message`: asynchronous MESSAGE (events, keepalive). */
  readonly kind: ProcedureKind;
  /** CALL payload (`*_args`); void when absent and for messages. */
  readonly args: XdrCodec<A>;
  /** REPLY payload (`*_ret`) when status is OK; void when absent and for messages. */
  readonly ret: XdrCodec<R>;
  /** MESSAGE payload (`*_msg`); void for calls. */
  readonly msg: XdrCodec<M>;
  readonly stream: StreamDirection;
  /** `@readstream: N` / `@writestream: N` parameter position, null when not annotated. */
  readonly readStream: number | null;
  readonly writeStream: number | null;
  /** `@sparseflag`: the flag that enables STREAM_HOLE packets, e.g. VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM. */
  readonly sparseFlag: string | null;
  /** `@priority` (libvirt's default is low: the call may block on the hypervisor monitor). */
  readonly priority: ProcedurePriority;
  /** `@generate` (none|client|server|both) — which side libvirt generates stubs for. */
  readonly generate: string | null;
  /** `@acl` rules, verbatim. */
  readonly acl: readonly string[];
  /** `@aclfilter` rules, verbatim. */
  readonly aclFilter: readonly string[];
}

/** The procedure annotations as written in the .x file (all optional). */
export interface ProcedureAnnotations {
  readonly generate?: string;
  readonly priority?: ProcedurePriority;
  readonly readStream?: number;
  readonly writeStream?: number;
  readonly sparseFlag?: string;
  readonly acl?: readonly string[];
  readonly aclFilter?: readonly string[];
}

function fill(
  a: ProcedureAnnotations,
): Pick<
  ProcedureInfo,
  'stream' | 'readStream' | 'writeStream' | 'sparseFlag' | 'priority' | 'generate' | 'acl' | 'aclFilter'
> {
  const readStream = a.readStream ?? null;
  const writeStream = a.writeStream ?? null;
  return {
    stream:
      readStream !== null && writeStream !== null
        ? 'both'
        : readStream !== null
          ? 'read'
          : writeStream !== null
            ? 'write'
            : 'none',
    readStream,
    writeStream,
    sparseFlag: a.sparseFlag ?? null,
    priority: a.priority ?? 'low',
    generate: a.generate ?? null,
    acl: a.acl ?? [],
    aclFilter: a.aclFilter ?? [],
  };
}

/** Used by the generated tables to build entries for one program. */
export function procedureFactory(program: number, version: number) {
  return {
    call<A, R>(
      proc: number,
      name: string,
      args: XdrCodec<A>,
      ret: XdrCodec<R>,
      annotations: ProcedureAnnotations = {},
    ): ProcedureInfo<A, R, void> {
      return Object.freeze({
        program,
        version,
        proc,
        name,
        kind: 'call',
        args,
        ret,
        msg: xdrVoid,
        ...fill(annotations),
      });
    },
    message<M>(
      proc: number,
      name: string,
      msg: XdrCodec<M>,
      annotations: ProcedureAnnotations = {},
    ): ProcedureInfo<void, void, M> {
      return Object.freeze({
        program,
        version,
        proc,
        name,
        kind: 'message',
        args: xdrVoid,
        ret: xdrVoid,
        msg,
        ...fill(annotations),
      });
    },
  };
}

/** One event ID of an event family and the MESSAGE procedure(s) the daemon sends for it. */
export interface EventIdInfo {
  /** Value of the event ID enum, e.g. 0 for VIR_DOMAIN_EVENT_ID_LIFECYCLE. */
  readonly eventId: number;
  /** Event ID enum member name. */
  readonly name: string;
  /** Procedure sent to clients that registered with the family's register procedure below. */
  readonly proc: number;
  readonly procName: string;
  /** XDR type of the message payload. */
  readonly msgType: string;
  /**
   * Procedure sent instead to clients that registered with the legacy domain APIs
   * (CONNECT_DOMAIN_EVENT_REGISTER / _REGISTER_ANY); null when the event has no legacy form.
   */
  readonly legacyProc: number | null;
  readonly legacyProcName: string | null;
}

export interface EventFamilyInfo {
  readonly family: 'domain' | 'network' | 'storagePool' | 'nodeDevice' | 'secret';
  /** The `*_REGISTER_ANY` procedure taking `{int eventID; <object> *obj}` and returning a callbackID. */
  readonly registerProc: number;
  readonly registerProcName: string;
  readonly deregisterProc: number;
  readonly deregisterProcName: string;
  /** Indexed by event ID (IDs are dense, starting at 0). */
  readonly events: readonly EventIdInfo[];
}
