import type { ProcedureInfo } from '../protocol';
import type { CallOptions, RpcStream, StreamCallOptions } from '../rpc';

/**
 * What an object module needs of the client: a call, and a stream call. The LibvirtClient provides it
 * (waiting for the connection, never re-sending a call that was written); the object modules stay thin.
 */
export interface LibvirtRpcCore {
  call<A, R>(info: ProcedureInfo<A, R, unknown>, args: A, options?: CallOptions): Promise<R>;
  openStream<A, R>(
    info: ProcedureInfo<A, R, unknown>,
    args: A,
    options: StreamCallOptions,
  ): Promise<{ stream: RpcStream; reply: R }>;
}
