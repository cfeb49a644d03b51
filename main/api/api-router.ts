import type { z } from 'zod';
import {
  API_CALL_NAMES,
  API_EVENT_NAMES,
  API_STREAM_KINDS,
  type ApiCallName,
  type ApiEventName,
  type ApiEvents,
  type ApiRequest,
  type ApiResponse,
  type ApiResult,
  type ApiStreamKind,
  type ApiStreamParams,
} from '../../preload/api-contract';
import { ApiFailure, toApiError } from '../services/api-failure';
import type { ApiEventBus } from './event-bus';
import type { ByteStreamPeer } from '../services/byte-stream-peer';

/** One call handler: a schema for its request (untrusted input) and the function that serves it. */
export interface CallHandler<K extends ApiCallName> {
  request: z.ZodType<ApiRequest<K>>;
  handle(request: ApiRequest<K>): Promise<ApiResponse<K>>;
}

export type CallHandlers = { [K in ApiCallName]: CallHandler<K> };

/** The handlers of one area's calls (`AreaCallHandlers<HostsCalls>`): each area's file under main/api/ returns one. */
export type AreaCallHandlers<C> = { [K in keyof C & ApiCallName]: CallHandler<K> };

/** One stream handler: a schema for its open parameters and the function that serves the stream. */
export interface StreamHandler<K extends ApiStreamKind> {
  params: z.ZodType<ApiStreamParams<K>>;
  /** Validates that the stream can open (throw ApiFailure if not), then serves it on `peer`. */
  open(params: ApiStreamParams<K>, peer: ByteStreamPeer): Promise<void>;
}

export type StreamHandlers = { [K in ApiStreamKind]?: StreamHandler<K> };

/** The handlers of one area's streams. */
export type AreaStreamHandlers<S> = { [K in keyof S & ApiStreamKind]: StreamHandler<K> };

const callNames: ReadonlySet<string> = new Set(API_CALL_NAMES);
const eventNames: ReadonlySet<string> = new Set(API_EVENT_NAMES);
const streamKinds: ReadonlySet<string> = new Set(API_STREAM_KINDS);

function isCallName(name: string): name is ApiCallName {
  return callNames.has(name);
}
export function isEventName(name: string): name is ApiEventName {
  return eventNames.has(name);
}
function isStreamKind(kind: string): kind is ApiStreamKind {
  return streamKinds.has(kind);
}

function parseOrFail<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.join('.') : undefined;
  const message = `Invalid ${what}${field ? ` (${field})` : ''}: ${issue?.message ?? 'does not match the schema'}`;
  throw new ApiFailure('invalid-request', message, field === undefined ? {} : { field });
}

/**
 * The one entry point both transports use. It checks names against the contract, validates every
 * request with the handler's schema, and turns whatever happens into an ApiResult — transports never
 * see exceptions.
 */
export class ApiRouter {
  constructor(
    private readonly calls: CallHandlers,
    private readonly streams: StreamHandlers,
    readonly events: ApiEventBus,
  ) {}

  async call(name: string, request: unknown): Promise<ApiResult<unknown>> {
    try {
      if (!isCallName(name)) throw new ApiFailure('unknown-channel', `Unknown call "${name}"`);
      return { ok: true, value: await this.dispatch(name, request) };
    } catch (thrown) {
      return { ok: false, error: toApiError(thrown) };
    }
  }

  private async dispatch<K extends ApiCallName>(name: K, request: unknown): Promise<ApiResponse<K>> {
    const handler: CallHandler<K> = this.calls[name];
    const valid = parseOrFail(handler.request, request, `request for ${name}`);
    return handler.handle(valid);
  }

  /** Subscribes a transport to an event by (untrusted) name; throws ApiFailure for unknown names. */
  subscribe(name: string, listener: (payload: ApiEvents[ApiEventName]) => void): () => void {
    if (!isEventName(name)) throw new ApiFailure('unknown-channel', `Unknown event "${name}"`);
    return this.events.subscribe(name, listener);
  }

  /** Opens a stream by (untrusted) kind and params; the transport supplies the peer. */
  async openStream(kind: string, params: unknown, peer: ByteStreamPeer): Promise<ApiResult<null>> {
    try {
      if (!isStreamKind(kind)) throw new ApiFailure('unknown-channel', `Unknown stream kind "${kind}"`);
      await this.openKnownStream(kind, params, peer);
      return { ok: true, value: null };
    } catch (thrown) {
      return { ok: false, error: toApiError(thrown) };
    }
  }

  private async openKnownStream<K extends ApiStreamKind>(kind: K, params: unknown, peer: ByteStreamPeer) {
    const handler = this.streams[kind] as StreamHandler<K> | undefined;
    if (!handler) throw new ApiFailure('unknown-channel', `No handler serves stream kind "${kind}" yet`);
    await handler.open(parseOrFail(handler.params, params, `parameters for stream ${kind}`), peer);
  }
}
