import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { HostDraft, HostEntry } from '../../../preload/api-contract';
import { ApiFailure } from '../api-failure';
import { writeFileAtomic } from '../../platform/atomic-file';
import { hostsFileSchema } from './host-schema';

/**
 * The user's saved hosts: `hosts.json` in the config directory, written atomically. Holds no secrets:
 * passwords and passphrases are asked for when needed and kept in memory only.
 */
export class HostStore {
  private hosts: HostEntry[] | null = null;
  /** Serialises changes so that two quick edits cannot interleave their read-modify-write. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly configDir: string) {}

  get filePath(): string {
    return join(this.configDir, 'hosts.json');
  }

  async list(): Promise<HostEntry[]> {
    return structuredClone(await this.load());
  }

  add(draft: HostDraft): Promise<HostEntry> {
    return this.change((hosts) => {
      this.assertUniqueName(hosts, draft.displayName);
      const entry: HostEntry = { ...structuredClone(draft), id: randomUUID() };
      return { hosts: [...hosts, entry], result: entry };
    });
  }

  update(entry: HostEntry): Promise<HostEntry> {
    return this.change((hosts) => {
      const index = hosts.findIndex((h) => h.id === entry.id);
      if (index < 0) throw new ApiFailure('not-found', `No saved host has id ${entry.id}`);
      this.assertUniqueName(hosts, entry.displayName, entry.id);
      const next = [...hosts];
      next[index] = structuredClone(entry);
      return { hosts: next, result: entry };
    });
  }

  remove(hostId: string): Promise<null> {
    return this.change((hosts) => {
      if (!hosts.some((h) => h.id === hostId)) throw new ApiFailure('not-found', `No saved host has id ${hostId}`);
      return { hosts: hosts.filter((h) => h.id !== hostId), result: null };
    });
  }

  private assertUniqueName(hosts: HostEntry[], name: string, exceptId?: string): void {
    const clash = hosts.find((h) => h.id !== exceptId && h.displayName.toLowerCase() === name.toLowerCase());
    if (clash) throw new ApiFailure('conflict', `A host named "${clash.displayName}" already exists`, { field: 'displayName' });
  }

  private change<T>(mutate: (hosts: HostEntry[]) => { hosts: HostEntry[]; result: T }): Promise<T> {
    const run = this.queue.then(async () => {
      const { hosts, result } = mutate(await this.load());
      await writeFileAtomic(this.filePath, `${JSON.stringify({ version: 1, hosts }, null, 2)}\n`);
      this.hosts = hosts; // only after the write succeeded: a failed write changes nothing
      return result;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async load(): Promise<HostEntry[]> {
    if (this.hosts) return this.hosts;
    let text: string;
    try {
      text = await readFile(this.filePath, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return (this.hosts = []);
      throw new ApiFailure('io', `Cannot read ${this.filePath}: ${(error as Error).message}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new ApiFailure('io', `${this.filePath} is not valid JSON (${(error as Error).message}); fix or remove it`);
    }
    const parsed = hostsFileSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ApiFailure('io', `${this.filePath} is not a VirtDeck hosts file: ${issue?.path.join('.')} ${issue?.message}`);
    }
    return (this.hosts = parsed.data.hosts);
  }
}
