/**
 * Pure parts of a migration: the flags and typed parameters each of libvirt's phases gets, the URIs
 * and cookie facts the relay needs, job statistics turned into progress, and the route choice.
 * Checked against libvirt 9.0 (include/libvirt/libvirt-domain.h, src/libvirt-domain.c
 * virDomainMigrateVersion3Full, src/qemu/qemu_migration.c).
 */
import type {
  MigrationMessage,
  MigrationOptions,
  MigrationRoute,
  MigrationStats,
} from '../../../preload/api-contract';
import { paramBigint, paramNumber, tp, type TypedParam } from '../../libvirt/client/typed-params';

/** virDomainMigrateFlags. */
export const MIGRATE = {
  LIVE: 1 << 0,
  PEER2PEER: 1 << 1,
  TUNNELLED: 1 << 2,
  PERSIST_DEST: 1 << 3,
  UNDEFINE_SOURCE: 1 << 4,
  PAUSED: 1 << 5,
  NON_SHARED_DISK: 1 << 6,
  NON_SHARED_INC: 1 << 7,
  CHANGE_PROTECTION: 1 << 8,
  UNSAFE: 1 << 9,
  OFFLINE: 1 << 10,
  COMPRESSED: 1 << 11,
  ABORT_ON_ERROR: 1 << 12,
  AUTO_CONVERGE: 1 << 13,
  POSTCOPY: 1 << 15,
} as const;

/** VIR_MIGRATE_PARAM_* names. */
export const PARAM = {
  URI: 'migrate_uri',
  DEST_NAME: 'destination_name',
  DEST_XML: 'destination_xml',
  BANDWIDTH: 'bandwidth',
  LISTEN_ADDRESS: 'listen_address',
  MIGRATE_DISKS: 'migrate_disks',
  DISKS_URI: 'disks_uri',
  COMPRESSION: 'compression',
} as const;

export interface FlagContext {
  /** The guest runs (or is paused) on the source. */
  active: boolean;
  /** It is paused: libvirt then adds VIR_MIGRATE_PAUSED so it stays paused on the destination. */
  paused: boolean;
  /** The disks to copy (targets), already resolved from the options. */
  copyDisks: readonly string[];
  /**
   * Disks not copied that VirtDeck found to be the same file on both hosts. libvirt trusts only the
   * filesystems it knows to be shared (NFS, GlusterFS, Ceph…) and refuses others as "unsafe"; the check
   * (same inode, size and mtime seen from both hosts) stands in for it, so the migration adds UNSAFE.
   */
  verifiedSharedDisks?: boolean;
}

/**
 * The flags for the whole migration (as the caller of virDomainMigrate3 would pass them). The source's
 * phases add CHANGE_PROTECTION ({@link sourceFlags}); the destination gets {@link destinationFlags}.
 */
export function migrationFlags(options: MigrationOptions, ctx: FlagContext): number {
  let flags = MIGRATE.ABORT_ON_ERROR;
  if (options.mode === 'offline' || !ctx.active) {
    // Only the definition moves: libvirt requires PERSIST_DEST and refuses storage copies.
    flags |= MIGRATE.OFFLINE | MIGRATE.PERSIST_DEST;
  } else {
    flags |= MIGRATE.LIVE;
    if (ctx.paused) flags |= MIGRATE.PAUSED;
    if (options.copyStorage !== 'none' && ctx.copyDisks.length > 0)
      flags |= options.copyStorage === 'incremental' ? MIGRATE.NON_SHARED_INC : MIGRATE.NON_SHARED_DISK;
    if (options.compression) flags |= MIGRATE.COMPRESSED;
    if (options.autoConverge) flags |= MIGRATE.AUTO_CONVERGE;
    if (options.postCopy) flags |= MIGRATE.POSTCOPY;
    if (ctx.verifiedSharedDisks) flags |= MIGRATE.UNSAFE;
  }
  if (options.persistDest) flags |= MIGRATE.PERSIST_DEST;
  if (options.undefineSource) flags |= MIGRATE.UNDEFINE_SOURCE;
  if (options.route === 'peer2peer') flags |= MIGRATE.PEER2PEER;
  return flags >>> 0;
}

/** What the source's phases (Begin, Perform, Confirm) get: libvirt's client adds CHANGE_PROTECTION. */
export function sourceFlags(flags: number): number {
  return (flags | MIGRATE.CHANGE_PROTECTION) >>> 0;
}

/** What the destination's phases (Prepare, Finish) get: without ABORT_ON_ERROR and AUTO_CONVERGE. */
export function destinationFlags(flags: number): number {
  return (flags & ~(MIGRATE.ABORT_ON_ERROR | MIGRATE.AUTO_CONVERGE)) >>> 0;
}

/** The parameters every phase shares: disks to copy, bandwidth, compression method. */
export function commonParams(options: MigrationOptions, copyDisks: readonly string[], flags: number): TypedParam[] {
  const params: TypedParam[] = [];
  if (flags & (MIGRATE.NON_SHARED_DISK | MIGRATE.NON_SHARED_INC))
    for (const disk of copyDisks) params.push(tp.string(PARAM.MIGRATE_DISKS, disk));
  if (options.bandwidthMiBs !== null && options.bandwidthMiBs > 0 && !(flags & MIGRATE.OFFLINE))
    params.push(tp.ullong(PARAM.BANDWIDTH, BigInt(Math.round(options.bandwidthMiBs))));
  if (flags & MIGRATE.COMPRESSED) params.push(tp.string(PARAM.COMPRESSION, 'xbzrle'));
  return params;
}

/** Replaces (or adds) a string parameter, as virTypedParamsReplaceString does. */
export function replaceString(params: readonly TypedParam[], field: string, value: string): TypedParam[] {
  return [...params.filter((p) => p.field !== field), tp.string(field, value)];
}

/** "tcp:host:port", "tcp://host:port", "tcp:[v6]:port" → host and port (null when it has none). */
export function parseMigrationUri(uri: string): { host: string; port: number } | null {
  const m = /^tcp:(?:\/\/)?(\[[^\]]+\]|[^:/]+):(\d+)\/?$/.exec(uri.trim());
  if (!m) return null;
  const host = (m[1] as string).replace(/^\[|\]$/g, '');
  const port = Number(m[2]);
  return port > 0 && port < 65536 ? { host, port } : null;
}

/** The NBD server port the destination put in its Prepare cookie (`<nbd port='N'>`), null without one. */
export function nbdPortFromCookie(cookie: Uint8Array): number | null {
  const text = Buffer.from(cookie).toString('utf8');
  const m = /<nbd\b[^>]*\bport=['"](\d+)['"]/.exec(text);
  return m ? Number(m[1]) : null;
}

/** A URI for a host and port ("tcp://127.0.0.1:4000", IPv6 in brackets). */
export function tcpUri(host: string, port: number): string {
  return `tcp://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

const num = (params: readonly TypedParam[], field: string): number | null => {
  const big = paramBigint(params, field);
  if (big !== undefined) return Number(big);
  return paramNumber(params, field) ?? null;
};

/** libvirt's job statistics (virDomainGetJobStats, VIR_DOMAIN_JOB_*) as progress. */
export function migrationStats(params: readonly TypedParam[], postcopy: boolean): MigrationStats {
  const memoryProcessed = num(params, 'memory_processed');
  const memoryTotal = num(params, 'memory_total');
  const diskTotal = num(params, 'disk_total');
  const diskRemaining = num(params, 'disk_remaining');
  const iteration = num(params, 'memory_iteration');
  const memoryBps = num(params, 'memory_bps');
  const diskBps = num(params, 'disk_bps');
  const dataRemaining = num(params, 'data_remaining');
  let phase: MigrationStats['phase'] = 'setup';
  if (postcopy) phase = 'postcopy';
  else if (iteration !== null && iteration > 0) phase = 'memory';
  else if (diskTotal !== null && diskTotal > 0 && (diskRemaining ?? 0) > 0) phase = 'storage';
  else if ((memoryProcessed ?? 0) > 0) phase = 'memory';
  return {
    phase,
    dataProcessed: num(params, 'data_processed'),
    dataRemaining,
    dataTotal: num(params, 'data_total'),
    memoryProcessed,
    memoryTotal,
    diskProcessed: num(params, 'disk_processed'),
    diskTotal,
    bytesPerSecond: memoryBps === null && diskBps === null ? null : (memoryBps ?? 0) + (diskBps ?? 0),
    dirtyPagesPerSecond: num(params, 'memory_dirty_rate'),
    pageSize: num(params, 'memory_page_size'),
    expectedDowntimeMs: num(params, 'downtime'),
    elapsedMs: num(params, 'time_elapsed'),
    iteration,
  };
}

/** Seconds left at the current rate (null when unknown). */
export function secondsLeft(stats: MigrationStats | null): number | null {
  if (!stats || stats.dataRemaining === null || !stats.bytesPerSecond) return null;
  return Math.ceil(stats.dataRemaining / stats.bytesPerSecond);
}

/**
 * The route: what the user forced, else direct when the source reached the destination's migration
 * address in the probe, relayed when it did not (or the probe could not say).
 */
export function chooseRoute(
  choice: MigrationOptions['route'],
  probe: { reachable: boolean | null; target: string; detail: string } | null,
): { route: MigrationRoute; reason: MigrationMessage } {
  if (choice !== 'auto') return { route: choice, reason: { key: `route.forced.${choice}` } };
  if (probe?.reachable === true) return { route: 'direct', reason: { key: 'route.reachable', values: { target: probe.target } } };
  if (probe?.reachable === false)
    return { route: 'relayed', reason: { key: 'route.unreachable', values: { target: probe.target, detail: probe.detail } } };
  return { route: 'relayed', reason: { key: 'route.unknown', values: { detail: probe?.detail ?? '' } } };
}
