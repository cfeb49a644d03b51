import type { ApiError, StreamCloseInfo } from '../../preload/api-contract';

/**
 * The main-process end of a stream, as a transport hands it to a stream handler. The transport
 * (MessagePort in Electron, WebSocket in serve mode) implements it; handlers (consoles, screenshots)
 * only see this interface.
 */
export interface ByteStreamPeer {
  /** Sends bytes to the renderer. Returns false when the transport's buffer is above its high-water mark. */
  send(data: Uint8Array): boolean;
  /** Ends the stream from the main side; `error` says why when it was not a clean end. */
  close(error?: ApiError): void;
  /** Bytes from the renderer. */
  onData(listener: (data: Uint8Array) => void): void;
  /** The stream ended (either side). Called once. */
  onClose(listener: (info: StreamCloseInfo) => void): void;
  /** Called when a transport that returned false from send() can take more. */
  onDrain(listener: () => void): void;
}
