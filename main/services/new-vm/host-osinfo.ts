/**
 * The host's own osinfo-db: the XML files under <db>/os/<vendor>/*.xml, read over the host's SFTP
 * channel (or from this computer's disk for the local host), parsed into OS records. A host without
 * one gets the built-in list, and the wizard says why.
 */
import { readdir, readFile } from 'node:fs/promises';
import type { SFTPWrapper } from 'ssh2';
import { BUILTIN_OSES } from './builtin-oses';
import { OsCatalog, parseOsinfoXml, type OsRecord } from './os-catalog';

/** Where osinfo-db lives: the distro's database, then libosinfo's older system location. */
export const OSINFO_DIRS = ['/usr/share/osinfo', '/usr/share/osinfo-db', '/usr/share/libosinfo/db'];
const MAX_FILES = 5000;
const MAX_TOTAL_BYTES = 64 * 1024 * 1024;
const PARALLEL_READS = 32;

export interface SftpSource {
  sftp(): Promise<SFTPWrapper>;
}

export type CatalogSource =
  | { kind: 'host'; path: string; version: string | null; catalog: OsCatalog; skipped: number }
  | { kind: 'built-in'; reason: string; catalog: OsCatalog };

/** File access on the host (SFTP) or here (null). */
export interface Files {
  list(dir: string): Promise<Array<{ name: string; directory: boolean }>>;
  read(path: string): Promise<string>;
}

function sftpFiles(sftp: SFTPWrapper): Files {
  return {
    list: (dir) =>
      new Promise((resolve, reject) =>
        sftp.readdir(dir, (error, entries) =>
          error
            ? reject(error)
            : resolve(entries.map((e) => ({ name: e.filename, directory: (e.attrs.mode & 0o170000) === 0o040000 }))),
        ),
      ),
    read: (path) =>
      new Promise((resolve, reject) => sftp.readFile(path, (error, data) => (error ? reject(error) : resolve(data.toString('utf8'))))),
  };
}

export const localFiles: Files = {
  list: async (dir) => (await readdir(dir, { withFileTypes: true })).map((e) => ({ name: e.name, directory: e.isDirectory() })),
  read: (path) => readFile(path, 'utf8'),
};

async function mapLimited<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Reads and parses one osinfo-db directory; null when it has no os/ tree. */
export async function readOsinfoDir(files: Files, dir: string): Promise<{ version: string | null; records: OsRecord[]; skipped: number } | null> {
  let vendors: Array<{ name: string; directory: boolean }>;
  try {
    vendors = (await files.list(`${dir}/os`)).filter((e) => e.directory);
  } catch {
    return null;
  }
  const paths = (
    await mapLimited(vendors, PARALLEL_READS, async (vendor) => {
      const entries = await files.list(`${dir}/os/${vendor.name}`).catch(() => []);
      return entries.filter((e) => !e.directory && e.name.endsWith('.xml')).map((e) => `${dir}/os/${vendor.name}/${e.name}`);
    })
  )
    .flat()
    .sort();
  if (paths.length === 0) return null;
  if (paths.length > MAX_FILES) throw new Error(`${dir} holds ${paths.length} OS files, more than the ${MAX_FILES} the wizard reads`);
  let total = 0;
  let skipped = 0;
  const records = (
    await mapLimited(paths, PARALLEL_READS, async (path) => {
      const xml = await files.read(path);
      total += xml.length;
      if (total > MAX_TOTAL_BYTES) throw new Error(`${dir} is implausibly large (more than ${MAX_TOTAL_BYTES} bytes)`);
      try {
        return parseOsinfoXml(xml);
      } catch {
        skipped++; // one malformed file costs its entry, not the catalogue
        return [];
      }
    })
  ).flat();
  const version = (await files.read(`${dir}/VERSION`).catch(() => '')).trim() || null;
  return { version, records, skipped };
}

/** The host's osinfo-db as a catalogue, or the built-in list with the reason. */
export async function loadOsCatalog(ssh: SftpSource | null, dirs: readonly string[] = OSINFO_DIRS): Promise<CatalogSource> {
  let files: Files;
  try {
    files = ssh ? sftpFiles(await ssh.sftp()) : localFiles;
  } catch (error) {
    return { kind: 'built-in', reason: `SFTP: ${error instanceof Error ? error.message : String(error)}`, catalog: new OsCatalog(BUILTIN_OSES) };
  }
  for (const dir of dirs) {
    try {
      const found = await readOsinfoDir(files, dir);
      if (found && found.records.length > 0) {
        return { kind: 'host', path: dir, version: found.version, catalog: new OsCatalog(found.records), skipped: found.skipped };
      }
    } catch (error) {
      return {
        kind: 'built-in',
        reason: `${dir}: ${error instanceof Error ? error.message : String(error)}`,
        catalog: new OsCatalog(BUILTIN_OSES),
      };
    }
  }
  return { kind: 'built-in', reason: `no osinfo-db on the host (looked in ${dirs.join(', ')})`, catalog: new OsCatalog(BUILTIN_OSES) };
}
