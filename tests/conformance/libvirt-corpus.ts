/**
 * libvirt's own schema-test corpus: the documents tests/virschematest.c checks against domain.rng,
 * read from the libvirt source tree that fetch-libvirt-corpus.sh extracts (never from the repository).
 *
 * The list of directories (and the file-name filters some entries have) is read from virschematest.c
 * itself, the same way that test walks them: every `*.xml` file not starting with a dot, directly in
 * each directory, filtered by the entry's regular expression when it has one.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../support/lab';

export const CORPUS_DIR = process.env.LIBVIRT_CORPUS_DIR ?? '/tmp/virtdeck-libvirt-corpus';
export const FETCH_SCRIPT = join(PROJECT_ROOT, 'tests', 'conformance', 'fetch-libvirt-corpus.sh');

export interface SchemaTestEntry {
  dir?: string;
  dirRegex?: string;
  file?: string;
}

export interface CorpusDocument {
  /** Path relative to the libvirt source tree, e.g. tests/qemuxml2argvdata/minimal.xml. */
  path: string;
  absolutePath: string;
  /** virschematest expects it to fail (its name ends in -invalid.xml). */
  expectInvalid: boolean;
}

export interface LibvirtCorpus {
  root: string;
  version: string;
  schemaDir: string;
  entries: SchemaTestEntry[];
  documents: CorpusDocument[];
}

/** The entries virschematest.c checks against `schema` (e.g. "domain.rng"). */
export function schemaTestEntries(virschematest: string, schema: string): SchemaTestEntry[] {
  const escaped = schema.replace(/\./g, '\\.');
  const use = new RegExp(`DO_TEST\\(\\s*SCHEMAS_PATH\\s*"${escaped}"\\s*,\\s*(\\w+)\\s*\\)`).exec(virschematest);
  if (!use) throw new Error(`virschematest.c does not test ${schema}`);
  const table = new RegExp(`testSchemaEntry\\s+${use[1]}\\[\\]\\s*=\\s*\\{([^;]*)\\};`).exec(virschematest);
  if (!table?.[1]) throw new Error(`virschematest.c has no table ${use[1]}`);
  const entries: SchemaTestEntry[] = [];
  for (const block of table[1].matchAll(/\{([^{}]*)\}/g)) {
    const entry: SchemaTestEntry = {};
    for (const field of (block[1] ?? '').matchAll(/\.\s*(dir|dirRegex|file)\s*=\s*"([^"]*)"/g)) {
      entry[field[1] as keyof SchemaTestEntry] = field[2] ?? '';
    }
    if (!entry.dir === !entry.file) throw new Error(`unexpected virschematest entry: ${block[0]}`);
    entries.push(entry);
  }
  if (entries.length === 0) throw new Error(`virschematest.c's ${use[1]} is empty`);
  return entries;
}

export function listDocuments(root: string, entries: readonly SchemaTestEntry[]): CorpusDocument[] {
  const documents: CorpusDocument[] = [];
  const add = (path: string) =>
    documents.push({ path, absolutePath: join(root, path), expectInvalid: path.endsWith('-invalid.xml') });
  for (const entry of entries) {
    if (entry.file) {
      add(entry.file);
      continue;
    }
    const dir = (entry.dir ?? '').replace(/\/+$/, '');
    // g_regex_match: an unanchored search, like RegExp.test.
    const filter = entry.dirRegex ? new RegExp(entry.dirRegex) : null;
    const names = readdirSync(join(root, dir))
      .filter((name) => name.endsWith('.xml') && !name.startsWith('.') && (!filter || filter.test(name)))
      .sort();
    for (const name of names) add(`${dir}/${name}`);
  }
  return documents;
}

export function loadCorpus(root: string): LibvirtCorpus {
  const version = readFileSync(join(root, '.virtdeck-complete'), 'utf8').trim();
  const entries = schemaTestEntries(readFileSync(join(root, 'tests', 'virschematest.c'), 'utf8'), 'domain.rng');
  return { root, version, schemaDir: join(root, 'src', 'conf', 'schemas'), entries, documents: listDocuments(root, entries) };
}

/** The corpus, fetched when missing; or why it cannot be had. */
export function ensureCorpus(): { corpus: LibvirtCorpus } | { unavailable: string } {
  const root = join(CORPUS_DIR, 'src');
  if (!existsSync(join(root, '.virtdeck-complete'))) {
    if (spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status !== 0) {
      return { unavailable: `libvirt's schema-test corpus is not at ${root} and apt-get is missing to fetch it (${FETCH_SCRIPT})` };
    }
    const fetched = spawnSync('sh', [FETCH_SCRIPT], {
      env: { ...process.env, LIBVIRT_CORPUS_DIR: CORPUS_DIR },
      encoding: 'utf8',
      timeout: 300_000,
    });
    if (fetched.status !== 0) {
      const why = `${fetched.stderr ?? ''}${fetched.stdout ?? ''}`.trim().split('\n').slice(-3).join(' / ');
      return { unavailable: `fetching libvirt's schema-test corpus failed (${FETCH_SCRIPT}): ${why || fetched.error?.message}` };
    }
  }
  return { corpus: loadCorpus(root) };
}
