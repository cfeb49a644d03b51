/**
 * The libvirt RPC engine: framing, calls, events, keepalive and streams over any Node Duplex.
 * See connection.ts for the behaviour and stream.ts for the stream backpressure policy.
 */
export {
  RpcConnection,
  type RpcConnectionOptions,
  type RpcConnectionEvents,
  type RpcMessage,
  type CallOptions,
  type StreamCallOptions,
  type CloseInfo,
} from './connection';
export {
  RpcStream,
  isStreamHole,
  DEFAULT_STREAM_BUFFER_BYTES,
  type StreamHole,
  type StreamMode,
  type RpcStreamOptions,
} from './stream';
export { Keepalive, DEFAULT_KEEPALIVE, type KeepaliveOptions } from './keepalive';
export {
  FrameDecoder,
  decodeFrame,
  encodeFrame,
  encodeRawFrame,
  MessageType,
  MessageStatus,
  MIN_FRAME_SIZE,
  MAX_FRAME_SIZE,
  HEADER_SIZE,
  type DecodedFrame,
} from './frame';
export {
  LibvirtError,
  ConnectionClosedError,
  CallTimeoutError,
  CallAbortedError,
  ProtocolError,
  StreamOverflowError,
  isLibvirtError,
  type CloseReason,
} from './errors';
