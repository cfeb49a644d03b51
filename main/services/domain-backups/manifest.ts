/**
 * The manifest VirtDeck writes beside a finished backup (`virtdeck-backup.json`): the guest's definition,
 * the checkpoint made with it, its parent backup, the disk files with sizes, and when it was made. A
 * backup directory without one is unfinished (or not VirtDeck's) and is never listed or restored.
 */
import { z } from 'zod';
import type { BackupEntry } from '../../../preload/api-contract';
import { checkHostPath, runOk, shellQuote, type HostShell } from './host-shell';

export const MANIFEST_NAME = 'virtdeck-backup.json';
export const MANIFEST_FORMAT = 'virtdeck-backup/1';

const manifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  kind: z.enum(['full', 'incremental']),
  vm: z.object({ name: z.string(), uuid: z.string() }),
  createdAt: z.number(),
  completedAt: z.number(),
  checkpoint: z.string().nullable(),
  parent: z.string().nullable(),
  startedPaused: z.boolean(),
  /** qemu-img rebased the incremental files onto the parent's: the chain reads on its own. */
  chained: z.boolean(),
  disks: z.array(z.object({ target: z.string(), file: z.string(), sizeBytes: z.number(), virtualBytes: z.number() })),
  domainXml: z.string(),
});

export type BackupManifest = z.infer<typeof manifestSchema>;

/** The manifest in a directory's listing, or null when it is not one of ours. */
export function parseManifest(text: string): BackupManifest | null {
  try {
    const parsed = manifestSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Where a guest's backups live under a base directory. */
export function guestDirectory(base: string, vmName: string): string {
  return `${checkHostPath(base)}/${vmName.replace(/[^A-Za-z0-9._-]/g, '_')}`;
}

/**
 * Reads every manifest under `<base>/<guest>/*` for each base, in one command: each file is printed
 * after a line `==> <path>` (its directory identifies the backup).
 */
export async function readManifests(shell: HostShell, bases: readonly string[], vmName: string): Promise<Array<{ directory: string; manifest: BackupManifest }>> {
  if (bases.length === 0) return [];
  const globs = bases.map((base) => `${shellQuote(guestDirectory(base, vmName))}/*/${MANIFEST_NAME}`).join(' ');
  const out = await runOk(shell, `for f in ${globs}; do [ -f "$f" ] || continue; printf '\\n==> %s\\n' "$f"; cat "$f"; done`, 'Reading the backup manifests');
  const found: Array<{ directory: string; manifest: BackupManifest }> = [];
  const seen = new Set<string>();
  for (const part of out.split('\n==> ').slice(1)) {
    const newline = part.indexOf('\n');
    if (newline < 0) continue;
    const path = part.slice(0, newline);
    const manifest = parseManifest(part.slice(newline + 1));
    const directory = path.slice(0, path.length - MANIFEST_NAME.length - 1);
    if (!manifest || seen.has(directory)) continue;
    seen.add(directory);
    found.push({ directory, manifest });
  }
  return found.sort((a, b) => a.manifest.createdAt - b.manifest.createdAt);
}

/** Writes a manifest (to a temporary name first, so a reader never sees half of one). */
export async function writeManifest(shell: HostShell, directory: string, manifest: BackupManifest): Promise<void> {
  const path = `${directory}/${MANIFEST_NAME}`;
  await runOk(shell, `cat > ${shellQuote(`${path}.tmp`)} && mv -f ${shellQuote(`${path}.tmp`)} ${shellQuote(path)}`, 'Writing the backup manifest', {
    stdin: JSON.stringify(manifest),
  });
}

/** The backups a backup's restore reads, full first; null when one of them is missing. */
export function chainOf(directory: string, byDirectory: ReadonlyMap<string, BackupManifest>): string[] | null {
  const chain: string[] = [];
  let current: string | null = directory;
  while (current !== null) {
    if (chain.includes(current)) return null;
    const manifest = byDirectory.get(current);
    if (!manifest) return null;
    chain.unshift(current);
    current = manifest.kind === 'full' ? null : manifest.parent;
  }
  return chain;
}

/** The backups that build on `directory` (its incremental descendants). */
export function dependentsOf(directory: string, byDirectory: ReadonlyMap<string, BackupManifest>): string[] {
  const out: string[] = [];
  const queue = [directory];
  while (queue.length > 0) {
    const parent = queue.shift() as string;
    for (const [dir, manifest] of byDirectory) {
      if (manifest.parent === parent && !out.includes(dir) && dir !== directory) {
        out.push(dir);
        queue.push(dir);
      }
    }
  }
  return out;
}

export function toEntry(directory: string, manifest: BackupManifest, checkpoints: ReadonlySet<string>, byDirectory: ReadonlyMap<string, BackupManifest>): BackupEntry {
  const chain = chainOf(directory, byDirectory);
  return {
    directory,
    kind: manifest.kind,
    vmName: manifest.vm.name,
    vmUuid: manifest.vm.uuid,
    createdAt: manifest.createdAt,
    completedAt: manifest.completedAt,
    checkpoint: manifest.checkpoint,
    checkpointExists: manifest.checkpoint !== null && checkpoints.has(manifest.checkpoint),
    parent: manifest.parent,
    disks: manifest.disks.map((d) => ({ ...d })),
    totalBytes: manifest.disks.reduce((sum, d) => sum + d.sizeBytes, 0),
    startedPaused: manifest.startedPaused,
    restorable: chain !== null && chain.every((dir) => (byDirectory.get(dir)?.kind === 'full' ? true : byDirectory.get(dir)?.chained === true)),
  };
}
