/**
 * ~/.ssh/config resolution with OpenSSH's semantics (ssh_config(5)), parsed by the `ssh-config` package
 * (its `compute()` is not used: it runs `Match exec` commands and nslookup, and differs from OpenSSH in
 * details). What is implemented:
 *
 *  - Files: `~/.ssh/config` then `/etc/ssh/ssh_config` (or exactly one file, like `ssh -F`), `Include`
 *    (globs, relative to ~/.ssh or /etc/ssh, inside Host/Match blocks too, depth ≤ 16).
 *  - `Host` patterns: `*`, `?`, `!negation`, several per line, case-insensitive; matched against the name
 *    given (the alias). First obtained value wins per keyword; `IdentityFile` accumulates.
 *  - `Match`: `all`, `host`, `originalhost`, `user`, `localuser`, `final` (a second pass, as OpenSSH does),
 *    `!` negation. A block using `exec`, `canonical`, `tagged`, `localnetwork`, `version`, `sessiontype` or
 *    `command` never applies: VirtDeck never runs commands to evaluate a config file.
 *  - Keywords used: HostName, User, Port, IdentityFile, IdentitiesOnly, IdentityAgent, ProxyJump,
 *    ProxyCommand, UserKnownHostsFile, GlobalKnownHostsFile, StrictHostKeyChecking, HashKnownHosts,
 *    HostKeyAlias, ConnectTimeout, ServerAliveInterval, ServerAliveCountMax, BatchMode,
 *    PreferredAuthentications, PubkeyAuthentication, PasswordAuthentication, KbdInteractiveAuthentication
 *    (and its old name ChallengeResponseAuthentication), NumberOfPasswordPrompts. Others are ignored.
 *  - `~` and `${ENV}` expansion and the %-tokens %% %C %d %h %i %j %k %L %l %n %p %r %u in IdentityFile,
 *    IdentityAgent, UserKnownHostsFile; %% %h in HostName; %% %h %n %p %r in ProxyCommand.
 *  - Explicit target fields (user, port, identity file, ProxyJump) override the config, like OpenSSH's
 *    command-line options; an explicit identity file is tried before the configured ones.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir, hostname as osHostname, userInfo } from 'node:os';
import { isAbsolute, join } from 'node:path';
import SSHConfig, { LineType, type Line } from 'ssh-config';
import { SshConfigError } from './errors';
import { matchPattern, matchPatternList } from './patterns';

/** What to connect to, as the user or the host list gives it. */
export interface SshTarget {
  /** A host name, an IP address, or a `Host` alias from ~/.ssh/config. */
  host: string;
  user?: string;
  port?: number;
  /** Private key file(s) on this computer; tried before the ones from ~/.ssh/config. */
  identityFile?: string | readonly string[];
  /** OpenSSH ProxyJump syntax: `user@jump1:22,jump2` (or `none`). */
  proxyJump?: string;
}

export interface JumpHop {
  user?: string;
  host: string;
  port?: number;
}

export type StrictHostKeyChecking = 'yes' | 'ask' | 'accept-new' | 'no';

export interface ResolvedSshHost {
  /** The name that was asked for (alias or host). */
  alias: string;
  /** What is really connected to (HostName, tokens expanded). */
  hostName: string;
  port: number;
  user: string;
  /** Identity files in the order they will be tried (absolute paths). */
  identityFiles: string[];
  /** False when no IdentityFile was configured and OpenSSH's default key names are used. */
  identityFilesConfigured: boolean;
  identitiesOnly: boolean;
  /** Agent socket from IdentityAgent: a path, null for `none`, undefined for the default ($SSH_AUTH_SOCK). */
  identityAgent: string | null | undefined;
  /** Jump hosts, first to last (the last one connects to the target); empty for a direct connection. */
  proxyJump: JumpHop[];
  /** The original ProxyJump text (for hop recursion); null when none. */
  proxyJumpText: string | null;
  /** ProxyCommand with tokens expanded; null when none (ProxyJump wins when both are given). */
  proxyCommand: string | null;
  userKnownHostsFiles: string[];
  globalKnownHostsFiles: string[];
  strictHostKeyChecking: StrictHostKeyChecking;
  hashKnownHosts: boolean;
  hostKeyAlias: string | null;
  connectTimeoutMs: number | null;
  serverAliveIntervalMs: number | null;
  serverAliveCountMax: number | null;
  batchMode: boolean;
  /** Authentication methods in the user's preferred order (publickey, keyboard-interactive, password). */
  preferredAuthentications: string[];
  pubkeyAuthentication: boolean;
  passwordAuthentication: boolean;
  kbdInteractiveAuthentication: boolean;
  numberOfPasswordPrompts: number;
  /** Config files read, for diagnostics. */
  configFiles: string[];
}

/** Facts about this computer the resolution depends on (overridable for tests). */
export interface SshEnvironment {
  home: string;
  localUser: string;
  uid: number;
  localHostname: string;
  env: Readonly<Record<string, string | undefined>>;
  platform: NodeJS.Platform;
}

export function defaultSshEnvironment(): SshEnvironment {
  let user = process.env.USER ?? process.env.USERNAME ?? '';
  let home = homedir();
  try {
    const info = userInfo();
    user = info.username;
    home = info.homedir || home;
  } catch {
    // No passwd entry (containers): keep the environment's values.
  }
  return {
    home,
    localUser: user,
    uid: typeof process.getuid === 'function' ? process.getuid() : -1,
    localHostname: osHostname(),
    env: process.env,
    platform: process.platform,
  };
}

export interface SshConfigSource {
  path: string;
  /** User files resolve relative Includes against ~/.ssh, system files against /etc/ssh. */
  kind: 'user' | 'system';
}

/** OpenSSH's defaults: ~/.ssh/config, then the system-wide file. */
export function defaultSshConfigSources(
  environment: SshEnvironment = defaultSshEnvironment(),
): SshConfigSource[] {
  const system =
    environment.platform === 'win32'
      ? join(environment.env.ProgramData ?? 'C:\\ProgramData', 'ssh', 'ssh_config')
      : '/etc/ssh/ssh_config';
  return [
    { path: join(environment.home, '.ssh', 'config'), kind: 'user' },
    { path: system, kind: 'system' },
  ];
}

/**
 * Config sources from the `sshConfigFile` option: undefined → OpenSSH's defaults; null or 'none' → no
 * config at all; a path → only that file (as `ssh -F path`).
 */
export function sshConfigSources(
  sshConfigFile: string | null | undefined,
  environment: SshEnvironment = defaultSshEnvironment(),
): SshConfigSource[] {
  if (sshConfigFile === undefined) return defaultSshConfigSources(environment);
  if (sshConfigFile === null || sshConfigFile === 'none') return [];
  return [{ path: expandTilde(sshConfigFile, environment.home), kind: 'user' }];
}

// ---- small helpers ------------------------------------------------------------------------------------

export function expandTilde(path: string, home: string): string {
  if (path === '~') return home;
  if (path.startsWith('~/') || path.startsWith('~\\')) return join(home, path.slice(2));
  return path;
}

/** `${VAR}` expansion (OpenSSH: in IdentityFile, IdentityAgent, UserKnownHostsFile, …). */
export function expandEnvVars(value: string, env: Readonly<Record<string, string | undefined>>): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_all, name: string) => {
    const v = env[name];
    if (v === undefined)
      throw new SshConfigError(`environment variable \${${name}} is not set (used in "${value}")`);
    return v;
  });
}

/** OpenSSH percent_expand: `%%` and the given one-letter tokens; an unknown token is an error. */
export function expandTokens(value: string, tokens: Readonly<Record<string, string>>): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c !== '%') {
      out += c;
      continue;
    }
    const t = value[++i];
    if (t === undefined) throw new SshConfigError(`"${value}": a lone % at the end`);
    if (t === '%') {
      out += '%';
      continue;
    }
    const v = tokens[t];
    if (v === undefined) throw new SshConfigError(`"${value}": unknown or unsupported token %${t}`);
    out += v;
  }
  return out;
}

function dirValues(line: Line): string[] {
  if (line.type !== LineType.DIRECTIVE) return [];
  const v = line.value;
  return typeof v === 'string' ? [v] : v.map((x) => x.val);
}

/** A command-like value (ProxyCommand) as written, quotes kept. */
function dirCommand(line: Line): string {
  if (line.type !== LineType.DIRECTIVE) return '';
  const v = line.value;
  if (typeof v === 'string') return v;
  return v
    .map(({ val, separator, quoted }) => `${separator}${quoted ? `"${val.replace(/"/g, '\\"')}"` : val}`)
    .join('')
    .trim();
}

function yesNo(value: string | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  const v = value.toLowerCase();
  if (v === 'yes' || v === 'true') return true;
  if (v === 'no' || v === 'false') return false;
  return fallback;
}

/** Glob expansion for Include: `*` and `?` in any path segment; sorted like glob(3). */
function globPaths(pattern: string): string[] {
  if (!/[*?]/.test(pattern)) return existsSync(pattern) ? [pattern] : [];
  const absolute = isAbsolute(pattern);
  const segments = pattern.split(/[/\\]/).filter((s, i) => s !== '' || i === 0);
  let bases: string[] = [absolute ? (segments[0] === '' ? '/' : `${segments[0]}/`) : '.'];
  for (const segment of segments.slice(1)) {
    const next: string[] = [];
    for (const base of bases) {
      if (!/[*?]/.test(segment)) {
        const p = join(base, segment);
        if (existsSync(p)) next.push(p);
        continue;
      }
      let names: string[];
      try {
        names = readdirSync(base);
      } catch {
        continue;
      }
      for (const name of names.sort()) {
        if (name.startsWith('.') && !segment.startsWith('.')) continue;
        if (matchPattern(name, segment)) next.push(join(base, name));
      }
    }
    bases = next;
  }
  return bases;
}

// ---- ProxyJump -----------------------------------------------------------------------------------------

const HOST_RE = /^[A-Za-z0-9._%-]+$|^[0-9A-Fa-f:.%]+$/;

function parsePort(text: string, where: string): number {
  if (!/^\d{1,5}$/.test(text)) throw new SshConfigError(`ProxyJump "${where}": bad port "${text}"`);
  const port = Number(text);
  if (port < 1 || port > 65535) throw new SshConfigError(`ProxyJump "${where}": port ${port} out of range`);
  return port;
}

/** Parses one `[user@]host[:port]` or `ssh://[user@]host[:port]` (IPv6 in brackets). */
export function parseJumpHop(text: string): JumpHop {
  let rest = text.trim();
  if (rest === '') throw new SshConfigError('ProxyJump: empty hop');
  if (/^ssh:\/\//i.test(rest)) {
    rest = rest.slice(6);
    if (rest.endsWith('/')) rest = rest.slice(0, -1);
  }
  let user: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    user = rest.slice(0, at);
    rest = rest.slice(at + 1);
    if (user === '' || /[\s'"`$\\;&|<>]/.test(user))
      throw new SshConfigError(`ProxyJump "${text}": bad user`);
  }
  let host: string;
  let port: number | undefined;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) throw new SshConfigError(`ProxyJump "${text}": unbalanced [`);
    host = rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (after !== '') {
      if (!after.startsWith(':')) throw new SshConfigError(`ProxyJump "${text}": junk after ]`);
      port = parsePort(after.slice(1), text);
    }
  } else {
    const colon = rest.indexOf(':');
    if (colon >= 0 && rest.indexOf(':', colon + 1) < 0) {
      host = rest.slice(0, colon);
      port = parsePort(rest.slice(colon + 1), text);
    } else {
      host = rest;
    }
  }
  if (!HOST_RE.test(host)) throw new SshConfigError(`ProxyJump "${text}": bad host name "${host}"`);
  const hop: JumpHop = { host };
  if (user !== undefined) hop.user = user;
  if (port !== undefined) hop.port = port;
  return hop;
}

/** Parses a ProxyJump list; `none` gives []. */
export function parseProxyJump(value: string): JumpHop[] {
  const v = value.trim();
  if (v === '' || v.toLowerCase() === 'none') return [];
  return v.split(',').map(parseJumpHop);
}

/** Formats hops back into ProxyJump syntax. */
export function formatProxyJump(hops: readonly JumpHop[]): string {
  return hops
    .map((h) => {
      const host = h.host.includes(':') ? `[${h.host}]` : h.host;
      return `${h.user ? `${h.user}@` : ''}${host}${h.port ? `:${h.port}` : ''}`;
    })
    .join(',');
}

// ---- evaluation ----------------------------------------------------------------------------------------

const ACCUMULATING = new Set([
  'identityfile',
  'certificatefile',
  'localforward',
  'remoteforward',
  'dynamicforward',
]);
const MAX_INCLUDE_DEPTH = 16;

interface EvalState {
  /** First value obtained per lowercased keyword (all arguments). */
  values: Map<string, string[]>;
  /** ProxyCommand text as written. */
  proxyCommand: string | null;
  identityFiles: string[];
  originalHost: string;
  /** The name Host patterns are matched against (the alias; HostName in the final pass). */
  hostForPatterns: string;
  explicitUser: string | undefined;
  environment: SshEnvironment;
  finalPass: boolean;
  wantFinalPass: boolean;
  filesRead: string[];
}

function currentHostName(state: EvalState): string {
  const hn = state.values.get('hostname')?.[0];
  return hn ? expandTokens(hn, { h: state.originalHost }) : state.originalHost;
}

function currentUser(state: EvalState): string {
  return state.explicitUser ?? state.values.get('user')?.[0] ?? state.environment.localUser;
}

function hostLineMatches(patterns: readonly string[], host: string): boolean {
  const h = host.toLowerCase();
  let matched = false;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const pattern = (negated ? raw.slice(1) : raw).toLowerCase();
    if (matchPattern(h, pattern)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

function matchLineMatches(tokens: readonly string[], state: EvalState): boolean {
  let i = 0;
  if (tokens.length === 0) return false;
  while (i < tokens.length) {
    let word = (tokens[i] ?? '').toLowerCase();
    const negated = word.startsWith('!');
    if (negated) word = word.slice(1);
    i++;
    let result: boolean;
    if (word === 'all') {
      result = true;
    } else if (word === 'final') {
      state.wantFinalPass = true;
      result = state.finalPass;
    } else if (word === 'canonical') {
      return false; // VirtDeck does no hostname canonicalization pass.
    } else {
      const arg = tokens[i];
      i++;
      if (arg === undefined) return false;
      switch (word) {
        case 'host':
          result = matchPatternList(currentHostName(state).toLowerCase(), arg, true) === 1;
          break;
        case 'originalhost':
          result = matchPatternList(state.originalHost.toLowerCase(), arg, true) === 1;
          break;
        case 'user':
          result = matchPatternList(currentUser(state), arg, false) === 1;
          break;
        case 'localuser':
          result = matchPatternList(state.environment.localUser, arg, false) === 1;
          break;
        default:
          // exec, tagged, localnetwork, version, sessiontype, command, unknown: the block never applies.
          return false;
      }
    }
    if (negated ? result : !result) return false;
  }
  return true;
}

function setValue(state: EvalState, line: Line): void {
  if (line.type !== LineType.DIRECTIVE) return;
  const key = line.param.toLowerCase();
  const values = dirValues(line);
  if (ACCUMULATING.has(key)) {
    if (key === 'identityfile') state.identityFiles.push(...values);
    return;
  }
  if (state.values.has(key)) return;
  if (key === 'proxycommand' || key === 'proxyjump') {
    // Mutually exclusive in OpenSSH: whichever is obtained first wins.
    if (state.values.has('proxycommand') || state.values.has('proxyjump')) return;
    if (key === 'proxycommand') state.proxyCommand = dirCommand(line);
  }
  state.values.set(key, values);
}

function evalLines(
  lines: readonly Line[],
  active: boolean,
  state: EvalState,
  source: SshConfigSource,
  depth: number,
) {
  for (const line of lines) {
    if (line.type !== LineType.DIRECTIVE) continue;
    const key = line.param.toLowerCase();
    if (key === 'host' && 'config' in line) {
      const matches = active && hostLineMatches(dirValues(line), state.hostForPatterns);
      evalLines(line.config, matches, state, source, depth);
    } else if (key === 'match' && 'config' in line) {
      const matches = active && matchLineMatches(dirValues(line), state);
      evalLines(line.config, matches, state, source, depth);
    } else if (key === 'include') {
      if (!active) continue;
      for (const raw of dirValues(line)) includeFile(raw, state, source, depth);
    } else if (active) {
      setValue(state, line);
    }
  }
}

function includeFile(raw: string, state: EvalState, source: SshConfigSource, depth: number): void {
  if (depth >= MAX_INCLUDE_DEPTH) throw new SshConfigError(`Include nested too deeply (${source.path})`);
  const { home } = state.environment;
  let pattern = expandTilde(raw, home);
  if (!isAbsolute(pattern)) {
    const base =
      source.kind === 'user'
        ? join(home, '.ssh')
        : state.environment.platform === 'win32'
          ? join(state.environment.env.ProgramData ?? 'C:\\ProgramData', 'ssh')
          : '/etc/ssh';
    pattern = join(base, pattern);
  }
  for (const path of globPaths(pattern)) readAndEval({ path, kind: source.kind }, state, depth + 1);
}

function readAndEval(source: SshConfigSource, state: EvalState, depth: number): void {
  let text: string;
  try {
    text = readFileSync(source.path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return;
    throw new SshConfigError(`cannot read ${source.path}: ${(err as Error).message}`, { cause: err });
  }
  let parsed: SSHConfig;
  try {
    parsed = SSHConfig.parse(text);
  } catch (err) {
    throw new SshConfigError(`cannot parse ${source.path}: ${(err as Error).message}`, { cause: err });
  }
  if (!state.filesRead.includes(source.path)) state.filesRead.push(source.path);
  evalLines(parsed, true, state, source, depth);
}

const DEFAULT_IDENTITY_NAMES = [
  'id_rsa',
  'id_ecdsa',
  'id_ecdsa_sk',
  'id_ed25519',
  'id_ed25519_sk',
  'id_xmss',
  'id_dsa',
];

export interface ResolveOptions {
  /** Config files in precedence order (see {@link sshConfigSources}). */
  sources?: readonly SshConfigSource[];
  environment?: SshEnvironment;
}

/**
 * Resolves what to connect to for `target`, applying ~/.ssh/config like `ssh [-l user] [-p port] [-i key]
 * [-J jumps] host` would.
 */
export function resolveSshTarget(target: SshTarget, options: ResolveOptions = {}): ResolvedSshHost {
  const environment = options.environment ?? defaultSshEnvironment();
  const sources = options.sources ?? defaultSshConfigSources(environment);
  const alias = target.host.trim();
  if (alias === '' || /[\s/'"`$;&|<>\\]/.test(alias))
    throw new SshConfigError(`bad host name "${target.host}"`);

  const state: EvalState = {
    values: new Map(),
    proxyCommand: null,
    identityFiles: [],
    originalHost: alias,
    hostForPatterns: alias,
    explicitUser: target.user,
    environment,
    finalPass: false,
    wantFinalPass: false,
    filesRead: [],
  };
  // Explicit target fields behave like command-line options: obtained before any config line.
  if (target.port !== undefined) state.values.set('port', [String(target.port)]);
  if (target.user !== undefined) state.values.set('user', [target.user]);
  if (target.proxyJump !== undefined) state.values.set('proxyjump', [target.proxyJump]);
  const explicitIdentities =
    target.identityFile === undefined
      ? []
      : typeof target.identityFile === 'string'
        ? [target.identityFile]
        : [...target.identityFile];
  state.identityFiles.push(...explicitIdentities);

  for (const source of sources) readAndEval(source, state, 0);
  if (state.wantFinalPass) {
    state.finalPass = true;
    state.hostForPatterns = currentHostName(state);
    for (const source of sources) readAndEval(source, state, 0);
  }

  const get = (key: string): string | undefined => state.values.get(key)?.[0];
  const getAll = (key: string): string[] | undefined => state.values.get(key);

  const hostName = currentHostName(state);
  const user = currentUser(state);
  const portText = get('port');
  let port = 22;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535)
      throw new SshConfigError(`bad port "${portText}" for ${alias}`);
    port = Number(portText);
  }

  const proxyJumpText = get('proxyjump');
  const proxyJump = proxyJumpText === undefined ? [] : parseProxyJump(proxyJumpText);
  const jumpText = proxyJump.length > 0 ? formatProxyJump(proxyJump) : '';
  const hostKeyAlias = get('hostkeyalias') ?? null;

  const localHostname = environment.localHostname;
  const tokens: Record<string, string> = {
    d: environment.home,
    h: hostName,
    i: String(environment.uid),
    j: jumpText,
    k: hostKeyAlias ?? hostName,
    L: localHostname.split('.')[0] ?? localHostname,
    l: localHostname,
    n: alias,
    p: String(port),
    r: user,
    u: environment.localUser,
  };
  tokens.C = createHash('sha1')
    .update(`${tokens.l}${tokens.h}${tokens.p}${tokens.r}${tokens.j}`)
    .digest('hex');
  const expandPath = (p: string): string =>
    expandTilde(expandTokens(expandEnvVars(p, environment.env), tokens), environment.home);

  const identityFilesConfigured = state.identityFiles.length > 0;
  const identitySource = identityFilesConfigured
    ? state.identityFiles
    : DEFAULT_IDENTITY_NAMES.map((n) => join(environment.home, '.ssh', n));
  const identityFiles: string[] = [];
  for (const f of identitySource) {
    if (f.toLowerCase() === 'none') continue;
    const p = expandPath(f);
    if (!identityFiles.includes(p)) identityFiles.push(p);
  }

  let identityAgent: string | null | undefined;
  const agentText = get('identityagent');
  if (agentText !== undefined) {
    if (agentText.toLowerCase() === 'none') identityAgent = null;
    else if (agentText === 'SSH_AUTH_SOCK') identityAgent = undefined;
    else if (agentText.startsWith('$')) identityAgent = environment.env[agentText.slice(1)] ?? null;
    else identityAgent = expandPath(agentText);
  }

  const knownHostsList = (key: string, defaults: string[]): string[] => {
    const list = getAll(key);
    if (!list) return defaults;
    if (list.length === 1 && list[0]?.toLowerCase() === 'none') return [];
    return list.map(expandPath);
  };
  const userKnownHostsFiles = knownHostsList('userknownhostsfile', [
    join(environment.home, '.ssh', 'known_hosts'),
    join(environment.home, '.ssh', 'known_hosts2'),
  ]);
  const globalDir =
    environment.platform === 'win32'
      ? join(environment.env.ProgramData ?? 'C:\\ProgramData', 'ssh')
      : '/etc/ssh';
  const globalKnownHostsFiles = knownHostsList('globalknownhostsfile', [
    join(globalDir, 'ssh_known_hosts'),
    join(globalDir, 'ssh_known_hosts2'),
  ]);

  let strictHostKeyChecking: StrictHostKeyChecking = 'ask';
  const strict = get('stricthostkeychecking')?.toLowerCase();
  if (strict === 'yes' || strict === 'true') strictHostKeyChecking = 'yes';
  else if (strict === 'no' || strict === 'off' || strict === 'false') strictHostKeyChecking = 'no';
  else if (strict === 'accept-new') strictHostKeyChecking = 'accept-new';

  const seconds = (key: string): number | null => {
    const v = get(key);
    if (v === undefined || !/^\d+$/.test(v)) return null;
    return Number(v) * 1000;
  };
  const count = (key: string): number | null => {
    const v = get(key);
    return v !== undefined && /^\d+$/.test(v) ? Number(v) : null;
  };
  const connectTimeoutMs = seconds('connecttimeout');
  const serverAliveIntervalMs = seconds('serveraliveinterval');

  const preferred = get('preferredauthentications');
  const preferredAuthentications = (preferred ?? 'publickey,keyboard-interactive,password')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s === 'publickey' || s === 'keyboard-interactive' || s === 'password');

  let proxyCommand: string | null = null;
  if (state.proxyCommand !== null && state.proxyCommand.toLowerCase() !== 'none' && proxyJump.length === 0) {
    proxyCommand = expandTokens(state.proxyCommand, { h: hostName, n: alias, p: String(port), r: user });
  }

  return {
    alias,
    hostName,
    port,
    user,
    identityFiles,
    identityFilesConfigured,
    identitiesOnly: yesNo(get('identitiesonly'), false),
    identityAgent,
    proxyJump,
    proxyJumpText: proxyJump.length > 0 ? jumpText : null,
    proxyCommand,
    userKnownHostsFiles,
    globalKnownHostsFiles,
    strictHostKeyChecking,
    hashKnownHosts: yesNo(get('hashknownhosts'), false),
    hostKeyAlias,
    connectTimeoutMs: connectTimeoutMs === 0 ? null : connectTimeoutMs,
    serverAliveIntervalMs: serverAliveIntervalMs === 0 ? null : serverAliveIntervalMs,
    serverAliveCountMax: count('serveralivecountmax'),
    batchMode: yesNo(get('batchmode'), false),
    preferredAuthentications,
    pubkeyAuthentication: yesNo(get('pubkeyauthentication'), true),
    passwordAuthentication: yesNo(get('passwordauthentication'), true),
    kbdInteractiveAuthentication: yesNo(
      get('kbdinteractiveauthentication') ?? get('challengeresponseauthentication'),
      true,
    ),
    numberOfPasswordPrompts: count('numberofpasswordprompts') ?? 3,
    configFiles: state.filesRead,
  };
}

/** Host aliases defined in the config files (patterns without wildcards or negation): for a host picker. */
export function listConfiguredHosts(options: ResolveOptions = {}): string[] {
  const environment = options.environment ?? defaultSshEnvironment();
  const sources = options.sources ?? defaultSshConfigSources(environment);
  const names: string[] = [];
  const visit = (lines: readonly Line[]) => {
    for (const line of lines) {
      if (line.type !== LineType.DIRECTIVE) continue;
      if (line.param.toLowerCase() === 'host' && 'config' in line) {
        for (const p of dirValues(line)) if (!/[*?!]/.test(p) && !names.includes(p)) names.push(p);
      }
    }
  };
  for (const source of sources) {
    try {
      visit(SSHConfig.parse(readFileSync(source.path, 'utf8')));
    } catch {
      // Missing or unreadable: nothing to list.
    }
  }
  return names;
}
