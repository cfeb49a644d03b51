import { createHash } from 'node:crypto';
import type {
  HostConfigAnalysis,
  HostConfigBackup,
  HostConfigDaemon,
  HostConfigFile,
  HostConfigKey,
  HostConfigRestartReport,
  HostConfigSnapshot,
  HostConfigValue,
  HostEntry,
} from '../../../preload/api-contract';
import { ApiFailure } from '../api-failure';
import type { SshConnection } from '../../ssh';
import {
  commentedSettings,
  parseConf,
  parseExample,
  plainValue,
  serializeConf,
  setConfValue,
  type ConfDocument,
  type ConfEntryNode,
} from './conf-parser';
import { ruleNeeds, type RuleContext } from './conf-rules';
import { plainToConf, typeProblem, validateConf, type ConfDiagnostic } from './conf-validate';
import { FALLBACK_SCHEMAS } from './fallback-schema.gen';
import { parseLens, schemaKeys, type ConfSchema } from './lens-schema';
import {
  BACKUP_DIR,
  CAT_SCRIPT,
  DETACHED_SCRIPT,
  LIST_BACKUPS_SCRIPT,
  READ_SCRIPT,
  RESTART_SCRIPT,
  STATE_DIR,
  WRITE_SCRIPT,
} from './host-scripts';
import {
  applyFactFrames,
  FACTS_SCRIPT,
  mergeNeeds,
  missingItems,
  type FactNeeds,
  type HostFacts,
} from './host-facts';
import { parseFrames, RootShell, type SudoPasswordAsker } from './root-shell';

/** The files the editor may write: qemu.conf and the daemon's own configuration. */
export const EDITABLE_FILES = [
  '/etc/libvirt/qemu.conf',
  '/etc/libvirt/libvirtd.conf',
  '/etc/libvirt/virtqemud.conf',
] as const;
const BACKUP_NAME = /^(qemu|libvirtd|virtqemud)\.conf\.(\d{8}T\d{6}(?:\d{3})?Z)(-failed)?\.bak$/;

export interface HostConfigDeps {
  host(hostId: string): Promise<HostEntry>;
  /** A dedicated SSH connection for the editor: it must outlive libvirt restarts (the host link does not). */
  openSsh(host: HostEntry): Promise<SshConnection>;
  askSudoPassword(hostId: string): SudoPasswordAsker;
  forgetSudoPassword(hostId: string): void;
  /** Opens libvirt over `ssh` as the host's link would and returns its version (throws if it does not answer). */
  libvirtVersion(host: HostEntry, ssh: SshConnection): Promise<string>;
  now?: () => Date;
}

interface FileSchema {
  schema: ConfSchema;
  source: HostConfigFile['schemaSource'];
  lensPath: string | null;
}

interface HostSession {
  hostKey: string;
  ssh: SshConnection;
  shell: RootShell;
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** A timestamp usable in a file name, sortable: 20261126T071500123Z. */
function stamp(date: Date): string {
  return date.toISOString().replace(/[-:.]/g, '');
}

function stampToIso(value: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})?Z$/.exec(value);
  if (!m) return value;
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${m[7] ?? '000'}Z`;
}

function formValue(
  type: HostConfigKey['type'],
  node: ConfEntryNode,
  intPattern: string,
): HostConfigValue | null {
  if (typeProblem(type, node.value, intPattern)) return null;
  if (type === 'bool') return node.value.type === 'int' && node.value.value === 1;
  return plainValue(node.value);
}

/**
 * The host configuration editor: reads qemu.conf and the daemon's .conf as root, validates edits against
 * the host's own augeas lenses, writes atomically with backups, restarts the daemon and rolls back.
 */
export class HostConfigService {
  private readonly sessions = new Map<string, HostSession>();
  private readonly schemas = new Map<string, Map<string, FileSchema>>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly daemons = new Map<string, HostConfigDaemon>();
  /** What the rules learnt about each host (users, paths, …): kept while the editor is open, renewed by read(). */
  private readonly facts = new Map<string, HostFacts>();
  private readonly factQueues = new Map<string, Promise<unknown>>();
  /** The text of each file as VirtDeck last read or wrote it (what a restart would load). */
  private readonly texts = new Map<string, Map<string, string>>();

  constructor(private readonly deps: HostConfigDeps) {}

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  /** One operation at a time per host (a save must not race a restart). */
  private serial<T>(hostId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(hostId) ?? Promise.resolve();
    const next = previous.then(work, work);
    this.queues.set(
      hostId,
      next.catch(() => undefined),
    );
    return next;
  }

  private async session(hostId: string): Promise<HostSession> {
    const host = await this.deps.host(hostId);
    if (host.transport === 'local-socket') {
      throw new ApiFailure(
        'invalid-request',
        'The configuration editor works over SSH; this host is this computer’s local socket',
      );
    }
    const hostKey = JSON.stringify(host.ssh);
    let session = this.sessions.get(hostId);
    if (session && (session.hostKey !== hostKey || session.ssh.closed)) {
      this.drop(hostId);
      session = undefined;
    }
    if (!session) {
      const ssh = await this.deps.openSsh(host);
      const shell = new RootShell(
        ssh,
        { user: host.ssh.user, host: host.ssh.host },
        this.deps.askSudoPassword(hostId),
        () => this.deps.forgetSudoPassword(hostId),
      );
      session = { hostKey, ssh, shell };
      this.sessions.set(hostId, session);
    }
    return session;
  }

  private drop(hostId: string): void {
    // The SSH connection is the host's (the pool, shared with its link): it is not this editor's to close.
    this.sessions.delete(hostId);
  }

  /** Forgets a host (removed): its root shell, schemas, daemon and facts. */
  forget(hostId: string): void {
    this.drop(hostId);
    this.schemas.delete(hostId);
    this.daemons.delete(hostId);
    this.facts.delete(hostId);
    this.texts.delete(hostId);
  }

  // ---- host facts for the rules -------------------------------------------------------------------------

  /** The facts known about a host (null before the first read). */
  hostFacts(hostId: string): HostFacts | null {
    return this.facts.get(hostId) ?? null;
  }

  private ruleContext(hostId: string, path: string): Omit<RuleContext, 'facts'> {
    return {
      file: path.endsWith('/qemu.conf') ? 'qemu' : 'daemon',
      daemon: this.daemons.get(hostId)?.name ?? (path.endsWith('/virtqemud.conf') ? 'virtqemud' : 'libvirtd'),
      path,
    };
  }

  /**
   * Makes sure the facts the rules need are known: what is missing is asked in ONE script run (the
   * host-wide facts too, on the first run after read()); concurrent passes wait for each other.
   */
  private ensureFacts(hostId: string, needs: FactNeeds): Promise<HostFacts> {
    const previous = this.factQueues.get(hostId) ?? Promise.resolve();
    const next = previous.then(
      () => this.fetchFacts(hostId, needs),
      () => this.fetchFacts(hostId, needs),
    );
    this.factQueues.set(
      hostId,
      next.catch(() => undefined),
    );
    return next;
  }

  private async fetchFacts(hostId: string, needs: FactNeeds): Promise<HostFacts> {
    const known = this.facts.get(hostId) ?? null;
    const items = missingItems(known, needs);
    if (known && items.length === 0) return known;
    const { shell } = await this.session(hostId);
    const daemon = this.daemons.get(hostId)?.name ?? 'libvirtd';
    const result = await shell.run(FACTS_SCRIPT, [daemon, known ? '-' : 'static', ...items], {
      timeoutMs: 60_000,
    });
    const frames = parseFrames(result.stdout);
    if (!frames.some((f) => f.words[0] === 'end')) {
      throw new ApiFailure(
        'io',
        `Checking the host for the configuration rules failed: ${result.stderr.trim() || `exit ${result.code}`}`,
      );
    }
    const facts = applyFactFrames(known, items, frames);
    this.facts.set(hostId, facts);
    return facts;
  }

  /** Validates a file's text with the rules, asking the host for what they need first. */
  private async diagnose(
    hostId: string,
    path: string,
    schema: ConfSchema,
    doc: ConfDocument,
  ): Promise<ConfDiagnostic[]> {
    const ctx = this.ruleContext(hostId, path);
    const facts = await this.ensureFacts(hostId, ruleNeeds(doc, ctx));
    return validateConf(doc, schema, { ...ctx, facts });
  }

  async dispose(): Promise<void> {
    for (const hostId of [...this.sessions.keys()]) this.drop(hostId);
  }

  // ---- reading --------------------------------------------------------------------------------------

  read(hostId: string): Promise<HostConfigSnapshot> {
    return this.serial(hostId, async () => {
      const { shell } = await this.session(hostId);
      const result = await shell.run(READ_SCRIPT, [], { timeoutMs: 60_000 });
      const frames = parseFrames(result.stdout);
      if (!frames.some((f) => f.words[0] === 'end')) {
        throw new ApiFailure(
          'io',
          `Reading the configuration failed: ${result.stderr.trim() || `exit ${result.code}`}`,
        );
      }
      const daemonFrame = frames.find((f) => f.words[0] === 'daemon');
      const cmdline =
        frames
          .find((f) => f.words[0] === 'cmdline')
          ?.body?.toString('utf8')
          .trim() ?? null;
      const daemon: HostConfigDaemon = {
        name: daemonFrame?.words[1] === 'virtqemud' ? 'virtqemud' : 'libvirtd',
        pid: Number(daemonFrame?.words[2]) || null,
        manager:
          (['systemd', 'openrc', 'service', 'direct'] as const).find((m) => m === daemonFrame?.words[3]) ??
          'service',
        commandLine: cmdline,
      };
      this.daemons.set(hostId, daemon);
      const lenses: Array<{ path: string; schema: ConfSchema }> = [];
      for (const frame of frames.filter((f) => f.words[0] === 'lens')) {
        try {
          lenses.push({ path: frame.words[1] ?? '', schema: parseLens(frame.body?.toString('utf8') ?? '') });
        } catch {
          // a lens we cannot read: the built-in schema covers its file
        }
      }
      const schemas = new Map<string, FileSchema>();
      const files: HostConfigFile[] = [];
      for (const frame of frames.filter((f) => f.words[0] === 'file')) {
        const [, path = '', , owner = '', mode = '', names = '', hash = ''] = frame.words;
        const body = frame.body ?? Buffer.alloc(0);
        const text = body.toString('utf8');
        if (Buffer.compare(Buffer.from(text, 'utf8'), body) !== 0) {
          throw new ApiFailure('io', `${path} is not UTF-8 text; VirtDeck will not edit it`);
        }
        const schema = this.schemaFor(path, lenses);
        schemas.set(path, schema);
        files.push({
          path,
          role: path.endsWith('/qemu.conf') ? 'qemu' : 'daemon',
          text,
          sha256: hash || sha256(body),
          owner: names || owner,
          mode,
          schemaSource: schema.source,
          lensPath: schema.lensPath,
          groups: this.describe(schema.schema, parseConf(text)),
        });
      }
      if (!files.some((f) => f.role === 'qemu')) {
        throw new ApiFailure(
          'not-found',
          'This host has no /etc/libvirt/qemu.conf (is libvirt’s QEMU driver installed?)',
        );
      }
      this.schemas.set(hostId, schemas);
      this.texts.set(hostId, new Map(files.map((f) => [f.path, f.text])));
      // Fresh facts for this editor session, for everything both files need (one script run).
      this.facts.delete(hostId);
      await this.ensureFacts(
        hostId,
        mergeNeeds(...files.map((f) => ruleNeeds(parseConf(f.text), this.ruleContext(hostId, f.path)))),
      );
      const access = await (await this.session(hostId)).shell.mode();
      return { hostId, access, daemon, files };
    });
  }

  private schemaFor(path: string, lenses: Array<{ path: string; schema: ConfSchema }>): FileSchema {
    const own = lenses.find((l) => l.schema.files.includes(path));
    if (own) return { schema: own.schema, source: 'host-lens', lensPath: own.path };
    // virtqemud.conf takes the daemon options of libvirtd.conf.
    const module = path.endsWith('/qemu.conf') ? 'Libvirtd_qemu' : 'Libvirtd';
    const hostLens = path.endsWith('/virtqemud.conf')
      ? lenses.find((l) => l.schema.module === module)
      : undefined;
    if (hostLens) return { schema: hostLens.schema, source: 'host-lens', lensPath: hostLens.path };
    const builtIn = FALLBACK_SCHEMAS.find((s) => s.module === module);
    if (!builtIn) throw new Error(`internal: no built-in schema ${module}`);
    return { schema: builtIn, source: 'built-in', lensPath: null };
  }

  private describe(schema: ConfSchema, doc: ConfDocument): HostConfigFile['groups'] {
    const docs = commentedSettings(doc);
    return schema.groups.map((group) => ({
      name: group.name,
      keys: group.keys.map((key) => {
        const block = docs.get(key.key);
        const parsed = block ? parseExample(block.example) : null;
        let exampleValue: HostConfigValue | null = null;
        if (parsed && !typeProblem(key.type, parsed, schema.intPattern)) {
          exampleValue =
            key.type === 'bool' ? parsed.type === 'int' && parsed.value === 1 : plainValue(parsed);
        }
        return {
          key: key.key,
          type: key.type,
          doc: block?.doc || null,
          example: block?.example ?? null,
          exampleValue,
        };
      }),
    }));
  }

  private fileSchema(hostId: string, path: string): FileSchema {
    const schema = this.schemas.get(hostId)?.get(path);
    if (!schema)
      throw new ApiFailure('not-found', `Read the configuration of this host first (${path} is not loaded)`);
    return schema;
  }

  // ---- analysis and edits -----------------------------------------------------------------------------

  analyze(hostId: string, path: string, text: string): Promise<HostConfigAnalysis> {
    return this.analysis(hostId, path, this.fileSchema(hostId, path).schema, parseConf(text));
  }

  private async analysis(
    hostId: string,
    path: string,
    schema: ConfSchema,
    doc: ConfDocument,
  ): Promise<HostConfigAnalysis> {
    const keys = schemaKeys(schema);
    const values: HostConfigAnalysis['values'] = {};
    for (const node of doc.nodes) {
      if (node.kind !== 'entry' || node.key in values) continue;
      const known = keys.get(node.key);
      values[node.key] = {
        value: known ? formValue(known.type, node, schema.intPattern) : plainValue(node.value),
        line: node.line,
      };
    }
    return { values, diagnostics: await this.diagnose(hostId, path, schema, doc) };
  }

  async edit(
    hostId: string,
    path: string,
    text: string,
    edits: ReadonlyArray<{ key: string; value: HostConfigValue | null }>,
  ): Promise<{ text: string; analysis: HostConfigAnalysis }> {
    const { schema } = this.fileSchema(hostId, path);
    const keys = schemaKeys(schema);
    let doc = parseConf(text);
    for (const edit of edits) {
      const known = keys.get(edit.key);
      if (!known)
        throw new ApiFailure('invalid-request', `${edit.key} is not a setting of ${path}`, {
          field: 'edits',
        });
      if (edit.value !== null) {
        try {
          const value = plainToConf(known.type, edit.value);
          const problem = typeProblem(known.type, value, schema.intPattern);
          if (problem) throw new TypeError(problem);
        } catch (error) {
          throw new ApiFailure(
            'invalid-request',
            `${edit.key} ${error instanceof Error ? error.message : String(error)}`,
            { field: 'edits' },
          );
        }
      }
      try {
        doc = setConfValue(doc, edit.key, edit.value);
      } catch (error) {
        throw new ApiFailure(
          'invalid-request',
          `${edit.key}: ${error instanceof Error ? error.message : String(error)}`,
          { field: 'edits' },
        );
      }
    }
    return { text: serializeConf(doc), analysis: await this.analysis(hostId, path, schema, doc) };
  }

  // ---- writing ----------------------------------------------------------------------------------------

  save(
    hostId: string,
    path: string,
    text: string,
    basedOn: string,
  ): Promise<{ sha256: string; backup: HostConfigBackup }> {
    return this.serial(hostId, async () => {
      const { schema } = this.fileSchema(hostId, path);
      if (!(EDITABLE_FILES as readonly string[]).includes(path)) {
        throw new ApiFailure('invalid-request', `VirtDeck only writes ${EDITABLE_FILES.join(', ')}`, {
          field: 'path',
        });
      }
      const errors = (await this.diagnose(hostId, path, schema, parseConf(text))).filter(
        (d) => d.severity === 'error',
      );
      if (errors.length > 0) {
        throw new ApiFailure(
          'invalid-request',
          `Not saved: ${errors.length} error${errors.length > 1 ? 's' : ''}, first on line ${errors[0]?.line}: ${errors[0]?.message}`,
          { field: 'text' },
        );
      }
      const body = Buffer.from(text, 'utf8');
      const want = sha256(body);
      const taken = stamp(this.now());
      const { shell } = await this.session(hostId);
      const result = await shell.run(WRITE_SCRIPT, [path, basedOn, want, taken, BACKUP_DIR, STATE_DIR], {
        stdin: body,
        timeoutMs: 60_000,
      });
      const frame = parseFrames(result.stdout).find((f) =>
        ['ok', 'conflict', 'error'].includes(f.words[0] ?? ''),
      );
      if (frame?.words[0] === 'conflict') {
        throw new ApiFailure(
          'conflict',
          `${path} changed on the host since it was read; reload it and make the change again`,
        );
      }
      if (frame?.words[0] !== 'ok') {
        const why = frame ? frame.words.slice(1).join(' ') : result.stderr.trim() || `exit ${result.code}`;
        throw new ApiFailure('io', `${path} was not changed: ${why}`);
      }
      const backupPath = frame.words.slice(1).join(' ');
      this.texts.get(hostId)?.set(path, text);
      return {
        sha256: want,
        backup: { path: backupPath, target: path, takenAt: stampToIso(taken), size: -1, failed: false },
      };
    });
  }

  backups(hostId: string): Promise<HostConfigBackup[]> {
    return this.serial(hostId, async () => {
      const { shell } = await this.session(hostId);
      const result = await shell.run(LIST_BACKUPS_SCRIPT, [BACKUP_DIR], { timeoutMs: 30_000 });
      const backups: HostConfigBackup[] = [];
      for (const frame of parseFrames(result.stdout)) {
        if (frame.words[0] !== 'backup') continue;
        const [, size = '0', , ...rest] = frame.words;
        const path = rest.join(' ');
        const name = /[^/]*$/.exec(path)?.[0] ?? '';
        const m = BACKUP_NAME.exec(name);
        if (!m) continue;
        backups.push({
          path,
          target: `/etc/libvirt/${m[1]}.conf`,
          takenAt: stampToIso(m[2] as string),
          size: Number(size),
          failed: m[3] !== undefined,
        });
      }
      return backups.sort((a, b) => b.takenAt.localeCompare(a.takenAt) || a.path.localeCompare(b.path));
    });
  }

  readBackup(hostId: string, path: string): Promise<{ text: string; target: string }> {
    const name = /[^/]*$/.exec(path)?.[0] ?? '';
    const m = BACKUP_NAME.exec(name);
    if (!m || path !== `${BACKUP_DIR}/${name}`) {
      throw new ApiFailure('invalid-request', `Not a VirtDeck backup: ${path}`, { field: 'path' });
    }
    return this.serial(hostId, async () => {
      const { shell } = await this.session(hostId);
      const result = await shell.run(CAT_SCRIPT, [path], { timeoutMs: 30_000 });
      const frame = parseFrames(result.stdout).find((f) => f.words[0] === 'file');
      if (!frame?.body) throw new ApiFailure('not-found', `No backup ${path} on the host`);
      return { text: frame.body.toString('utf8'), target: `/etc/libvirt/${m[1]}.conf` };
    });
  }

  // ---- restart --------------------------------------------------------------------------------------

  restart(hostId: string, timeoutSeconds = 30): Promise<HostConfigRestartReport> {
    return this.serial(hostId, async () => {
      const started = Date.now();
      const host = await this.deps.host(hostId);
      const daemon = this.daemons.get(hostId);
      if (!daemon) throw new ApiFailure('not-found', 'Read the configuration of this host first');
      // Nothing the daemon would refuse causes a restart: the files as VirtDeck last read or wrote them.
      for (const [path, text] of this.texts.get(hostId) ?? []) {
        const schema = this.schemas.get(hostId)?.get(path)?.schema;
        if (!schema) continue;
        const error = (await this.diagnose(hostId, path, schema, parseConf(text))).find(
          (d) => d.severity === 'error',
        );
        if (error) {
          throw new ApiFailure(
            'invalid-request',
            `Not restarted: ${path} line ${error.line}: ${error.message}. Fix the file first.`,
          );
        }
      }
      const { shell, ssh } = await this.session(hostId);
      const taken = stamp(this.now());
      const log = `${STATE_DIR}/restart-${taken}.log`;
      const args = [
        log,
        RESTART_SCRIPT,
        daemon.name,
        daemon.manager,
        String(timeoutSeconds),
        STATE_DIR,
        BACKUP_DIR,
        taken,
      ];
      // Two waits for the daemon (before and after a rollback), its stop, and slack.
      const result = await shell.run(DETACHED_SCRIPT, args, { timeoutMs: (2 * timeoutSeconds + 90) * 1000 });
      const frames = parseFrames(result.stdout);
      const steps = frames.filter((f) => f.words[0] === 'step').map((f) => f.words.slice(1).join(' '));
      const restored = frames.filter((f) => f.words[0] === 'restored').map((f) => f.words.slice(1).join(' '));
      const outcomeWord = frames.find((f) => f.words[0] === 'result')?.words[1];
      const outcome: HostConfigRestartReport['outcome'] =
        outcomeWord === 'ok' ? 'ok' : outcomeWord === 'rolled-back' ? 'rolled-back' : 'failed';
      if (!outcomeWord)
        steps.push(`The restart did not report a result: ${result.stderr.trim() || `exit ${result.code}`}`);
      let libvirtVersion: string | null = null;
      if (outcome !== 'failed') {
        try {
          libvirtVersion = await this.deps.libvirtVersion(host, ssh);
          steps.push(`VirtDeck connected to libvirt again over SSH (${host.libvirtUri})`);
        } catch (error) {
          steps.push(
            `VirtDeck could not connect to libvirt over SSH: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
      }
      return {
        daemon: daemon.name,
        manager: daemon.manager,
        outcome,
        steps,
        restored,
        libvirtVersion,
        durationMs: Date.now() - started,
      };
    });
  }
}
