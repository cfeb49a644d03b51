/**
 * Each host's own libvirt RELAX NG schemas (/usr/share/libvirt/schemas/*.rng), read once over the host's
 * SFTP channel (or from this computer's disk for the local-socket host), compiled by salve and cached per
 * libvirt version: in memory, and as salve's compiled JSON in a cache directory so later sessions skip
 * both the transfer and the compilation.
 */
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SFTPWrapper } from 'ssh2';
import type { DomainXmlSchemaInfo } from '../../../preload/api-contract';
import { ApiFailure } from '../api-failure';
import { writeFileAtomic } from '../../platform/atomic-file';
import { convertRNGToPattern, readTreeFromJSON, writeTreeToJSON } from './salve';
import { DomainSchema } from './domain-schema';

export const LIBVIRT_SCHEMA_DIR = '/usr/share/libvirt/schemas';
const CACHE_FORMAT = 1;
const MAX_SCHEMA_BYTES = 8 * 1024 * 1024;

/** What SFTP is opened on: the host's SshConnection (its one shared SFTP channel). */
export interface SftpSource {
  sftp(): Promise<SFTPWrapper>;
}

/** What a host's schemas are read from: its SSH connection, or this computer (null). */
export interface SchemaHost {
  ssh: SftpSource | null;
  libvirtVersion: string;
}

/** Reads every *.rng file of a schema directory, by file name. */
export async function readSchemaFiles(ssh: SftpSource | null, dir = LIBVIRT_SCHEMA_DIR): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const missing = (reason: string) =>
    new ApiFailure(
      'not-found',
      `The host's libvirt schemas could not be read from ${dir} (${reason}); completion and schema checks are off, libvirt still validates on Apply`,
    );
  if (!ssh) {
    let names: string[];
    try {
      names = (await readdir(dir)).filter((name) => name.endsWith('.rng'));
    } catch (error) {
      throw missing(error instanceof Error ? error.message : String(error));
    }
    for (const name of names) files.set(name, await readFile(join(dir, name), 'utf8'));
  } else {
    let sftp: SFTPWrapper;
    try {
      sftp = await ssh.sftp();
    } catch (error) {
      throw missing(`SFTP: ${error instanceof Error ? error.message : String(error)}`);
    }
    const entries = await new Promise<string[]>((resolve, reject) =>
      sftp.readdir(dir, (error, list) => (error ? reject(missing(error.message)) : resolve(list.map((e) => e.filename)))),
    );
    const names = entries.filter((name) => name.endsWith('.rng')).sort();
    await Promise.all(
      names.map(
        (name) =>
          new Promise<void>((resolve, reject) =>
            sftp.readFile(`${dir}/${name}`, (error, data) => {
              if (error) reject(missing(`${name}: ${error.message}`));
              else {
                files.set(name, data.toString('utf8'));
                resolve();
              }
            }),
          ),
      ),
    );
  }
  let total = 0;
  for (const text of files.values()) total += text.length;
  if (!files.has('domain.rng')) throw missing('no domain.rng');
  if (total > MAX_SCHEMA_BYTES) throw missing('the schema files are implausibly large');
  return files;
}

/** Compiles domain.rng (with its includes, resolved among `files`) to salve's JSON form. */
export async function compileDomainSchema(files: Map<string, string>): Promise<string> {
  const base = 'file:///libvirt-schemas/';
  const loader = {
    load: async (url: URL) => {
      const name = url.href.startsWith(base) ? url.href.slice(base.length) : '';
      const text = files.get(name);
      if (text === undefined) throw new Error(`The schema includes ${url.href}, which the host does not have`);
      return { url, getText: async () => text };
    },
  };
  const result = await convertRNGToPattern(new URL(`${base}domain.rng`), {
    resourceLoader: loader,
    createManifest: false,
    manifestHashAlgorithm: 'SHA-1',
    idCheck: false,
  });
  return writeTreeToJSON(result.simplified, 3);
}

export interface LoadedSchema {
  schema: DomainSchema;
  info: DomainXmlSchemaInfo;
}

/** Per libvirt version: the compiled schema, loaded once (concurrent callers share the load). */
export class DomainSchemaCache {
  private readonly memory = new Map<string, Promise<LoadedSchema>>();

  /** `cacheDir` null: memory only (tests). */
  constructor(private readonly cacheDir: string | null) {}

  get(host: SchemaHost): Promise<LoadedSchema> {
    const key = host.libvirtVersion;
    let loading = this.memory.get(key);
    if (!loading) {
      loading = this.load(host);
      this.memory.set(key, loading);
      loading.catch(() => this.memory.delete(key));
    }
    return loading;
  }

  private cacheFile(version: string): string | null {
    if (!this.cacheDir) return null;
    return join(this.cacheDir, `domain-${version.replace(/[^\w.-]/g, '_')}.v${CACHE_FORMAT}.json`);
  }

  private async load(host: SchemaHost): Promise<LoadedSchema> {
    const started = Date.now();
    const file = this.cacheFile(host.libvirtVersion);
    if (file) {
      const cached = await readFile(file, 'utf8').catch(() => null);
      if (cached) {
        try {
          const parsed = JSON.parse(cached) as { files: number; grammar: string };
          return {
            schema: new DomainSchema(readTreeFromJSON(parsed.grammar), host.libvirtVersion),
            info: { libvirtVersion: host.libvirtVersion, source: 'cache', files: parsed.files, loadMs: Date.now() - started },
          };
        } catch {
          // a damaged cache file is rebuilt from the host below
        }
      }
    }
    const files = await readSchemaFiles(host.ssh);
    const grammar = await compileDomainSchema(files);
    if (file && this.cacheDir) {
      await mkdir(this.cacheDir, { recursive: true, mode: 0o700 });
      await writeFileAtomic(file, JSON.stringify({ files: files.size, grammar }));
    }
    return {
      schema: new DomainSchema(readTreeFromJSON(grammar), host.libvirtVersion),
      info: { libvirtVersion: host.libvirtVersion, source: 'host', files: files.size, loadMs: Date.now() - started },
    };
  }
}
