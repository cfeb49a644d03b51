import { z } from 'zod';

/** Request pieces many areas share. Every request is untrusted input: it is parsed before any handler sees it. */
export const noRequest = z.null();
export const hostId = z.string().min(1);
export const domainUuid = z.string().regex(/^[0-9a-f-]{36}$/i, 'is not a UUID');
export const hostRef = z.object({ hostId });
export const domainRef = z.object({ hostId, uuid: domainUuid });
