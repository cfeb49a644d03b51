import { describe, expect, it } from 'vitest';
import {
  MANIFEST_FORMAT,
  chainOf,
  dependentsOf,
  guestDirectory,
  parseManifest,
  readManifests,
  toEntry,
  type BackupManifest,
} from '../../../main/services/domain-backups/manifest';
import type { HostShell } from '../../../main/services/domain-backups/host-shell';

const manifest = (over: Partial<BackupManifest>): BackupManifest => ({
  format: MANIFEST_FORMAT,
  kind: 'full',
  vm: { name: 'web1', uuid: 'u1' },
  createdAt: 1,
  completedAt: 2,
  checkpoint: null,
  parent: null,
  startedPaused: false,
  chained: true,
  disks: [{ target: 'vda', file: '/b/web1/f/vda.qcow2', sizeBytes: 100, virtualBytes: 1000 }],
  domainXml: '<domain/>',
  ...over,
});

describe('backup manifests', () => {
  it('parses only VirtDeck manifests', () => {
    expect(parseManifest(JSON.stringify(manifest({})))).toMatchObject({ kind: 'full' });
    expect(parseManifest('{"format":"other"}')).toBeNull();
    expect(parseManifest('not json')).toBeNull();
  });

  it('finds chains, dependents and restorability', () => {
    const all = new Map<string, BackupManifest>([
      ['/b/f', manifest({ checkpoint: 'c1' })],
      ['/b/i1', manifest({ kind: 'incremental', parent: '/b/f', checkpoint: 'c2', createdAt: 3 })],
      ['/b/i2', manifest({ kind: 'incremental', parent: '/b/i1', checkpoint: 'c3', createdAt: 4, chained: false })],
      ['/b/orphan', manifest({ kind: 'incremental', parent: '/b/gone' })],
    ]);
    expect(chainOf('/b/i2', all)).toEqual(['/b/f', '/b/i1', '/b/i2']);
    expect(chainOf('/b/orphan', all)).toBeNull();
    expect(dependentsOf('/b/f', all)).toEqual(['/b/i1', '/b/i2']);
    const checkpoints = new Set(['c1', 'c2']);
    expect(toEntry('/b/i1', all.get('/b/i1') as BackupManifest, checkpoints, all)).toMatchObject({ restorable: true, checkpointExists: true, totalBytes: 100 });
    expect(toEntry('/b/i2', all.get('/b/i2') as BackupManifest, checkpoints, all)).toMatchObject({ restorable: false, checkpointExists: false });
    expect(toEntry('/b/orphan', all.get('/b/orphan') as BackupManifest, checkpoints, all).restorable).toBe(false);
  });

  it('reads every manifest under the bases with one command, quoted, oldest first', async () => {
    const commands: string[] = [];
    const shell: HostShell = {
      run: async (command) => {
        commands.push(command);
        return {
          code: 0,
          stderr: '',
          stdout: `\n==> /b/web1/2/virtdeck-backup.json\n${JSON.stringify(manifest({ createdAt: 5 }))}\n==> /b/web1/1/virtdeck-backup.json\n${JSON.stringify(manifest({ createdAt: 1 }))}\n==> /b/web1/x/virtdeck-backup.json\ngarbage`,
        };
      },
    };
    const found = await readManifests(shell, ['/b', "/it's"], 'web1');
    expect(found.map((f) => f.directory)).toEqual(['/b/web1/1', '/b/web1/2']);
    expect(commands).toHaveLength(1);
    expect(commands[0]).toContain(`'/it'\\''s/web1'/*/virtdeck-backup.json`);
    expect(guestDirectory('/b/', 'a b')).toBe('/b/a_b');
  });
});
