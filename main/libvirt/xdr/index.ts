export { XdrError, isXdrError, type XdrErrorCode } from './errors';
export { XdrReader, type XdrReaderOptions } from './reader';
export { XdrWriter } from './writer';
export { xdrVoid, xdrEncode, xdrDecode, type XdrCodec, type XdrValue, type XdrDecodeOptions } from './codec';
export type {
  XdrSchema,
  XdrSchemaEntry,
  XdrTypeDescription,
  XdrTypeRef,
  XdrUnionArm,
  XdrPrimitive,
} from './schema';
