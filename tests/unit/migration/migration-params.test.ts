import { describe, expect, it } from 'vitest';
import type { MigrationOptions } from '../../../preload/api-contract';
import { tp } from '../../../main/libvirt/client/typed-params';
import {
  MIGRATE,
  chooseRoute,
  commonParams,
  destinationFlags,
  migrationFlags,
  migrationStats,
  nbdPortFromCookie,
  parseMigrationUri,
  replaceString,
  secondsLeft,
  sourceFlags,
  tcpUri,
} from '../../../main/services/migration/migration-params';
import { defaultOptions, disksToCopy, guestFacts } from '../../../main/services/migration/migration-plan';

const base: MigrationOptions = {
  mode: 'live',
  copyStorage: 'none',
  disks: [],
  persistDest: true,
  undefineSource: true,
  compression: false,
  bandwidthMiBs: null,
  maxDowntimeMs: null,
  autoConverge: false,
  postCopy: false,
  route: 'auto',
  peerUri: null,
};
const running = { active: true, paused: false, copyDisks: [] as string[] };

describe('migration flags', () => {
  it('live with persist and undefine, as virsh migrate --live --persistent --undefinesource', () => {
    expect(migrationFlags(base, running)).toBe(MIGRATE.LIVE | MIGRATE.PERSIST_DEST | MIGRATE.UNDEFINE_SOURCE | MIGRATE.ABORT_ON_ERROR);
  });
  it('storage copy: full = NON_SHARED_DISK, incremental = NON_SHARED_INC, only with disks to copy', () => {
    const ctx = { ...running, copyDisks: ['vda'] };
    expect(migrationFlags({ ...base, copyStorage: 'full' }, ctx) & MIGRATE.NON_SHARED_DISK).toBeTruthy();
    expect(migrationFlags({ ...base, copyStorage: 'incremental' }, ctx) & MIGRATE.NON_SHARED_INC).toBeTruthy();
    expect(migrationFlags({ ...base, copyStorage: 'incremental' }, ctx) & MIGRATE.NON_SHARED_DISK).toBe(0);
    expect(migrationFlags({ ...base, copyStorage: 'full' }, running) & (MIGRATE.NON_SHARED_DISK | MIGRATE.NON_SHARED_INC)).toBe(0);
  });
  it('compression, auto-converge, post-copy, peer-to-peer; a paused guest stays paused', () => {
    const f = migrationFlags({ ...base, compression: true, autoConverge: true, postCopy: true, route: 'peer2peer' }, { ...running, paused: true });
    for (const bit of [MIGRATE.COMPRESSED, MIGRATE.AUTO_CONVERGE, MIGRATE.POSTCOPY, MIGRATE.PEER2PEER, MIGRATE.PAUSED]) expect(f & bit).toBe(bit);
  });
  it('UNSAFE only for a live migration leaving disks that were verified to be the same file on both hosts', () => {
    expect(migrationFlags(base, { ...running, verifiedSharedDisks: true }) & MIGRATE.UNSAFE).toBe(MIGRATE.UNSAFE);
    expect(migrationFlags(base, running) & MIGRATE.UNSAFE).toBe(0);
  });
  it('offline (or a shut-off guest): OFFLINE + PERSIST_DEST, never LIVE or a storage copy', () => {
    const f = migrationFlags({ ...base, mode: 'offline', persistDest: false, copyStorage: 'full' }, { active: false, paused: false, copyDisks: ['vda'] });
    expect(f & MIGRATE.OFFLINE).toBe(MIGRATE.OFFLINE);
    expect(f & MIGRATE.PERSIST_DEST).toBe(MIGRATE.PERSIST_DEST);
    expect(f & (MIGRATE.LIVE | MIGRATE.NON_SHARED_DISK)).toBe(0);
  });
  it('the source adds CHANGE_PROTECTION; the destination drops ABORT_ON_ERROR and AUTO_CONVERGE (virDomainMigrateVersion3Full)', () => {
    const f = migrationFlags({ ...base, autoConverge: true }, running);
    expect(sourceFlags(f)).toBe(f | MIGRATE.CHANGE_PROTECTION);
    expect(destinationFlags(f) & (MIGRATE.ABORT_ON_ERROR | MIGRATE.AUTO_CONVERGE)).toBe(0);
    expect(destinationFlags(f) & MIGRATE.LIVE).toBe(MIGRATE.LIVE);
  });
});

describe('migration parameters', () => {
  it('repeats migrate_disks per disk, bandwidth as ullong MiB/s, xbzrle compression', () => {
    const opts = { ...base, copyStorage: 'full' as const, bandwidthMiBs: 100, compression: true };
    const flags = migrationFlags(opts, { ...running, copyDisks: ['vda', 'vdb'] });
    expect(commonParams(opts, ['vda', 'vdb'], flags)).toEqual([
      tp.string('migrate_disks', 'vda'),
      tp.string('migrate_disks', 'vdb'),
      tp.ullong('bandwidth', 100n),
      tp.string('compression', 'xbzrle'),
    ]);
  });
  it('no disks without a storage copy flag; replaceString replaces, keeping repeated other keys', () => {
    expect(commonParams(base, ['vda'], migrationFlags(base, running))).toEqual([]);
    const params = [tp.string('migrate_disks', 'vda'), tp.string('migrate_disks', 'vdb'), tp.string('migrate_uri', 'tcp:a:1')];
    expect(replaceString(params, 'migrate_uri', 'tcp://127.0.0.1:5')).toEqual([
      tp.string('migrate_disks', 'vda'),
      tp.string('migrate_disks', 'vdb'),
      tp.string('migrate_uri', 'tcp://127.0.0.1:5'),
    ]);
  });
  it('parses the URIs Prepare returns, and finds the NBD port in its cookie', () => {
    expect(parseMigrationUri('tcp:virtdeck-lab-b:49216')).toEqual({ host: 'virtdeck-lab-b', port: 49216 });
    expect(parseMigrationUri('tcp://10.250.72.2:49217')).toEqual({ host: '10.250.72.2', port: 49217 });
    expect(parseMigrationUri('tcp:[fe80::1]:49152')).toEqual({ host: 'fe80::1', port: 49152 });
    expect(parseMigrationUri('unix:///run/x.sock')).toBeNull();
    expect(tcpUri('::1', 5)).toBe('tcp://[::1]:5');
    const cookie = Buffer.from("<qemu-migration>\n  <name>g</name>\n  <nbd port='49218'>\n    <disk target='vda' capacity='1'/>\n  </nbd>\n</qemu-migration>\n\0");
    expect(nbdPortFromCookie(cookie)).toBe(49218);
    expect(nbdPortFromCookie(Buffer.from('<qemu-migration/>'))).toBeNull();
  });
});

describe('job statistics and route choice', () => {
  it('turns libvirt job stats into progress with a phase and time left', () => {
    const stats = migrationStats(
      [
        tp.ullong('data_processed', 100n),
        tp.ullong('data_remaining', 300n),
        tp.ullong('data_total', 400n),
        tp.ullong('memory_bps', 60n),
        tp.ullong('disk_bps', 40n),
        tp.ullong('memory_dirty_rate', 7n),
        tp.ullong('memory_iteration', 2n),
        tp.ullong('time_elapsed', 1500n),
        tp.ullong('downtime', 30n),
      ],
      false,
    );
    expect(stats).toMatchObject({ phase: 'memory', dataProcessed: 100, dataRemaining: 300, bytesPerSecond: 100, dirtyPagesPerSecond: 7, elapsedMs: 1500, expectedDowntimeMs: 30, iteration: 2 });
    expect(secondsLeft(stats)).toBe(3);
    expect(migrationStats([tp.ullong('disk_total', 10n), tp.ullong('disk_remaining', 5n)], false).phase).toBe('storage');
    expect(migrationStats([], true).phase).toBe('postcopy');
    expect(secondsLeft(migrationStats([], false))).toBeNull();
  });
  it('auto: direct when the probe connected, relayed when refused or unknown; a forced route wins', () => {
    expect(chooseRoute('auto', { reachable: true, target: 'b:1', detail: '' })).toEqual({ route: 'direct', reason: { key: 'route.reachable', values: { target: 'b:1' } } });
    expect(chooseRoute('auto', { reachable: false, target: 'b:1', detail: 'Connection refused' }).route).toBe('relayed');
    expect(chooseRoute('auto', { reachable: null, target: 'b', detail: 'no python3' })).toEqual({ route: 'relayed', reason: { key: 'route.unknown', values: { detail: 'no python3' } } });
    expect(chooseRoute('direct', { reachable: false, target: 'b:1', detail: '' })).toEqual({ route: 'direct', reason: { key: 'route.forced.direct' } });
  });
});

describe('the guest as the plan sees it', () => {
  const xml = `<domain type='qemu'><name>g</name><uuid>eebc9c33-68c7-434f-a0fb-6cc770818fe8</uuid>
    <memory unit='MiB'>256</memory><currentMemory unit='MiB'>192</currentMemory>
    <os><type arch='x86_64' machine='pc-i440fx-7.2'>hvm</type></os>
    <cpu mode='custom' match='exact'><model fallback='forbid'>qemu64</model></cpu>
    <devices>
      <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/d/g.qcow2'/><target dev='vda'/></disk>
      <disk type='file' device='cdrom'><source file='/iso/x.iso'/><target dev='sda'/><readonly/></disk>
      <interface type='network'><source network='default'/></interface>
      <interface type='bridge'><source bridge='br0'/></interface>
    </devices></domain>`;
  it('reads CPU, machine, memory, networks, bridges and disks', () => {
    const facts = guestFacts(xml);
    expect(facts).toMatchObject({ name: 'g', virtType: 'qemu', arch: 'x86_64', machine: 'pc-i440fx-7.2', memoryBytes: 192 * 1048576, networks: ['default'], bridges: ['br0'] });
    expect(facts.cpuXml).toContain('qemu64');
    expect(facts.disks).toEqual([
      { target: 'vda', device: 'disk', source: '/d/g.qcow2', format: 'qcow2', copyable: true },
      { target: 'sda', device: 'cdrom', source: '/iso/x.iso', format: null, copyable: false },
    ]);
  });
  it('defaults to a live full copy of unshared disks; chosen disks must exist', () => {
    const disks = guestFacts(xml).disks.map((d) => ({ ...d, shared: false, pool: null, sizeBytes: null }));
    const opts = defaultOptions(true, disks);
    expect(opts).toMatchObject({ mode: 'live', copyStorage: 'full', disks: ['vda'], persistDest: true, undefineSource: true });
    expect(disksToCopy({ ...opts, disks: [] }, disks)).toEqual(['vda']);
    expect(() => disksToCopy({ ...opts, disks: ['vdz'] }, disks)).toThrow(/no disk vdz/);
    expect(disksToCopy({ ...opts, copyStorage: 'none' }, disks)).toEqual([]);
    expect(defaultOptions(true, disks.map((d) => ({ ...d, shared: true })))).toMatchObject({ copyStorage: 'none', disks: [] });
  });
});
