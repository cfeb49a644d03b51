import { writeSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Open segment files at most (the process's descriptor limit is shared with every SSH socket). */
export const DEFAULT_MAX_OPEN_FILES = 4096;
export const DEFAULT_STALE_ROUNDS = 64;

interface OpenFile {
  handle: FileHandle;
  /** The round (flush) it was last written in. */
  round: number;
}

/**
 * The segment files being appended, kept open between flushes: a flush is then one write per file instead
 * of open + append + close. At most `maxOpen` descriptors; past that, the least recently written file is
 * closed (and reopened when it is written again) — but only when that file has not been written for
 * `staleRounds` rounds (flushes). Every flush writes the same files in the same order, so with more files
 * than the bound plain LRU would close each file just before it is needed again (a cyclic scan defeats
 * LRU: every write would reopen). Instead the open set stays as it is and a file that finds no free
 * descriptor is written with open + write + close; files of stopped VMs age out and free their slots. A file is cut back to whole rows when it is opened, so a row torn
 * by a crash in the middle of a write never shifts the rows appended after it.
 */
export class AppendFiles {
  /** In least- to most-recently-used order (Map keeps insertion order; a use re-inserts). */
  private readonly files = new Map<string, OpenFile>();
  private closing = new Set<Promise<void>>();
  /** Descriptors opened (for the tests and the benchmark: reuse shows as few opens). */
  opens = 0;
  /** Torn rows cut on open. */
  cuts = 0;
  /** Files written with open + write + close because every open one was in use in this round. */
  transient = 0;
  private round = 0;
  /** Descriptors being opened (they count against the bound already). */
  private opening = 0;

  constructor(
    readonly maxOpen: number = DEFAULT_MAX_OPEN_FILES,
    /** Rounds without a write after which a file's descriptor may go to another file (10-minute buckets are written every 40 flushes of 15 s). */
    readonly staleRounds: number = DEFAULT_STALE_ROUNDS,
  ) {
    if (!Number.isInteger(maxOpen) || maxOpen < 1) throw new Error('maxOpen must be a whole number ≥ 1');
  }

  get size(): number {
    return this.files.size;
  }

  isOpen(path: string): boolean {
    return this.files.has(path);
  }

  /** A new round of writes begins (the store calls this at each flush). */
  nextRound(): void {
    this.round++;
  }

  /** Appends `data` (whole rows of `rowBytes`) to `path`, creating it (mode 0600) when missing. */
  async append(path: string, data: Buffer, rowBytes: number): Promise<void> {
    let file = this.files.get(path);
    if (file) {
      this.files.delete(path);
      this.files.set(path, file);
    } else {
      if (this.files.size + this.opening >= this.maxOpen) {
        const [oldestPath, oldest] = this.files.entries().next().value ?? [];
        if (!oldestPath || !oldest || oldest.round > this.round - this.staleRounds) {
          await this.writeOnce(path, data, rowBytes);
          return;
        }
        void this.closeEntry(oldestPath, oldest);
      }
      this.opening++;
      let handle: FileHandle;
      try {
        handle = await this.openForAppend(path, rowBytes);
      } finally {
        this.opening--;
      }
      file = { handle, round: this.round };
      // Another append to the same path may have opened it while this one waited.
      const raced = this.files.get(path);
      if (raced) {
        await file.handle.close();
        file = raced;
        this.files.delete(path);
      }
      this.files.set(path, file);
      this.evict();
    }
    const entry = file;
    entry.round = this.round;
    try {
      writeAll(entry.handle.fd, data);
    } catch (error) {
      // A failed write may have left part of a row: close, so the next append reopens and cuts it.
      if (this.files.get(path) === entry) await this.closeEntry(path, entry);
      throw error;
    }
  }

  private async writeOnce(path: string, data: Buffer, rowBytes: number): Promise<void> {
    const handle = await this.openForAppend(path, rowBytes);
    this.transient++;
    try {
      writeAll(handle.fd, data);
    } finally {
      await handle.close();
    }
  }

  private async openForAppend(path: string, rowBytes: number): Promise<FileHandle> {
    const handle = await open(path, 'a', 0o600);
    this.opens++;
    try {
      const { size } = await handle.stat();
      const torn = size % rowBytes;
      if (torn !== 0) {
        await handle.truncate(size - torn);
        this.cuts++;
      }
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error;
    }
    return handle;
  }

  private evict(): void {
    while (this.files.size > this.maxOpen) {
      const oldest = this.files.keys().next().value;
      if (oldest === undefined) return;
      const entry = this.files.get(oldest);
      if (entry) void this.closeEntry(oldest, entry);
    }
  }

  private closeEntry(path: string, entry: OpenFile): Promise<void> {
    if (this.files.get(path) === entry) this.files.delete(path);
    const done = entry.handle.close().catch(() => undefined);
    this.closing.add(done);
    void done.then(() => this.closing.delete(done));
    return done;
  }

  /** Closes one file (before it is deleted, or when its period has rotated out). */
  async close(path: string): Promise<void> {
    const entry = this.files.get(path);
    if (entry) await this.closeEntry(path, entry);
  }

  /** Closes every open file of one directory whose path `keep` rejects (all of them without `keep`). */
  async closeIn(dir: string, keep?: (path: string) => boolean): Promise<void> {
    const closing: Promise<void>[] = [];
    for (const [path, entry] of this.files) {
      if (dirname(path) === dir && !keep?.(path)) closing.push(this.closeEntry(path, entry));
    }
    await Promise.all(closing);
  }

  /** Closes everything (the store is being disposed). */
  async closeAll(): Promise<void> {
    await Promise.all([...this.files].map(([path, entry]) => this.closeEntry(path, entry)));
    await Promise.all([...this.closing]);
  }
}

/**
 * One flush's rows for one file, written at once. Synchronously: a few hundred bytes into the page cache
 * take microseconds, while a round trip through libuv's thread pool per file costs tens of microseconds of
 * CPU (the store yields to the event loop between slices of files, so a flush never blocks it for long).
 */
function writeAll(fd: number, data: Buffer): void {
  let offset = 0;
  while (offset < data.length) offset += writeSync(fd, data, offset, data.length - offset);
}
