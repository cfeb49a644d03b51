/**
 * THE table of rules for qemu.conf and the daemon's .conf (libvirtd.conf / virtqemud.conf): each value
 * is checked as libvirt 9.0 (Debian 12) reads and uses it. Every rule names the libvirt source that
 * decides it (file + function, libvirt 9.0.0), what the daemon does with a value that breaks it, and,
 * where libvirt has one, its own message. Rules restate libvirt's behaviour; no libvirt code is copied.
 *
 *   severity 'error'   the daemon refuses the value: it does not start, guests do not start, or the
 *                      operation that uses it fails. Saving is blocked.
 *   severity 'warning' legal, but almost surely not what was meant (ignored, clamped, truncated, …).
 *
 * Host facts (users, groups, paths, host names, security drivers, …) come from host-facts.ts; without
 * them (null) the rules that need them do not run.
 */
import { isIP } from 'node:net';
import type { ConfDocument, ConfEntryNode, ConfValue } from './conf-parser';
import type { FactNeeds, HostFacts, PathFact } from './host-facts';
import { QEMU_CAPABILITY_NAMES_9_0 } from './qemu-caps.gen';

export type ConfFileRole = 'qemu' | 'daemon';

/** What libvirt 9.0 does with a value that breaks the rule. */
export type DaemonBehaviour =
  /** the daemon exits at startup (its own or its QEMU driver's configuration is refused) */
  | 'refuses-start'
  /** the daemon runs, but guests (all, or all with the named feature) fail to start */
  | 'refuses-guest-start'
  /** the daemon runs; the operation that uses the value fails, for every guest (save, snapshot…) */
  | 'refuses-on-use'
  /** the daemon runs; only guests or operations that use an optional feature fail (a warning) */
  | 'fails-if-used'
  /** the daemon accepts it and logs a warning, or silently ignores / changes it */
  | 'warns'
  | 'ignores';

export type RuleKind =
  | 'type'
  | 'range'
  | 'enum'
  | 'address'
  | 'port-range'
  | 'list'
  | 'path'
  | 'user'
  | 'group'
  | 'format'
  | 'combination'
  | 'ignored';

export interface RuleContext {
  file: ConfFileRole;
  /** The daemon that reads the daemon file (and runs the QEMU driver). */
  daemon: 'libvirtd' | 'virtqemud';
  /** The file's path, as the daemon names it in its messages. */
  path: string;
  /** What the host has; null: not known (the rules that need it are skipped). */
  facts: HostFacts | null;
}

export interface RuleFinding {
  key: string;
  message: string;
  /** Overrides the rule's severity (a rule that refuses some values and only warns about others). */
  severity?: 'error' | 'warning';
}

/** How the integration tests show that libvirtd 9.0 itself refuses a value (see tests/support/throwaway-libvirtd.ts). */
export interface RuleProof {
  /** Lines appended to the lab's own file. */
  lines: string[];
  /** When the refusal shows: at the daemon's start, at a guest's start, or when a guest is saved. */
  via: 'start' | 'guest' | 'save';
  /** The daemon's (or QEMU's) message. */
  expect: RegExp;
  /** Extra daemon arguments (libvirtd --listen). */
  args?: string[];
}

export interface ConfRule {
  id: string;
  file: ConfFileRole;
  keys: readonly string[];
  kind: RuleKind;
  severity: 'error' | 'warning';
  daemon: DaemonBehaviour;
  /** libvirt 9.0.0 source: file and function. */
  ref: string;
  summary: string;
  /** Where newer libvirt behaves differently. */
  newer?: string;
  needs?(v: ConfValues, ctx: RuleContext): FactNeeds;
  check(v: ConfValues, ctx: RuleContext): RuleFinding[];
  /** How the integration test shows the real daemon refusing it (every rule the daemon refuses has one). */
  proof?: RuleProof;
  /** Further cases of the same rule to show on the lab. */
  moreProofs?: RuleProof[];
}

// ---- values as libvirt's virconf.c reads them -----------------------------------------------------

const INT_MIN = -2147483648n;
const INT_MAX = 2147483647n;
const UINT_MAX = 4294967295n;
const LLONG_MAX = 9223372036854775807n;

/**
 * An integer as virConfParseLong reads it: type LLONG when it starts with '-', else ULLONG; the digits
 * accumulate in a long long without any overflow check, so a number beyond 63 bits wraps around.
 */
export interface ConfNumber {
  /** Written with '-' (libvirt's VIR_CONF_LLONG): the unsigned getters refuse it, even -0. */
  signed: boolean;
  /** The long long the daemon holds (wrapped to 64 bits). */
  l: bigint;
  /** The written number did not fit: the daemon uses `l`, not what is written. */
  overflow: boolean;
}

export function confNumber(value: ConfValue): ConfNumber | null {
  if (value.type !== 'int') return null;
  const text = value.text.trim();
  const signed = text.startsWith('-');
  const magnitude = BigInt(text.replace(/^[+-]/, ''));
  const l = BigInt.asIntN(64, signed ? -magnitude : magnitude);
  return { signed, l, overflow: magnitude > LLONG_MAX };
}

/** `(unsigned long long) l`, as the unsigned getters compare it. */
const unsignedOf = (n: ConfNumber) => BigInt.asUintN(64, n.l);

/** The effective values of a document: libvirt uses the first assignment of a key (virConfGetValue). */
export class ConfValues {
  private readonly first = new Map<string, ConfEntryNode>();

  /** `without`: keys to leave out (their value already failed its type: the daemon stops there). */
  constructor(doc: ConfDocument, without: ReadonlySet<string> = new Set()) {
    for (const node of doc.nodes)
      if (node.kind === 'entry' && !this.first.has(node.key)) this.first.set(node.key, node);
    for (const key of without) this.first.delete(key);
  }

  entry(key: string): ConfEntryNode | undefined {
    return this.first.get(key);
  }

  has(key: string): boolean {
    return this.first.has(key);
  }

  keys(): IterableIterator<string> {
    return this.first.keys();
  }

  /** The string value (undefined when unset or not a string). */
  str(key: string): string | undefined {
    const v = this.first.get(key)?.value;
    return v?.type === 'string' ? v.value : undefined;
  }

  /** The number as the daemon holds it (undefined when unset or not a number). */
  num(key: string): bigint | undefined {
    const v = this.first.get(key)?.value;
    const n = v ? confNumber(v) : null;
    return n ? n.l : undefined;
  }

  /** A bool as virConfGetValueBool takes it (0 or 1), else undefined. */
  bool(key: string): boolean | undefined {
    const n = this.num(key);
    return n === 0n ? false : n === 1n ? true : undefined;
  }

  /** A string list (with `compat`, a single string is a one-element list, as libvirt's compatString). */
  list(key: string, compat = false): string[] | undefined {
    const v = this.first.get(key)?.value;
    if (!v) return undefined;
    if (v.type === 'string') return compat ? [v.value] : undefined;
    if (v.type !== 'list' || v.items.some((i) => i.type !== 'string')) return undefined;
    return v.items.map((i) => (i as { value: string }).value);
  }
}

// ---- helpers restating libvirt's parsers ------------------------------------------------------------

const CSPACE = /[ \t\n\v\f\r]/;

/**
 * strtol/strtoul as virStrToLong_i / virStrToLong_ui call them with end_ptr NULL (src/util/virstring.c):
 * leading blanks, a sign, digits of `base`, nothing after; null when they fail.
 */
export function virStrToLong(text: string, base: 8 | 10, unsigned: boolean): bigint | null {
  let i = 0;
  while (i < text.length && CSPACE.test(text[i] as string)) i++;
  let negative = false;
  if (text[i] === '+' || text[i] === '-') {
    negative = text[i] === '-';
    i++;
  }
  const digits = base === 8 ? /[0-7]/ : /[0-9]/;
  const start = i;
  while (i < text.length && digits.test(text[i] as string)) i++;
  if (i === start || i !== text.length) return null;
  const magnitude = BigInt(base === 8 ? `0o${text.slice(start, i)}` : text.slice(start, i));
  if (magnitude > LLONG_MAX * 2n + 1n) return null; // ERANGE
  if (unsigned) {
    // virStrToLong_ui takes "-N" (N ≤ UINT_MAX) as UINT_MAX + 1 - N: "-1" is UINT_MAX.
    if (magnitude > UINT_MAX) return null;
    return negative && magnitude > 0n ? UINT_MAX + 1n - magnitude : magnitude;
  }
  const value = negative ? -magnitude : magnitude;
  return value < INT_MIN || value > INT_MAX ? null : value;
}

/** virUUIDParse (src/util/viruuid.c): 32 hex digits, '-' or ' ' between pairs, blanks around. */
export function parseUuid(text: string): number[] | null {
  let i = 0;
  while (i < text.length && CSPACE.test(text[i] as string)) i++;
  const bytes: number[] = [];
  const hex = (c: string | undefined) => (c !== undefined && /^[0-9a-fA-F]$/.test(c) ? parseInt(c, 16) : -1);
  while (bytes.length < 16) {
    if (i >= text.length) return null;
    if (text[i] === '-' || text[i] === ' ') {
      i++;
      continue;
    }
    const hi = hex(text[i]);
    const lo = hex(text[i + 1]);
    if (hi < 0 || lo < 0) return null;
    bytes.push(hi * 16 + lo);
    i += 2;
  }
  for (; i < text.length; i++) if (!CSPACE.test(text[i] as string)) return null;
  return bytes;
}

/** virUUIDIsValid: not every byte the same (all zeros is invalid). */
const uuidUsable = (bytes: number[]) => bytes.some((b) => b !== bytes[0]);

/** An IPv4 address as inet_aton / getaddrinfo(AI_NUMERICHOST) reads it (1–4 parts, decimal/octal/hex). */
export function inetAton(text: string): number[] | null {
  const parts = text.split('.');
  if (parts.length < 1 || parts.length > 4) return null;
  const nums: number[] = [];
  for (const p of parts) {
    let n: number;
    if (/^0[xX][0-9a-fA-F]+$/.test(p)) n = parseInt(p.slice(2), 16);
    else if (/^0[0-7]*$/.test(p)) n = parseInt(p, 8);
    else if (/^[1-9][0-9]*$/.test(p)) n = Number(p);
    else return null;
    nums.push(n);
  }
  const last = nums.pop() as number;
  if (nums.some((n) => n > 255) || last >= 2 ** (8 * (4 - nums.length))) return null;
  const bytes = [...nums];
  for (let k = 4 - nums.length - 1; k >= 0; k--) bytes.push(Math.floor(last / 2 ** (8 * k)) % 256);
  return bytes;
}

/** virSocketAddrIsNumericLocalhost (src/util/virsocketaddr.c): exactly 127.0.0.1 or ::1, numerically. */
function numericLocalhost(text: string): boolean {
  const v4 = inetAton(text);
  if (v4) return v4.join('.') === '127.0.0.1';
  if (isIP(text) !== 6) return false;
  try {
    return new URL(`http://[${text}]/`).hostname === '[::1]';
  } catch {
    return false;
  }
}

const isAbsolute = (path: string) => path.startsWith('/');

function pathFact(ctx: RuleContext, path: string): PathFact | undefined {
  return ctx.facts?.paths[path];
}

/** libvirt's virFileExists: access(F_OK) — anything that exists. */
const exists = (fact: PathFact | undefined) => fact !== undefined && fact.type !== 'missing';

/** A user name as virGetUserID / virGetGroupID take it: a name, else a number ("+N" is always a number). */
function idLookup(value: string): { name: string | null; number: boolean } {
  if (value.startsWith('+')) return { name: null, number: virStrToLong(value.slice(1), 10, true) !== null };
  return { name: value, number: virStrToLong(value, 10, true) !== null };
}

/** libvirt 9.0 is what the enumerations below list; for another version, unknown names only warn. */
const isLibvirt90 = (ctx: RuleContext) => /^9\.0(\.|$)/.test(ctx.facts?.libvirtVersion ?? '9.0.0');

const SYSCONFDIR = '/etc';
const QEMU_SERVICES = ['vnc', 'spice', 'chardev', 'migrate', 'backup', 'vxhs', 'nbd'] as const;
type TlsService = (typeof QEMU_SERVICES)[number];
const DEFAULT_TLS_DIR = `${SYSCONFDIR}/pki/qemu`;
const SERVER_CERT_FILES = ['ca-cert.pem', 'server-cert.pem', 'server-key.pem'];

/**
 * The certificate directory a QEMU TLS service ends up with (virQEMUDriverConfigSetDefaults): its own
 * setting, else /etc/pki/libvirt-<service> when that exists, else default_tls_x509_cert_dir.
 */
function tlsDir(v: ConfValues, ctx: RuleContext, service: TlsService): string | null {
  const own = v.str(`${service}_tls_x509_cert_dir`);
  if (own !== undefined) return own;
  const specific = `${SYSCONFDIR}/pki/libvirt-${service}`;
  const fact = pathFact(ctx, specific);
  if (fact === undefined) return null;
  if (exists(fact)) return specific;
  return v.str('default_tls_x509_cert_dir') ?? DEFAULT_TLS_DIR;
}

function tlsDirNeeds(v: ConfValues, service: TlsService): string[] {
  const dirs = [
    `${SYSCONFDIR}/pki/libvirt-${service}`,
    v.str(`${service}_tls_x509_cert_dir`) ?? '',
    v.str('default_tls_x509_cert_dir') ?? DEFAULT_TLS_DIR,
  ].filter(Boolean);
  return [...dirs, ...dirs.flatMap((d) => SERVER_CERT_FILES.map((f) => `${d}/${f}`))];
}

// ---- which getter reads each key (the type layer) ------------------------------------------------

type Getter = 'String' | 'Bool' | 'Int' | 'UInt' | 'ULLong' | 'StringList' | 'StringOrList' | 'Core';

const TLS_KEYS: Record<string, Getter> = Object.fromEntries(
  ['default', ...QEMU_SERVICES].flatMap((s) => [
    [`${s}_tls_x509_cert_dir`, 'String'],
    [`${s}_tls_x509_secret_uuid`, 'String'],
    [`${s}_tls_x509_verify`, 'Bool'],
  ]),
);
delete TLS_KEYS.spice_tls_x509_secret_uuid;
delete TLS_KEYS.spice_tls_x509_verify;
delete TLS_KEYS.vxhs_tls_x509_verify;
delete TLS_KEYS.nbd_tls_x509_verify;

/** qemu.conf: src/qemu/qemu_conf.c virQEMUDriverConfigLoadFile and its virQEMUDriverConfigLoad*Entry helpers. */
const QEMU_GETTERS: Record<string, Getter> = {
  ...TLS_KEYS,
  vnc_auto_unix_socket: 'Bool',
  vnc_tls: 'Bool',
  vnc_listen: 'String',
  vnc_password: 'String',
  vnc_sasl: 'Bool',
  vnc_sasl_dir: 'String',
  vnc_allow_host_audio: 'Bool',
  nographics_allow_host_audio: 'Bool',
  spice_tls: 'Bool',
  spice_sasl: 'Bool',
  spice_sasl_dir: 'String',
  spice_listen: 'String',
  spice_password: 'String',
  spice_auto_unix_socket: 'Bool',
  vxhs_tls: 'Bool',
  nbd_tls: 'Bool',
  chardev_tls: 'Bool',
  migrate_tls_force: 'Bool',
  remote_websocket_port_min: 'UInt',
  remote_websocket_port_max: 'UInt',
  remote_display_port_min: 'UInt',
  remote_display_port_max: 'UInt',
  save_image_format: 'String',
  dump_image_format: 'String',
  snapshot_image_format: 'String',
  auto_dump_path: 'String',
  auto_dump_bypass_cache: 'Bool',
  auto_start_bypass_cache: 'Bool',
  hugetlbfs_mount: 'StringOrList',
  bridge_helper: 'String',
  pr_helper: 'String',
  slirp_helper: 'String',
  dbus_daemon: 'String',
  set_process_name: 'Bool',
  max_processes: 'UInt',
  max_files: 'UInt',
  max_threads_per_process: 'UInt',
  max_core: 'Core',
  dump_guest_core: 'Bool',
  stdio_handler: 'String',
  sched_core: 'String',
  mac_filter: 'Bool',
  relaxed_acs_check: 'Bool',
  lock_manager: 'String',
  allow_disk_format_probing: 'Bool',
  max_queued: 'UInt',
  keepalive_interval: 'Int',
  keepalive_count: 'UInt',
  migration_port_min: 'UInt',
  migration_port_max: 'UInt',
  migration_host: 'String',
  migration_address: 'String',
  log_timestamp: 'Bool',
  nvram: 'StringList',
  gluster_debug_level: 'UInt',
  virtiofsd_debug: 'Bool',
  deprecation_behavior: 'String',
  security_driver: 'StringOrList',
  security_default_confined: 'Bool',
  security_require_confined: 'Bool',
  user: 'String',
  group: 'String',
  dynamic_ownership: 'Bool',
  remember_owner: 'Bool',
  cgroup_controllers: 'StringList',
  cgroup_device_acl: 'StringList',
  seccomp_sandbox: 'Int',
  namespaces: 'StringList',
  memory_backing_dir: 'String',
  swtpm_user: 'String',
  swtpm_group: 'String',
  capability_filters: 'StringList',
};

/** Read only by libvirtd (and virtproxyd), built WITH_IP; virtqemud ignores them. */
const DAEMON_IP_GETTERS: Record<string, Getter> = {
  listen_tcp: 'Bool',
  listen_tls: 'Bool',
  tls_port: 'String',
  tcp_port: 'String',
  listen_addr: 'String',
  auth_tcp: 'String',
  auth_tls: 'String',
  tls_no_sanity_certificate: 'Bool',
  tls_no_verify_certificate: 'Bool',
  key_file: 'String',
  cert_file: 'String',
  ca_file: 'String',
  crl_file: 'String',
  tls_allowed_dn_list: 'StringList',
  tls_priority: 'String',
  tcp_min_ssf: 'UInt',
};

/** libvirtd.conf / virtqemud.conf: src/remote/remote_daemon_config.c daemonConfigLoadOptions. */
const DAEMON_GETTERS: Record<string, Getter> = {
  auth_unix_rw: 'String',
  auth_unix_ro: 'String',
  access_drivers: 'StringList',
  unix_sock_group: 'String',
  unix_sock_admin_perms: 'String',
  unix_sock_ro_perms: 'String',
  unix_sock_rw_perms: 'String',
  unix_sock_dir: 'String',
  sasl_allowed_username_list: 'StringList',
  min_workers: 'UInt',
  max_workers: 'UInt',
  max_clients: 'UInt',
  max_queued_clients: 'UInt',
  max_anonymous_clients: 'UInt',
  prio_workers: 'UInt',
  max_client_requests: 'UInt',
  admin_min_workers: 'UInt',
  admin_max_workers: 'UInt',
  admin_max_clients: 'UInt',
  admin_max_queued_clients: 'UInt',
  admin_max_client_requests: 'UInt',
  audit_level: 'UInt',
  audit_logging: 'Bool',
  host_uuid: 'String',
  host_uuid_source: 'String',
  log_level: 'UInt',
  log_filters: 'String',
  log_outputs: 'String',
  keepalive_interval: 'Int',
  keepalive_count: 'UInt',
  admin_keepalive_interval: 'Int',
  admin_keepalive_count: 'UInt',
  ovs_timeout: 'UInt',
};

/** The getter libvirt reads `key` with in this file (undefined: libvirt 9.0 does not read it). */
export function getterOf(ctx: Pick<RuleContext, 'file' | 'daemon'>, key: string): Getter | undefined {
  if (ctx.file === 'qemu') return QEMU_GETTERS[key];
  return DAEMON_GETTERS[key] ?? (ctx.daemon === 'libvirtd' ? DAEMON_IP_GETTERS[key] : undefined);
}

/** Keys libvirt 9.0 reads in this file (the rules own their type checks). */
export function readsKey(ctx: Pick<RuleContext, 'file' | 'daemon'>, key: string): boolean {
  return getterOf(ctx, key) !== undefined;
}

function keysWith(file: ConfFileRole, ...getters: Getter[]): string[] {
  const table = file === 'qemu' ? QEMU_GETTERS : { ...DAEMON_GETTERS, ...DAEMON_IP_GETTERS };
  return Object.keys(table).filter((k) => getters.includes(table[k] as Getter));
}

const shown = (value: ConfValue) =>
  value.type === 'string' ? `"${value.value}"` : value.type === 'int' ? value.text : 'a list';

/** The consequence of an error, in words. */
function refusal(ctx: RuleContext): string {
  return `${ctx.daemon} would not start`;
}

function each(
  v: ConfValues,
  ctx: RuleContext,
  getters: Getter[],
  fn: (key: string, value: ConfValue) => string | null,
) {
  const findings: RuleFinding[] = [];
  for (const key of v.keys()) {
    const getter = getterOf(ctx, key);
    if (!getter || !getters.includes(getter)) continue;
    const message = fn(key, (v.entry(key) as ConfEntryNode).value);
    if (message) findings.push({ key, message });
  }
  return findings;
}

const VIRCONF = 'src/util/virconf.c';
const QEMU_CONF = 'src/qemu/qemu_conf.c';
const DAEMON_CONF = 'src/remote/remote_daemon_config.c daemonConfigLoadOptions';
const DAEMON_C = 'src/remote/remote_daemon.c';

/** qemu.conf's user / group (and swtpm's): resolved with virGetUserID / virGetGroupID at startup. */
function idRule(kind: 'user' | 'group', keys: string[], fns: string): ConfRule {
  return {
    id: `qemu.${kind}-exists`,
    file: 'qemu',
    keys,
    kind,
    severity: 'error',
    daemon: 'refuses-start',
    ref: `${QEMU_CONF} ${fns}; src/util/virutil.c ${kind === 'user' ? 'virGetUserID' : 'virGetGroupID'}`,
    summary: `${keys.join(' / ')}: a ${kind} that exists on the host, or a number ("+N" is always a number)`,
    needs: (v) => ({
      [kind === 'user' ? 'users' : 'groups']: keys
        .map((k) => v.str(k))
        .filter((s): s is string => s !== undefined && idLookup(s).name !== null),
    }),
    check: (v, ctx) =>
      keys.flatMap((key) => {
        const value = v.str(key);
        if (value === undefined || !ctx.facts) return [];
        const { name, number } = idLookup(value);
        const found =
          name === null ? false : kind === 'user' ? ctx.facts.users[name] : ctx.facts.groups[name];
        if (found === undefined || found || number) return [];
        return [
          {
            key,
            message: `Failed to parse ${kind} '${value.startsWith('+') ? value.slice(1) : value}': no such ${kind} on this host (${refusal(ctx)})`,
          },
        ];
      }),
    proof: {
      lines: [`${keys[0]} = "no-such-${kind}-virtdeck"`],
      via: 'start',
      expect: new RegExp(`Failed to parse ${kind} 'no-such-${kind}-virtdeck'`),
    },
    moreProofs: [
      {
        lines: [`${keys[1]} = "no-such-${kind}-virtdeck"`],
        via: 'start',
        expect: new RegExp(`Failed to parse ${kind} 'no-such-${kind}-virtdeck'`),
      },
    ],
  };
}

// ---- the table --------------------------------------------------------------------------------------

export const CONF_RULES: readonly ConfRule[] = [
  // ---- the type layer: which getter reads each key ---------------------------------------------------
  ...(['qemu', 'daemon'] as const).flatMap((file): ConfRule[] => [
    {
      id: `${file}.type.number-overflow`,
      file,
      keys: keysWith(file, 'Int', 'UInt', 'ULLong', 'Bool', 'Core'),
      kind: 'type',
      severity: 'warning',
      daemon: 'ignores',
      ref: `${VIRCONF} virConfParseLong`,
      summary: "numbers beyond 63 bits: libvirt's parser does not check and reads a wrapped value",
      check: (v, ctx) =>
        each(v, ctx, ['Int', 'UInt', 'ULLong', 'Bool', 'Core'], (key, value) => {
          const n = confNumber(value);
          return n?.overflow
            ? `${key} = ${shown(value)} does not fit libvirt's reader (virConfParseLong does not check): the daemon reads ${n.l}`
            : null;
        }),
    },
    {
      id: `${file}.type.string`,
      file,
      keys: keysWith(file, 'String'),
      kind: 'type',
      severity: 'error',
      daemon: 'refuses-start',
      ref: `${VIRCONF} virConfGetValueString`,
      summary: 'keys read as a string must be a quoted string',
      check: (v, ctx) =>
        each(v, ctx, ['String'], (key, value) =>
          value.type !== 'string'
            ? `${ctx.path}: expected a string for '${key}' parameter (${refusal(ctx)})`
            : null,
        ),
      proof: {
        lines: file === 'qemu' ? ['vnc_listen = 127'] : ['unix_sock_group = 0'],
        via: 'start',
        expect: /expected a string for '(vnc_listen|unix_sock_group)' parameter/,
      },
    },
    {
      id: `${file}.type.bool`,
      file,
      keys: keysWith(file, 'Bool'),
      kind: 'type',
      severity: 'error',
      daemon: 'refuses-start',
      ref: `${VIRCONF} virConfGetValueBool`,
      summary: 'booleans must be 0 or 1 (a non-negative number)',
      check: (v, ctx) =>
        each(v, ctx, ['Bool'], (key, value) => {
          const n = confNumber(value);
          if (!n || n.signed) return `${ctx.path}: expected a bool for '${key}' parameter (${refusal(ctx)})`;
          if (unsignedOf(n) > 1n)
            return `${ctx.path}: value for '${key}' parameter must be 0 or 1 (${refusal(ctx)})`;
          return null;
        }),
      proof: {
        lines: file === 'qemu' ? ['vnc_tls = 2'] : ['listen_tls = 2'],
        via: 'start',
        expect: /value for '(vnc_tls|listen_tls)' parameter must be 0 or 1/,
      },
    },
    {
      id: `${file}.type.int`,
      file,
      keys: keysWith(file, 'Int'),
      kind: 'range',
      severity: 'error',
      daemon: 'refuses-start',
      ref: `${VIRCONF} virConfGetValueInt`,
      summary: 'signed integers must fit an int (-2147483648…2147483647)',
      check: (v, ctx) =>
        each(v, ctx, ['Int'], (key, value) => {
          const n = confNumber(value);
          if (!n) return `${ctx.path}: expected a signed integer for '${key}' parameter (${refusal(ctx)})`;
          if (n.l < INT_MIN || n.l > INT_MAX)
            return `${ctx.path}: value for '${key}' parameter must be in range -2147483648:2147483647 (${refusal(ctx)})`;
          return null;
        }),
      proof: {
        lines: ['keepalive_interval = 3000000000'],
        via: 'start',
        expect: /value for 'keepalive_interval' parameter must be in range -2147483648:2147483647/,
      },
    },
    {
      id: `${file}.type.uint`,
      file,
      keys: keysWith(file, 'UInt', 'ULLong'),
      kind: 'range',
      severity: 'error',
      daemon: 'refuses-start',
      ref: `${VIRCONF} virConfGetValueUInt, virConfGetValueULLong`,
      summary: 'unsigned integers: no minus sign (not even -0), at most 4294967295 (unsigned int)',
      check: (v, ctx) =>
        each(v, ctx, ['UInt', 'ULLong', 'Core'], (key, value) => {
          if (value.type === 'string' && getterOf(ctx, key) === 'Core') return null; // qemu.max-core
          const n = confNumber(value);
          if (!n || n.signed)
            return `${ctx.path}: expected an unsigned integer for '${key}' parameter (${refusal(ctx)})`;
          if (getterOf(ctx, key) === 'UInt' && unsignedOf(n) > UINT_MAX)
            return `${ctx.path}: value for '${key}' parameter must be in range 0:4294967295 (${refusal(ctx)})`;
          return null;
        }),
      proof: {
        lines: file === 'qemu' ? ['max_files = 4294967296'] : ['max_clients = -1'],
        via: 'start',
        expect:
          file === 'qemu'
            ? /value for 'max_files' parameter must be in range 0:4294967295/
            : /expected an unsigned integer for 'max_clients' parameter/,
      },
    },
    {
      id: `${file}.type.string-list`,
      file,
      keys: keysWith(file, 'StringList', 'StringOrList'),
      kind: 'type',
      severity: 'error',
      daemon: 'refuses-start',
      ref: `${VIRCONF} virConfGetValueStringList`,
      summary: 'lists must hold only strings; security_driver and hugetlbfs_mount also take one string',
      check: (v, ctx) =>
        each(v, ctx, ['StringList', 'StringOrList'], (key, value) => {
          const compat = getterOf(ctx, key) === 'StringOrList';
          if (value.type === 'string' && compat) return null;
          if (value.type === 'list' && value.items.every((i) => i.type === 'string')) return null;
          return value.type === 'list'
            ? `${ctx.path}: expected a string list for '${key}' parameter (${refusal(ctx)})`
            : compat
              ? `${ctx.path}: expected a string or string list for '${key}' parameter (${refusal(ctx)})`
              : `${ctx.path}: expected a string list for '${key}' parameter (${refusal(ctx)})`;
        }),
      proof: {
        lines: file === 'qemu' ? ['cgroup_controllers = "cpu"'] : ['access_drivers = [ "none", 1 ]'],
        via: 'start',
        expect: /expected a string list for '(cgroup_controllers|access_drivers)' parameter/,
      },
    },
  ]),
  {
    id: 'daemon.ignored-keys',
    file: 'daemon',
    keys: ['keepalive_required', 'admin_keepalive_required', ...Object.keys(DAEMON_IP_GETTERS)],
    kind: 'ignored',
    severity: 'warning',
    daemon: 'ignores',
    ref: DAEMON_CONF,
    summary:
      'keys the lens knows but the daemon does not read: keepalive_required (gone), the network keys in virtqemud.conf',
    check: (v, ctx) => {
      const findings: RuleFinding[] = [];
      for (const key of ['keepalive_required', 'admin_keepalive_required'])
        if (v.has(key))
          findings.push({ key, message: `${key} is no longer read by libvirt: ${ctx.daemon} ignores it` });
      if (ctx.daemon === 'virtqemud')
        for (const key of Object.keys(DAEMON_IP_GETTERS))
          if (v.has(key))
            findings.push({
              key,
              message: `${key} is read only by libvirtd (built with TCP/IP support); virtqemud ignores it`,
            });
      return findings;
    },
  },

  // ---- qemu.conf -------------------------------------------------------------------------------------
  ...(
    [
      ['remote_display_port', 5900n, 'virQEMUDriverConfigLoadRemoteDisplayEntry'],
      ['remote_websocket_port', 5700n, 'virQEMUDriverConfigLoadRemoteDisplayEntry'],
    ] as const
  ).map(([prefix, floor, fn]): ConfRule => ({
    id: `qemu.${prefix.replace(/_/g, '-')}-range`,
    file: 'qemu',
    keys: [`${prefix}_min`, `${prefix}_max`],
    kind: 'port-range',
    severity: 'error',
    daemon: 'refuses-start',
    ref: `${QEMU_CONF} ${fn}`,
    summary: `${prefix}_min ≥ ${floor}, ${prefix}_max ≤ 65535 and not below the minimum (unset: ${floor}…65535)`,
    check: (v, ctx) => {
      const min = v.num(`${prefix}_min`) ?? floor;
      const max = v.num(`${prefix}_max`) ?? 65535n;
      if (min < floor)
        return [
          {
            key: `${prefix}_min`,
            message: `${ctx.path}: ${prefix}_min: port must be greater than or equal to ${floor} (${refusal(ctx)})`,
          },
        ];
      if (max > 65535n || max < min)
        return [
          {
            key: v.has(`${prefix}_max`) ? `${prefix}_max` : `${prefix}_min`,
            message: `${ctx.path}: ${prefix}_max: port must be between the minimal port and 65535${v.has(`${prefix}_max`) ? '' : ` (${prefix}_max is not set: 65535)`} (${refusal(ctx)})`,
          },
        ];
      return [];
    },
    proof: {
      lines: [`${prefix}_min = ${floor - 1n}`],
      via: 'start',
      expect: new RegExp(`${prefix}_min: port must be greater than or equal to ${floor}`),
    },
  })),
  {
    id: 'qemu.migration-port-range',
    file: 'qemu',
    keys: ['migration_port_min', 'migration_port_max'],
    kind: 'port-range',
    severity: 'error',
    daemon: 'refuses-start',
    ref: `${QEMU_CONF} virQEMUDriverConfigLoadNetworkEntry`,
    summary: 'migration_port_min > 0, migration_port_max ≤ 65535 and ≥ the minimum (unset: 49152…49215)',
    check: (v, ctx) => {
      const min = v.num('migration_port_min') ?? 49152n;
      const max = v.num('migration_port_max') ?? 49215n;
      if (min <= 0n)
        return [
          {
            key: 'migration_port_min',
            message: `${ctx.path}: migration_port_min: port must be greater than 0 (${refusal(ctx)})`,
          },
        ];
      if (max > 65535n || max < min)
        return [
          {
            key: v.has('migration_port_max') ? 'migration_port_max' : 'migration_port_min',
            message: `${ctx.path}: migration_port_max: port must be between the minimal port ${min} and 65535${v.has('migration_port_max') ? '' : ' (migration_port_max is not set: 49215)'} (${refusal(ctx)})`,
          },
        ];
      return [];
    },
    proof: {
      lines: ['migration_port_min = 50000'],
      via: 'start',
      expect: /migration_port_max: port must be between the minimal port 50000 and 65535/,
    },
  },
  {
    id: 'qemu.migration-not-localhost',
    file: 'qemu',
    keys: ['migration_host', 'migration_address'],
    kind: 'address',
    severity: 'error',
    daemon: 'refuses-start',
    ref: `${QEMU_CONF} virQEMUDriverConfigLoadNetworkEntry (virSocketAddrIsNumericLocalhost)`,
    summary: 'migration_host / migration_address must not start with "localhost" or be 127.0.0.1 / ::1',
    check: (v, ctx) =>
      (['migration_host', 'migration_address'] as const).flatMap((key) => {
        const raw = v.str(key);
        if (raw === undefined) return [];
        const value = raw.startsWith('[') && raw.endsWith(']') ? raw.slice(1, -1) : raw; // virStringStripIPv6Brackets
        return value.startsWith('localhost') || numericLocalhost(value)
          ? [
              {
                key,
                message: `${key} must not be the address of the local machine: ${value} (${refusal(ctx)})`,
              },
            ]
          : [];
      }),
    proof: {
      lines: ['migration_host = "localhost"'],
      via: 'start',
      expect: /migration_host must not be the address of the local machine: localhost/,
    },
    moreProofs: [
      {
        lines: ['migration_address = "127.1"'],
        via: 'start',
        expect: /migration_address must not be the address of the local machine: 127\.1/,
      },
    ],
  },
  {
    id: 'qemu.graphics-listen',
    file: 'qemu',
    keys: ['vnc_listen', 'spice_listen'],
    kind: 'address',
    severity: 'error',
    daemon: 'refuses-guest-start',
    ref: 'src/qemu/qemu_process.c qemuProcessGraphicsSetupListen, src/qemu/qemu_command.c qemuBuildGraphicsVNCCommandLine (QEMU resolves the address)',
    summary:
      'vnc_listen / spice_listen: an IP address (IPv6 without brackets: libvirt adds them) or a host name this host resolves',
    needs: (v) => ({
      hosts: (['vnc_listen', 'spice_listen'] as const)
        .map((k) => v.str(k))
        .filter((s): s is string => s !== undefined && s !== '' && isIP(s) === 0 && !s.startsWith('[')),
    }),
    check: (v, ctx) =>
      (['vnc_listen', 'spice_listen'] as const).flatMap((key) => {
        const value = v.str(key);
        if (value === undefined || value === '' || isIP(value) !== 0) return [];
        const what = key === 'vnc_listen' ? 'VNC' : 'SPICE';
        if (value.startsWith('['))
          return [
            {
              key,
              message: `${key} = "${value}": write IPv6 addresses without brackets; libvirt adds them and QEMU cannot parse "[${value}]" (guests with ${what} graphics would fail to start)`,
            },
          ];
        if (ctx.facts?.hosts[value] === false)
          return [
            {
              key,
              message: `${key} = "${value}" is neither an IP address nor a name this host resolves: QEMU fails with "address resolution failed" and guests with ${what} graphics would not start`,
            },
          ];
        return [];
      }),
    proof: {
      lines: ['vnc_listen = "no-such-host.virtdeck.invalid"'],
      via: 'guest',
      expect: /address resolution failed for no-such-host\.virtdeck\.invalid/,
    },
  },
  {
    id: 'qemu.auto-unix-socket-vs-listen',
    file: 'qemu',
    keys: ['vnc_auto_unix_socket', 'vnc_listen', 'spice_auto_unix_socket', 'spice_listen'],
    kind: 'combination',
    severity: 'warning',
    daemon: 'ignores',
    ref: 'src/qemu/qemu_process.c qemuProcessGraphicsSetupListen',
    summary: '*_auto_unix_socket = 1 takes precedence: *_listen is then not used',
    check: (v) =>
      (['vnc', 'spice'] as const).flatMap((g) =>
        v.bool(`${g}_auto_unix_socket`) === true && v.has(`${g}_listen`)
          ? [
              {
                key: `${g}_listen`,
                message: `${g}_listen is not used while ${g}_auto_unix_socket = 1: guests without a listen address get a UNIX socket instead`,
              },
            ]
          : [],
      ),
  },
  {
    id: 'qemu.tls-cert-dir-exists',
    file: 'qemu',
    keys: ['default_tls_x509_cert_dir', ...QEMU_SERVICES.map((s) => `${s}_tls_x509_cert_dir`)],
    kind: 'path',
    severity: 'error',
    daemon: 'refuses-start',
    ref: `${QEMU_CONF} virQEMUDriverConfigValidate`,
    summary: 'a TLS certificate directory that is set must exist',
    newer: 'libvirt 11.3 adds rdp_tls_x509_cert_dir with the same check',
    needs: (v) => ({
      paths: ['default', ...QEMU_SERVICES]
        .map((s) => v.str(`${s}_tls_x509_cert_dir`))
        .filter((s): s is string => s !== undefined),
    }),
    check: (v, ctx) =>
      ['default', ...QEMU_SERVICES].flatMap((s) => {
        const key = `${s}_tls_x509_cert_dir`;
        const dir = v.str(key);
        if (dir === undefined) return [];
        const fact = pathFact(ctx, dir);
        if (fact === undefined) return [];
        if (!exists(fact))
          return [{ key, message: `${key} directory '${dir}' does not exist (${refusal(ctx)})` }];
        return [];
      }),
    proof: {
      lines: ['vnc_tls_x509_cert_dir = "/etc/pki/virtdeck-no-such-dir"'],
      via: 'start',
      expect: /vnc_tls_x509_cert_dir directory '\/etc\/pki\/virtdeck-no-such-dir' does not exist/,
    },
  },
  {
    id: 'qemu.graphics-tls-certificates',
    file: 'qemu',
    keys: [
      'vnc_tls',
      'spice_tls',
      'vnc_tls_x509_cert_dir',
      'spice_tls_x509_cert_dir',
      'default_tls_x509_cert_dir',
    ],
    kind: 'combination',
    severity: 'error',
    daemon: 'refuses-guest-start',
    ref: `${QEMU_CONF} virQEMUDriverConfigSetDefaults (the directory); src/qemu/qemu_command.c qemuBuildGraphicsVNCCommandLine / qemuBuildGraphicsSPICECommandLine (QEMU loads ca-cert.pem, server-cert.pem, server-key.pem)`,
    summary:
      'vnc_tls / spice_tls = 1 need ca-cert.pem, server-cert.pem and server-key.pem in the directory libvirt picks',
    needs: (v) => ({ paths: [...tlsDirNeeds(v, 'vnc'), ...tlsDirNeeds(v, 'spice')] }),
    check: (v, ctx) =>
      (['vnc', 'spice'] as const).flatMap((g) => {
        if (v.bool(`${g}_tls`) !== true) return [];
        const dir = tlsDir(v, ctx, g);
        if (dir === null) return [];
        const dirFact = pathFact(ctx, dir);
        // A directory that is set and missing: qemu.tls-cert-dir-exists says so.
        if (
          dirFact === undefined ||
          (!exists(dirFact) && (v.has(`${g}_tls_x509_cert_dir`) || v.has('default_tls_x509_cert_dir')))
        )
          return [];
        const missing = SERVER_CERT_FILES.filter((f) => {
          const fact = pathFact(ctx, `${dir}/${f}`);
          return fact !== undefined && !exists(fact);
        });
        if (missing.length === 0) return [];
        return [
          {
            key: `${g}_tls`,
            message: `${g}_tls = 1 but ${dir} has no ${missing.join(', ')}: ${g === 'vnc' ? `QEMU reports "Unable to access credentials ${dir}/${missing[0]}" and guests with VNC graphics` : `SPICE reports "Could not load certificates from ${dir}/…" and guests with SPICE graphics`} would not start`,
          },
        ];
      }),
    proof: {
      lines: ['vnc_tls = 1'],
      via: 'guest',
      expect: /Unable to access credentials \/etc\/pki\/qemu\/ca-cert\.pem/,
    },
    moreProofs: [
      {
        lines: ['spice_tls = 1'],
        via: 'guest',
        expect: /Could not load certificates from \/etc\/pki\/qemu\/server-cert\.pem/,
      },
    ],
  },
  {
    id: 'qemu.tls-certificates-on-use',
    file: 'qemu',
    keys: ['chardev_tls', 'nbd_tls', 'vxhs_tls', 'migrate_tls_force'],
    kind: 'combination',
    severity: 'warning',
    daemon: 'fails-if-used',
    ref: `${QEMU_CONF} virQEMUDriverConfigSetDefaults; src/qemu/qemu_command.c qemuBuildTLSx509BackendProps`,
    summary: 'chardev_tls / nbd_tls / vxhs_tls / migrate_tls_force = 1 without ca-cert.pem in the directory',
    needs: (v) => ({
      paths: (['chardev', 'nbd', 'vxhs', 'migrate'] as const).flatMap((s) => tlsDirNeeds(v, s)),
    }),
    check: (v, ctx) =>
      (
        [
          ['chardev_tls', 'chardev', 'TLS character devices'],
          ['nbd_tls', 'nbd', 'NBD disks and migration with TLS'],
          ['vxhs_tls', 'vxhs', 'VxHS disks'],
          ['migrate_tls_force', 'migrate', 'every migration (TLS is forced)'],
        ] as const
      ).flatMap(([key, service, what]) => {
        if (v.bool(key) !== true) return [];
        const dir = tlsDir(v, ctx, service);
        const fact = dir === null ? undefined : pathFact(ctx, `${dir}/ca-cert.pem`);
        return fact !== undefined && !exists(fact)
          ? [{ key, message: `${key} = 1 but ${dir}/ca-cert.pem does not exist: ${what} would fail` }]
          : [];
      }),
  },
  {
    id: 'qemu.tls-secret-uuid',
    file: 'qemu',
    keys: ['default', ...QEMU_SERVICES].filter((s) => s !== 'spice').map((s) => `${s}_tls_x509_secret_uuid`),
    kind: 'format',
    severity: 'warning',
    daemon: 'fails-if-used',
    ref: 'src/qemu/qemu_domain.c qemuDomainSecretInfoTLSNew (virUUIDParse, then the secret is looked up)',
    summary: 'a TLS secret must be a UUID of a libvirt secret; the all-zeros example does not work',
    check: (v) =>
      ['default', ...QEMU_SERVICES]
        .filter((s) => s !== 'spice')
        .flatMap((s) => {
          const key = `${s}_tls_x509_secret_uuid`;
          const value = v.str(key);
          if (value === undefined) return [];
          const uuid = parseUuid(value);
          if (!uuid)
            return [{ key, message: `${key} = "${value}" is not a UUID: TLS with a secret would fail` }];
          if (!uuidUsable(uuid))
            return [
              {
                key,
                message: `${key} is the placeholder all-zeros UUID ("This default all-zeros UUID will not work"): use the UUID of your secret (virsh secret-list)`,
              },
            ];
          return [];
        }),
  },
  {
    id: 'qemu.vnc-password-length',
    file: 'qemu',
    keys: ['vnc_password'],
    kind: 'range',
    severity: 'warning',
    daemon: 'warns',
    ref: `${QEMU_CONF} virQEMUDriverConfigLoadVNCEntry`,
    summary: 'VNC passwords longer than 8 characters are truncated',
    check: (v) => {
      const pw = v.str('vnc_password');
      return pw !== undefined && Buffer.byteLength(pw) > 8
        ? [
            {
              key: 'vnc_password',
              message: `VNC password is ${Buffer.byteLength(pw)} characters long, only 8 permitted, truncating (libvirt uses only the first 8)`,
            },
          ]
        : [];
    },
  },
  {
    id: 'qemu.sasl-dir',
    file: 'qemu',
    keys: ['vnc_sasl_dir', 'spice_sasl_dir'],
    kind: 'path',
    severity: 'warning',
    daemon: 'ignores',
    ref: 'src/qemu/qemu_command.c qemuBuildGraphicsVNCCommandLine / qemuBuildGraphicsSPICECommandLine (SASL_CONF_PATH)',
    summary: 'a SASL configuration directory should exist (QEMU then uses the built-in defaults)',
    needs: (v) => ({
      paths: (['vnc_sasl_dir', 'spice_sasl_dir'] as const)
        .map((k) => v.str(k))
        .filter((s): s is string => !!s),
    }),
    check: (v, ctx) =>
      (['vnc', 'spice'] as const).flatMap((g) => {
        const key = `${g}_sasl_dir`;
        const dir = v.str(key);
        const fact = dir === undefined ? undefined : pathFact(ctx, dir);
        return fact && fact.type !== 'dir'
          ? [
              {
                key,
                message: `${key}: ${dir} is not a directory on this host: SASL would not read a configuration from it`,
              },
            ]
          : [];
      }),
  },
  {
    id: 'qemu.security-driver',
    file: 'qemu',
    keys: ['security_driver'],
    kind: 'enum',
    severity: 'error',
    daemon: 'refuses-start',
    ref: `${QEMU_CONF} virQEMUDriverConfigLoadSecurityEntry; src/qemu/qemu_driver.c qemuSecurityInit; src/security/security_driver.c virSecurityDriverLookup`,
    summary:
      'security drivers: "selinux" or "apparmor" when enabled on the host, or "none"; each once ("dac" is always added, not a name here)',
    newer: 'the names are the same in later releases',
    check: (v, ctx) => {
      const names = v.list('security_driver', true);
      if (!names) return [];
      const seen = new Set<string>();
      for (const name of names) {
        if (seen.has(name))
          return [{ key: 'security_driver', message: `Duplicate security driver ${name} (${refusal(ctx)})` }];
        seen.add(name);
      }
      for (const name of names) {
        if (name === 'none') continue;
        if (name === 'selinux' || name === 'apparmor') {
          if (!ctx.facts) continue;
          const enabled = name === 'selinux' ? ctx.facts.selinux : ctx.facts.apparmor;
          if (!enabled)
            return [
              {
                key: 'security_driver',
                message: `Security driver ${name} not enabled (${name === 'selinux' ? 'SELinux is not enabled on this host' : 'AppArmor does not confine the daemon here or its libvirt templates are missing'}): ${refusal(ctx)} ("Failed to initialize security drivers")`,
              },
            ];
          continue;
        }
        return [
          {
            key: 'security_driver',
            message: `Security driver ${name} not found: the names are selinux, apparmor and none${name === 'dac' ? ' (DAC is always used, it is not named here)' : ''}; ${refusal(ctx)} ("Failed to initialize security drivers")`,
          },
        ];
      }
      return [];
    },
    proof: {
      lines: ['security_driver = "dac"'],
      via: 'start',
      expect: /Failed to initialize security drivers/,
    },
  },
  {
    id: 'qemu.require-confined',
    file: 'qemu',
    keys: ['security_require_confined', 'security_driver'],
    kind: 'combination',
    severity: 'error',
    daemon: 'refuses-start',
    ref: 'src/security/security_manager.c virSecurityManagerNew',
    summary:
      'security_require_confined = 1 needs a confining driver: with "none" (set, or the only one the host has) the daemon refuses',
    check: (v, ctx) => {
      if (v.bool('security_require_confined') !== true) return [];
      const names = v.list('security_driver', true);
      const none =
        names && names.length > 0
          ? names.includes('none')
          : ctx.facts
            ? !ctx.facts.selinux && !ctx.facts.apparmor
            : false;
      return none
        ? [
            {
              key: 'security_require_confined',
              message: `Security driver "none" cannot create confined guests: security_require_confined = 1 needs SELinux or AppArmor${names && names.length > 0 ? '' : ', and this host has neither'}; ${refusal(ctx)} ("Failed to initialize security drivers")`,
            },
          ]
        : [];
    },
    proof: {
      lines: ['security_require_confined = 1'],
      via: 'start',
      expect: /Failed to initialize security drivers/,
    },
  },
  idRule(
    'user',
    ['user', 'swtpm_user'],
    'virQEMUDriverConfigLoadSecurityEntry, virQEMUDriverConfigLoadSWTPMEntry',
  ),
  idRule(
    'group',
    ['group', 'swtpm_group'],
    'virQEMUDriverConfigLoadSecurityEntry, virQEMUDriverConfigLoadSWTPMEntry',
  ),
  {
    id: 'qemu.cgroup-controllers',
    file: 'qemu',
    keys: ['cgroup_controllers'],
    kind: 'enum',
    severity: 'error',
    daemon: 'refuses-start',
    ref: `${QEMU_CONF} virQEMUDriverConfigLoadSecurityEntry; src/util/vircgroup.c VIR_ENUM_IMPL(virCgroupController)`,
    summary:
      'cgroup controllers: cpu, cpuacct, cpuset, memory, devices, freezer, blkio, net_cls, perf_event, name=systemd',
    check: (v, ctx) => {
      const names = [
        'cpu',
        'cpuacct',
        'cpuset',
        'memory',
        'devices',
        'freezer',
        'blkio',
        'net_cls',
        'perf_event',
        'name=systemd',
      ];
      const bad = (v.list('cgroup_controllers') ?? []).find((c) => !names.includes(c));
      return bad !== undefined
        ? [{ key: 'cgroup_controllers', message: `Unknown cgroup controller '${bad}' (${refusal(ctx)})` }]
        : [];
    },
    proof: {
      lines: ['cgroup_controllers = [ "cpu", "io" ]'],
      via: 'start',
      expect: /Unknown cgroup controller 'io'/,
    },
  },
  {
    id: 'qemu.namespaces',
    file: 'qemu',
    keys: ['namespaces'],
    kind: 'enum',
    severity: 'error',
    daemon: 'refuses-start',
    ref: `${QEMU_CONF} virQEMUDriverConfigLoadSecurityEntry; src/qemu/qemu_namespace.c VIR_ENUM_IMPL(qemuDomainNamespace)`,
    summary: 'the only namespace is "mount"',
    check: (v, ctx) => {
      const bad = (v.list('namespaces') ?? []).find((n) => n !== 'mount');
      return bad !== undefined
        ? [{ key: 'namespaces', message: `Unknown namespace: ${bad} (${refusal(ctx)})` }]
        : [];
    },
    proof: { lines: ['namespaces = [ "pid" ]'], via: 'start', expect: /Unknown namespace: pid/ },
  },
  {
    id: 'qemu.cgroup-device-acl',
    file: 'qemu',
    keys: ['cgroup_device_acl'],
    kind: 'list',
    severity: 'warning',
    daemon: 'ignores',
    ref: 'src/qemu/qemu_cgroup.c qemuSetupDevicesCgroup, qemuCgroupAllowDevicesPaths (defaultDeviceACL)',
    summary:
      'entries are device nodes (missing ones are skipped); replacing the list drops the defaults (/dev/null, /dev/kvm…) unless repeated',
    needs: (v) => ({ paths: v.list('cgroup_device_acl') ?? [] }),
    check: (v, ctx) => {
      const acl = v.list('cgroup_device_acl');
      if (!acl) return [];
      const findings: RuleFinding[] = [];
      const defaults = [
        '/dev/null',
        '/dev/full',
        '/dev/zero',
        '/dev/random',
        '/dev/urandom',
        '/dev/ptmx',
        '/dev/kvm',
      ];
      const dropped = defaults.filter((d) => !acl.includes(d));
      if (dropped.length > 0)
        findings.push({
          key: 'cgroup_device_acl',
          message: `cgroup_device_acl replaces libvirt's default list: ${dropped.join(', ')} would no longer be allowed to guests`,
        });
      const missing = acl.filter((p) => {
        const fact = pathFact(ctx, p);
        return fact !== undefined && !exists(fact);
      });
      if (missing.length > 0)
        findings.push({
          key: 'cgroup_device_acl',
          message: `cgroup_device_acl: ${missing.join(', ')} ${missing.length > 1 ? 'do' : 'does'} not exist on this host (libvirt skips them)`,
        });
      return findings;
    },
  },
  {
    id: 'qemu.image-format',
    file: 'qemu',
    keys: ['save_image_format', 'snapshot_image_format'],
    kind: 'enum',
    severity: 'error',
    daemon: 'refuses-on-use',
    ref: 'src/qemu/qemu_saveimage.c qemuSaveImageGetCompressionProgram (VIR_ENUM_IMPL(qemuSaveCompression))',
    summary:
      'save/snapshot image formats: raw, gzip, bzip2, xz, lzop, and the program must be installed; else saving a guest fails',
    newer:
      'libvirt 11.3 refuses an invalid save/dump/snapshot format at startup ("Invalid save_image_format \'…\'") and adds zstd and sparse (taken here on a libvirt other than 9.0)',
    needs: (v) => ({
      commands: (['save_image_format', 'snapshot_image_format'] as const)
        .map((k) => v.str(k))
        .filter((s): s is string => !!s && s !== 'raw' && ['gzip', 'bzip2', 'xz', 'lzop'].includes(s)),
    }),
    check: (v, ctx) =>
      (['save_image_format', 'snapshot_image_format'] as const).flatMap((key) => {
        const value = v.str(key);
        if (value === undefined) return [];
        const style = key === 'save_image_format' ? 'save' : 'snapshot';
        const use =
          key === 'save_image_format' ? 'virsh save and managedsave' : 'external snapshots with memory';
        if (!['raw', 'gzip', 'bzip2', 'xz', 'lzop'].includes(value)) {
          if (!isLibvirt90(ctx) && ['zstd', 'sparse'].includes(value)) return [];
          return [
            {
              key,
              message: `Invalid ${style} image format specified in configuration file: "${value}" (${use} would fail)`,
            },
          ];
        }
        if (value !== 'raw' && ctx.facts?.commands[value] === false)
          return [
            {
              key,
              message: `Compression program for ${style} image format in configuration file isn't available: ${value} is not installed (${use} would fail)`,
            },
          ];
        return [];
      }),
    proof: {
      lines: ['save_image_format = "zip"'],
      via: 'save',
      expect: /Invalid save image format specified in configuration file/,
    },
  },
  {
    id: 'qemu.dump-image-format',
    file: 'qemu',
    keys: ['dump_image_format'],
    kind: 'enum',
    severity: 'warning',
    daemon: 'warns',
    ref: 'src/qemu/qemu_saveimage.c qemuSaveImageGetCompressionProgram (use_raw_on_fail)',
    summary: 'dump_image_format: an unknown format or missing program makes dumps fall back to raw',
    newer: 'libvirt 11.3 refuses an invalid dump_image_format at startup instead',
    needs: (v) => {
      const value = v.str('dump_image_format');
      return { commands: value && ['gzip', 'bzip2', 'xz', 'lzop'].includes(value) ? [value] : [] };
    },
    check: (v, ctx) => {
      const value = v.str('dump_image_format');
      if (value === undefined) return [];
      if (!['raw', 'gzip', 'bzip2', 'xz', 'lzop'].includes(value))
        return [
          {
            key: 'dump_image_format',
            message: `Invalid dump image format specified in configuration file, using raw ("${value}")`,
          },
        ];
      if (value !== 'raw' && ctx.facts?.commands[value] === false)
        return [
          {
            key: 'dump_image_format',
            message: `Compression program for dump image format in configuration file isn't available, using raw (${value} is not installed)`,
          },
        ];
      return [];
    },
  },
  {
    id: 'qemu.hugetlbfs-mount',
    file: 'qemu',
    keys: ['hugetlbfs_mount'],
    kind: 'path',
    severity: 'error',
    daemon: 'refuses-start',
    ref: `${QEMU_CONF} virQEMUDriverConfigHugeTLBFSInit; src/util/virfile.c virFileGetHugepageSize`,
    summary: 'each hugetlbfs_mount must be a mounted hugetlbfs',
    needs: (v) => ({ paths: v.list('hugetlbfs_mount', true) ?? [] }),
    check: (v, ctx) => {
      for (const path of v.list('hugetlbfs_mount', true) ?? []) {
        const fact = pathFact(ctx, path);
        if (fact === undefined) continue;
        if (!exists(fact))
          return [
            {
              key: 'hugetlbfs_mount',
              message: `cannot determine filesystem for '${path}': No such file or directory (${refusal(ctx)})`,
            },
          ];
        if (fact.fs !== 'hugetlbfs')
          return [
            {
              key: 'hugetlbfs_mount',
              message: `not a hugetlbfs mount: '${path}' (it is ${fact.fs ?? 'unknown'}; ${refusal(ctx)})`,
            },
          ];
      }
      return [];
    },
    proof: { lines: ['hugetlbfs_mount = "/tmp"'], via: 'start', expect: /not a hugetlbfs mount: '\/tmp'/ },
  },
  {
    id: 'qemu.helper-programs',
    file: 'qemu',
    keys: ['bridge_helper', 'pr_helper', 'slirp_helper', 'dbus_daemon'],
    kind: 'path',
    severity: 'warning',
    daemon: 'fails-if-used',
    ref: `${QEMU_CONF} virQEMUDriverConfigLoadProcessEntry (read); used when a guest needs the helper`,
    summary: 'helper programs must be executable files; guests that need them fail to start otherwise',
    needs: (v) => ({
      paths: (['bridge_helper', 'pr_helper', 'slirp_helper', 'dbus_daemon'] as const)
        .map((k) => v.str(k))
        .filter((s): s is string => !!s && isAbsolute(s)),
    }),
    check: (v, ctx) =>
      (
        [
          ['bridge_helper', 'guests with <interface type="bridge"> in session mode'],
          ['pr_helper', 'guests with managed persistent reservations'],
          ['slirp_helper', 'guests with user-mode networking through the slirp helper'],
          ['dbus_daemon', 'guests that need a D-Bus daemon (dbus graphics, vmstate)'],
        ] as const
      ).flatMap(([key, who]) => {
        const value = v.str(key);
        if (value === undefined) return [];
        if (!isAbsolute(value)) return [];
        const fact = pathFact(ctx, value);
        return fact && (fact.type !== 'file' || !fact.executable)
          ? [
              {
                key,
                message: `${key}: ${value} is not an executable file on this host; ${who} would fail to start`,
              },
            ]
          : [];
      }),
  },
  {
    id: 'qemu.stdio-handler',
    file: 'qemu',
    keys: ['stdio_handler'],
    kind: 'enum',
    severity: 'error',
    daemon: 'refuses-start',
    ref: `${QEMU_CONF} virQEMUDriverConfigLoadProcessEntry`,
    summary: 'stdio_handler: "logd" or "file"',
    check: (v, ctx) => {
      const value = v.str('stdio_handler');
      return value !== undefined && value !== 'logd' && value !== 'file'
        ? [{ key: 'stdio_handler', message: `Unknown stdio handler ${value} (${refusal(ctx)})` }]
        : [];
    },
    proof: { lines: ['stdio_handler = "journald"'], via: 'start', expect: /Unknown stdio handler journald/ },
  },
  {
    id: 'qemu.sched-core',
    file: 'qemu',
    keys: ['sched_core'],
    kind: 'enum',
    severity: 'error',
    daemon: 'refuses-start',
    ref: `${QEMU_CONF} virQEMUDriverConfigLoadProcessEntry (VIR_ENUM_IMPL(virQEMUSchedCore)); src/util/virprocess.c virProcessSchedCoreAvailable`,
    summary: 'sched_core: none, vcpus, emulator, full; all but none need a kernel with core scheduling',
    check: (v, ctx) => {
      const value = v.str('sched_core');
      if (value === undefined) return [];
      if (!['none', 'vcpus', 'emulator', 'full'].includes(value))
        return [{ key: 'sched_core', message: `Unknown sched_core value ${value} (${refusal(ctx)})` }];
      if (value !== 'none' && ctx.facts?.schedCore === false)
        return [
          {
            key: 'sched_core',
            message: `SCHED_CORE not supported by kernel (sched_core = "${value}"; ${refusal(ctx)})`,
          },
        ];
      return [];
    },
    proof: { lines: ['sched_core = "all"'], via: 'start', expect: /Unknown sched_core value all/ },
  },
  {
    id: 'qemu.lock-manager',
    file: 'qemu',
    keys: ['lock_manager'],
    kind: 'enum',
    severity: 'error',
    daemon: 'refuses-start',
    ref: 'src/qemu/qemu_driver.c qemuStateInitialize; src/locking/lock_manager.c virLockManagerPluginNew',
    summary: 'lock_manager: "nop" or a plugin installed in libvirt\'s lock-driver directory',
    check: (v, ctx) => {
      const value = v.str('lock_manager');
      const plugins = ctx.facts?.lockDrivers;
      if (value === undefined || value === 'nop' || !plugins) return [];
      return plugins.includes(value)
        ? []
        : [
            {
              key: 'lock_manager',
              message: `Plugin …/libvirt/lock-driver/${value}.so not accessible: No such file or directory (installed: ${['nop', ...plugins].join(', ')}; ${refusal(ctx)})`,
            },
          ];
    },
    proof: {
      lines: ['lock_manager = "sanlock"'],
      via: 'start',
      expect: /Plugin .*sanlock\.so not accessible/,
    },
  },
  {
    id: 'qemu.lockd-needs-virtlockd',
    file: 'qemu',
    keys: ['lock_manager'],
    kind: 'combination',
    severity: 'error',
    daemon: 'refuses-guest-start',
    ref: 'src/locking/lock_driver_lockd.c virLockManagerLockDaemonConnectionNew',
    summary:
      'lock_manager = "lockd" needs virtlockd (its socket /run/libvirt/virtlockd-sock), else no guest starts',
    needs: (v) => ({ paths: v.str('lock_manager') === 'lockd' ? ['/run/libvirt/virtlockd-sock'] : [] }),
    check: (v, ctx) => {
      if (v.str('lock_manager') !== 'lockd') return [];
      const fact = pathFact(ctx, '/run/libvirt/virtlockd-sock');
      return fact && fact.type !== 'socket'
        ? [
            {
              key: 'lock_manager',
              message: `lock_manager = "lockd" but virtlockd does not run here: "Failed to connect socket to '/run/libvirt/virtlockd-sock'" and no guest would start (start virtlockd first)`,
            },
          ]
        : [];
    },
    proof: {
      lines: ['lock_manager = "lockd"'],
      via: 'guest',
      expect: /Failed to connect socket to '\/run\/libvirt\/virtlockd-sock'/,
    },
  },
  {
    id: 'qemu.disk-format-probing',
    file: 'qemu',
    keys: ['allow_disk_format_probing'],
    kind: 'enum',
    severity: 'error',
    daemon: 'refuses-start',
    ref: `${QEMU_CONF} virQEMUDriverConfigLoadDeviceEntry`,
    summary: 'allow_disk_format_probing = 1 is no longer supported',
    check: (v, ctx) =>
      v.bool('allow_disk_format_probing') === true
        ? [
            {
              key: 'allow_disk_format_probing',
              message: `allow_disk_format_probing is no longer supported (${refusal(ctx)})`,
            },
          ]
        : [],
    proof: {
      lines: ['allow_disk_format_probing = 1'],
      via: 'start',
      expect: /allow_disk_format_probing is no longer supported/,
    },
  },
  {
    id: 'qemu.nvram-pairs',
    file: 'qemu',
    keys: ['nvram'],
    kind: 'list',
    severity: 'error',
    daemon: 'refuses-start',
    ref: `${QEMU_CONF} virQEMUDriverConfigLoadNVRAMEntry; src/util/virfirmware.c virFirmwareParse; src/qemu/qemu_interop_config.c qemuInteropFetchConfigs`,
    summary:
      'nvram entries pair a loader with its variables store: "LOADER:NVRAM", exactly two non-empty parts; ignored (warning) when the host has firmware descriptors',
    needs: (v) => ({
      paths: (v.list('nvram') ?? []).flatMap((e) => e.split(':').map((p) => p.trim())).filter(isAbsolute),
    }),
    check: (v, ctx) => {
      const entries = v.list('nvram');
      if (!entries || entries.length === 0) return [];
      if (ctx.facts?.firmwareDescriptors)
        return [
          {
            key: 'nvram',
            message:
              'Obsolete nvram variable is set while firmware metadata files found. Note that the nvram config file variable is going to be ignored.',
          },
        ];
      for (const entry of entries) {
        const parts = entry.split(':').map((p) => p.replace(/^[ \t\n\v\f\r]+/, ''));
        if (parts.length !== 2 || parts[0] === '' || parts[1] === '')
          return [
            {
              key: 'nvram',
              message: `Invalid nvram format: '${entry}' (want "LOADER:NVRAM"; ${refusal(ctx)})`,
            },
          ];
      }
      const missing = entries
        .flatMap((e) => e.split(':').map((p) => p.trim()))
        .filter((p) => {
          const fact = pathFact(ctx, p);
          return fact !== undefined && !exists(fact);
        });
      return missing.length > 0
        ? [
            {
              key: 'nvram',
              message: `nvram: ${missing.join(', ')} ${missing.length > 1 ? 'do' : 'does'} not exist on this host (UEFI guests using them would not start)`,
              severity: 'warning',
            },
          ]
        : [];
    },
    proof: {
      lines: ['nvram = [ "/usr/share/OVMF/OVMF_CODE.fd" ]'],
      via: 'start',
      expect: /Invalid nvram format: '\/usr\/share\/OVMF\/OVMF_CODE\.fd'/,
    },
  },
  {
    id: 'qemu.capability-filters',
    file: 'qemu',
    keys: ['capability_filters'],
    kind: 'enum',
    severity: 'error',
    daemon: 'refuses-guest-start',
    ref: 'src/qemu/qemu_process.c qemuProcessStartUpdateCustomCaps; src/qemu/qemu_capabilities.c VIR_ENUM_IMPL(virQEMUCaps) (qemu-caps.gen.ts)',
    summary:
      "capability_filters: names of libvirt's QEMU capabilities; an unknown one stops every guest from starting",
    newer: 'newer libvirt knows more names: on another version an unknown name only warns',
    check: (v, ctx) => {
      const known = new Set(QEMU_CAPABILITY_NAMES_9_0);
      const bad = (v.list('capability_filters') ?? []).filter((c) => !known.has(c));
      if (bad.length === 0) return [];
      return [
        {
          key: 'capability_filters',
          message: isLibvirt90(ctx)
            ? `invalid capability_filters capability '${bad[0]}': no guest would start`
            : `capability_filters: ${bad.join(', ')} ${bad.length > 1 ? 'are' : 'is'} not a capability of libvirt 9.0; if libvirt ${ctx.facts?.libvirtVersion} does not know ${bad.length > 1 ? 'them' : 'it'} either, no guest starts`,
          ...(isLibvirt90(ctx) ? {} : { severity: 'warning' as const }),
        },
      ];
    },
    proof: {
      lines: ['capability_filters = [ "capname" ]'],
      via: 'guest',
      expect: /invalid capability_filters capability 'capname'/,
    },
  },
  {
    id: 'qemu.deprecation-behavior',
    file: 'qemu',
    keys: ['deprecation_behavior'],
    kind: 'enum',
    severity: 'warning',
    daemon: 'warns',
    ref: 'src/qemu/qemu_command.c qemuBuildCompatDeprecatedCommandLine',
    summary:
      'deprecation_behavior: none, omit, reject, crash; anything else is ignored with a warning at each guest start',
    check: (v) => {
      const value = v.str('deprecation_behavior');
      return value !== undefined && !['none', 'omit', 'reject', 'crash'].includes(value)
        ? [
            {
              key: 'deprecation_behavior',
              message: `Unsupported deprecation behavior '${value}' (libvirt ignores it at each guest start)`,
            },
          ]
        : [];
    },
  },
  {
    id: 'qemu.max-core',
    file: 'qemu',
    keys: ['max_core'],
    kind: 'enum',
    severity: 'error',
    daemon: 'refuses-start',
    ref: `${QEMU_CONF} virQEMUDriverConfigLoadProcessEntry`,
    summary: 'max_core: a size in bytes or the string "unlimited"',
    check: (v, ctx) => {
      const value = v.str('max_core');
      return value !== undefined && value !== 'unlimited'
        ? [{ key: 'max_core', message: `Unknown core size '${value}' (${refusal(ctx)})` }]
        : [];
    },
    proof: { lines: ['max_core = "infinity"'], via: 'start', expect: /Unknown core size 'infinity'/ },
  },
  {
    id: 'qemu.documented-ranges',
    file: 'qemu',
    keys: ['seccomp_sandbox', 'gluster_debug_level'],
    kind: 'range',
    severity: 'warning',
    daemon: 'ignores',
    ref: 'src/qemu/qemu_command.c qemuBuildSeccompSandboxCommandLine; qemu.conf: gluster_debug_level 0…9',
    summary: 'seccomp_sandbox: -1, 0 or 1; gluster_debug_level: 0…9',
    check: (v) => {
      const findings: RuleFinding[] = [];
      const seccomp = v.num('seccomp_sandbox');
      if (seccomp !== undefined && (seccomp < -1n || seccomp > 1n))
        findings.push({
          key: 'seccomp_sandbox',
          message: `seccomp_sandbox = ${seccomp}: the documented values are -1 (default), 0 (off) and 1 (on); libvirt turns the sandbox on for anything but 0`,
        });
      const gluster = v.num('gluster_debug_level');
      if (gluster !== undefined && gluster > 9n)
        findings.push({
          key: 'gluster_debug_level',
          message: `gluster_debug_level = ${gluster}: gluster's levels are 0…9`,
        });
      return findings;
    },
  },
  {
    id: 'qemu.relative-dirs',
    file: 'qemu',
    keys: ['auto_dump_path', 'memory_backing_dir'],
    kind: 'path',
    severity: 'warning',
    daemon: 'ignores',
    ref: 'src/qemu/qemu_driver.c qemuStateInitialize (g_mkdir_with_parents)',
    summary:
      "directories the daemon creates should be absolute (a relative one ends up under the daemon's working directory)",
    check: (v) =>
      (['auto_dump_path', 'memory_backing_dir'] as const).flatMap((key) => {
        const value = v.str(key);
        return value !== undefined && !isAbsolute(value)
          ? [
              {
                key,
                message: `${key} = "${value}" is not an absolute path: the daemon creates it relative to its working directory`,
              },
            ]
          : [];
      }),
  },

  // ---- libvirtd.conf / virtqemud.conf -------------------------------------------------------------------
  {
    id: 'daemon.auth',
    file: 'daemon',
    keys: ['auth_unix_rw', 'auth_unix_ro', 'auth_tcp', 'auth_tls'],
    kind: 'enum',
    severity: 'error',
    daemon: 'refuses-start',
    ref: 'src/remote/remote_daemon_config.c remoteConfigGetAuth',
    summary: 'authentication: "none", "sasl" or "polkit" (Debian builds both)',
    check: (v, ctx) =>
      (['auth_unix_rw', 'auth_unix_ro', 'auth_tcp', 'auth_tls'] as const).flatMap((key) => {
        if (!readsKey(ctx, key)) return [];
        const value = v.str(key);
        return value !== undefined && !['none', 'sasl', 'polkit'].includes(value)
          ? [{ key, message: `${ctx.path}: ${key}: unsupported auth ${value} (${refusal(ctx)})` }]
          : [];
      }),
    proof: {
      lines: ['auth_unix_rw = "kerberos"'],
      via: 'start',
      expect: /auth_unix_rw: unsupported auth kerberos/,
    },
  },
  {
    id: 'daemon.polkit-available',
    file: 'daemon',
    keys: ['auth_unix_rw', 'auth_unix_ro', 'access_drivers'],
    kind: 'combination',
    severity: 'warning',
    daemon: 'ignores',
    ref: 'src/access/viraccessdriverpolkit.c virAccessDriverPolkitCheck; src/remote/remote_daemon_dispatch.c remoteDispatchAuthPolkit',
    summary:
      'polkit authentication or access control on a host without D-Bus and polkitd: every client (or call) is refused',
    check: (v, ctx) => {
      if (!ctx.facts || ctx.facts.polkit) return [];
      const findings: RuleFinding[] = [];
      for (const key of ['auth_unix_rw', 'auth_unix_ro'] as const)
        if (v.str(key) === 'polkit')
          findings.push({
            key,
            message: `${key} = "polkit" but this host has no D-Bus system bus with polkitd: clients on that socket could not authenticate`,
          });
      if ((v.list('access_drivers') ?? []).includes('polkit'))
        findings.push({
          key: 'access_drivers',
          message:
            'access_drivers uses polkit but this host has no D-Bus system bus with polkitd: the daemon starts and denies every call',
        });
      return findings;
    },
  },
  {
    id: 'daemon.tcp-min-ssf',
    file: 'daemon',
    keys: ['tcp_min_ssf'],
    kind: 'range',
    severity: 'error',
    daemon: 'refuses-start',
    ref: DAEMON_CONF,
    summary: 'tcp_min_ssf ≥ 112',
    check: (v, ctx) => {
      const ssf = v.num('tcp_min_ssf');
      return readsKey(ctx, 'tcp_min_ssf') && ssf !== undefined && ssf >= 0n && ssf < 112n
        ? [
            {
              key: 'tcp_min_ssf',
              message: `minimum SSF levels lower than 112 are not supported (${refusal(ctx)})`,
            },
          ]
        : [];
    },
    proof: {
      lines: ['tcp_min_ssf = 56'],
      via: 'start',
      expect: /minimum SSF levels lower than 112 are not supported/,
    },
  },
  {
    id: 'daemon.max-workers',
    file: 'daemon',
    keys: ['max_workers'],
    kind: 'range',
    severity: 'error',
    daemon: 'refuses-start',
    ref: DAEMON_CONF,
    summary: 'max_workers ≥ 1',
    check: (v, ctx) =>
      v.num('max_workers') === 0n
        ? [{ key: 'max_workers', message: `'max_workers' must be greater than 0 (${refusal(ctx)})` }]
        : [],
    proof: { lines: ['max_workers = 0'], via: 'start', expect: /'max_workers' must be greater than 0/ },
  },
  {
    id: 'daemon.workers-clamped',
    file: 'daemon',
    keys: [
      'min_workers',
      'max_workers',
      'admin_min_workers',
      'admin_max_workers',
      'max_client_requests',
      'admin_max_client_requests',
    ],
    kind: 'combination',
    severity: 'warning',
    daemon: 'ignores',
    ref: 'src/util/virthreadpool.c virThreadPoolNewFull; src/rpc/virnetserverclient.c virNetServerClientDispatchRead',
    summary:
      'min_workers above max_workers is lowered silently; admin_max_workers = 0 or *_max_client_requests = 0 serve nobody',
    check: (v) => {
      const findings: RuleFinding[] = [];
      for (const [min, max, dflt] of [
        ['min_workers', 'max_workers', 20n],
        ['admin_min_workers', 'admin_max_workers', 20n],
      ] as const) {
        const lo = v.num(min) ?? 5n;
        const hi = v.num(max) ?? dflt;
        if (v.has(min) && lo > hi)
          findings.push({
            key: min,
            message: `${min} = ${lo} is above ${max} (${hi}): libvirt silently uses ${hi}`,
          });
      }
      if (v.num('admin_max_workers') === 0n)
        findings.push({
          key: 'admin_max_workers',
          message: 'admin_max_workers = 0: the admin interface (virt-admin) would never answer',
        });
      for (const key of ['max_client_requests', 'admin_max_client_requests'] as const)
        if (v.num(key) === 0n)
          findings.push({
            key,
            message: `${key} = 0: no request of a client would ever be processed (setting this too low also causes keepalive timeouts)`,
          });
      return findings;
    },
  },
  {
    id: 'daemon.anonymous-clients',
    file: 'daemon',
    keys: ['max_anonymous_clients', 'max_clients'],
    kind: 'combination',
    severity: 'error',
    daemon: 'refuses-start',
    ref: 'src/rpc/virnetserver.c virNetServerNew',
    summary: 'max_anonymous_clients must not exceed max_clients (unset: 20 and 5000)',
    check: (v, ctx) => {
      const anon = v.num('max_anonymous_clients') ?? 20n;
      const all = v.num('max_clients') ?? 5000n;
      return anon > all
        ? [
            {
              key: v.has('max_anonymous_clients') ? 'max_anonymous_clients' : 'max_clients',
              message: `The overall maximum number of clients must not be less than the number of clients waiting for authentication (max_clients ${all} < max_anonymous_clients ${anon}; ${refusal(ctx)})`,
            },
          ]
        : [];
    },
    proof: {
      lines: ['max_clients = 10'],
      via: 'start',
      expect:
        /The overall maximum number of clients must not be less than the number of clients waiting for authentication/,
    },
  },
  {
    id: 'daemon.socket-perms',
    file: 'daemon',
    keys: ['unix_sock_ro_perms', 'unix_sock_rw_perms', 'unix_sock_admin_perms'],
    kind: 'format',
    severity: 'error',
    daemon: 'refuses-start',
    ref: `${DAEMON_C} daemonSetupNetworking (virStrToLong_i, base 8)`,
    summary: 'socket permissions: an octal number such as "0770"',
    check: (v, ctx) =>
      (['unix_sock_ro_perms', 'unix_sock_rw_perms', 'unix_sock_admin_perms'] as const).flatMap((key) => {
        const value = v.str(key);
        if (value === undefined) return [];
        const mode = virStrToLong(value, 8, false);
        if (mode === null)
          return [
            {
              key,
              message: `Failed to parse mode '${value}': an octal mode such as "0770" (${refusal(ctx)})`,
            },
          ];
        if (mode < 0n || mode > 0o777n)
          return [
            {
              key,
              message: `${key} = "${value}" is not a permission mode between 0 and 0777`,
              severity: 'warning',
            },
          ];
        return [];
      }),
    proof: {
      lines: ['unix_sock_rw_perms = "rwxrwx---"'],
      via: 'start',
      expect: /Failed to parse mode 'rwxrwx---'/,
    },
  },
  {
    id: 'daemon.socket-group',
    file: 'daemon',
    keys: ['unix_sock_group'],
    kind: 'group',
    severity: 'error',
    daemon: 'refuses-start',
    ref: `${DAEMON_C} daemonSetupNetworking; src/util/virutil.c virGetGroupID`,
    summary: 'unix_sock_group: a group that exists on the host, or a number',
    needs: (v) => {
      const value = v.str('unix_sock_group');
      return { groups: value !== undefined && idLookup(value).name !== null ? [value] : [] };
    },
    check: (v, ctx) => {
      const value = v.str('unix_sock_group');
      if (value === undefined || !ctx.facts) return [];
      const { name, number } = idLookup(value);
      const found = name === null ? false : ctx.facts.groups[name];
      if (found === undefined || found || number) return [];
      return [
        {
          key: 'unix_sock_group',
          message: `Failed to parse group '${value}': no such group on this host (${refusal(ctx)})`,
        },
      ];
    },
    proof: {
      lines: ['unix_sock_group = "no-such-group-virtdeck"'],
      via: 'start',
      expect: /Failed to parse group 'no-such-group-virtdeck'/,
    },
  },
  {
    id: 'daemon.socket-dir',
    file: 'daemon',
    keys: ['unix_sock_dir'],
    kind: 'path',
    severity: 'error',
    daemon: 'refuses-start',
    ref: 'src/util/virdaemon.c virDaemonUnixSocketPaths; src/rpc/virnetsocket.c virNetSocketNewListenUNIX',
    summary:
      'unix_sock_dir must be an existing directory, short enough for a socket path (108 bytes); moving it hides the daemon from clients',
    needs: (v) => ({ paths: v.str('unix_sock_dir') ? [v.str('unix_sock_dir') as string] : [] }),
    check: (v, ctx) => {
      const dir = v.str('unix_sock_dir');
      if (dir === undefined) return [];
      const prefix = ctx.daemon === 'virtqemud' ? 'virtqemud' : 'libvirt';
      const longest = `${dir}/${prefix}-admin-sock`;
      if (Buffer.byteLength(longest) > 107)
        return [
          { key: 'unix_sock_dir', message: `Path ${longest} too long for unix socket (${refusal(ctx)})` },
        ];
      const fact = pathFact(ctx, dir);
      if (fact && fact.type !== 'dir')
        return [
          {
            key: 'unix_sock_dir',
            message: `Failed to bind socket to '${dir}/${prefix}-sock': ${fact.type === 'missing' ? 'No such file or directory' : 'Not a directory'} (${refusal(ctx)})`,
          },
        ];
      if (dir.replace(/\/+$/, '') !== '/run/libvirt' && dir.replace(/\/+$/, '') !== '/var/run/libvirt')
        return [
          {
            key: 'unix_sock_dir',
            message: `unix_sock_dir moves the sockets out of /run/libvirt: clients using the default qemu:///system (virsh, VirtDeck) will no longer find ${ctx.daemon}`,
            severity: 'warning',
          },
        ];
      return [];
    },
    proof: {
      lines: ['unix_sock_dir = "/run/virtdeck-no-such-dir"'],
      via: 'start',
      expect: /Failed to bind socket to '\/run\/virtdeck-no-such-dir\/libvirt-sock'/,
    },
  },
  {
    id: 'daemon.access-drivers',
    file: 'daemon',
    keys: ['access_drivers'],
    kind: 'enum',
    severity: 'error',
    daemon: 'refuses-start',
    ref: `${DAEMON_C} daemonSetupAccessManager; src/access/viraccessmanager.c virAccessManagerNewStack`,
    summary: 'access drivers: "none" or "polkit"',
    check: (v, ctx) => {
      const bad = (v.list('access_drivers') ?? []).find((d) => d !== 'none' && d !== 'polkit');
      // libvirt's own message calls it a "security driver".
      return bad !== undefined
        ? [
            {
              key: 'access_drivers',
              message: `Cannot find security driver '${bad}': the access drivers are none and polkit (${refusal(ctx)})`,
            },
          ]
        : [];
    },
    proof: {
      lines: ['access_drivers = [ "rbac" ]'],
      via: 'start',
      expect: /Cannot find security driver 'rbac'/,
    },
  },
  {
    id: 'daemon.host-uuid',
    file: 'daemon',
    keys: ['host_uuid', 'host_uuid_source'],
    kind: 'format',
    severity: 'error',
    daemon: 'refuses-start',
    ref: `${DAEMON_C} daemonSetupHostUUID; src/util/viruuid.c virSetHostUUIDStr, virUUIDParse, virUUIDIsValid`,
    summary:
      'host_uuid: a UUID whose bytes are not all the same (the all-zeros example is refused); host_uuid_source: "smbios" or "machine-id" (/etc/machine-id readable)',
    needs: (v) => ({
      paths: v.str('host_uuid_source') === 'machine-id' && !v.has('host_uuid') ? ['/etc/machine-id'] : [],
    }),
    check: (v, ctx) => {
      const uuid = v.str('host_uuid');
      if (uuid !== undefined) {
        const bytes = parseUuid(uuid);
        if (!bytes || !uuidUsable(bytes))
          return [
            {
              key: 'host_uuid',
              message: `invalid host UUID: ${uuid}${bytes ? ' (all its bytes are the same)' : ''} (${refusal(ctx)})`,
            },
          ];
        if (v.has('host_uuid_source'))
          return [
            {
              key: 'host_uuid_source',
              message: 'host_uuid_source is not used: host_uuid is set and wins',
              severity: 'warning',
            },
          ];
        return [];
      }
      const source = v.str('host_uuid_source');
      if (source === undefined || source === 'smbios') return [];
      if (source !== 'machine-id')
        return [{ key: 'host_uuid_source', message: `invalid UUID source: ${source} (${refusal(ctx)})` }];
      const fact = pathFact(ctx, '/etc/machine-id');
      return fact && fact.type !== 'file'
        ? [{ key: 'host_uuid_source', message: `Can't read /etc/machine-id (${refusal(ctx)})` }]
        : [];
    },
    proof: {
      lines: ['host_uuid = "00000000-0000-0000-0000-000000000000"'],
      via: 'start',
      expect: /invalid host UUID: 00000000-0000-0000-0000-000000000000/,
    },
  },
  {
    id: 'daemon.log-level',
    file: 'daemon',
    keys: ['log_level'],
    kind: 'range',
    severity: 'error',
    daemon: 'refuses-start',
    ref: 'src/util/virdaemon.c virDaemonSetupLogging; src/util/virlog.c virLogSetDefaultPriority',
    summary: 'log_level: 1 (debug) … 4 (errors); 0 leaves the default',
    check: (v, ctx) => {
      const level = v.num('log_level');
      return level !== undefined && level > 4n && level <= UINT_MAX
        ? [
            {
              key: 'log_level',
              message: `Failed to set logging priority, argument '${level}' is invalid (1…4; ${refusal(ctx)})`,
            },
          ]
        : [];
    },
    proof: {
      lines: ['log_level = 5'],
      via: 'start',
      expect: /Failed to set logging priority, argument '5' is invalid/,
    },
  },
  {
    id: 'daemon.log-filters',
    file: 'daemon',
    keys: ['log_filters'],
    kind: 'format',
    severity: 'error',
    daemon: 'refuses-start',
    ref: 'src/util/virlog.c virLogParseFilters, virLogParseFilter',
    summary: 'log_filters: space-separated "LEVEL:MATCH" with LEVEL 1…4',
    check: (v, ctx) => {
      const value = v.str('log_filters');
      if (value === undefined) return [];
      for (const filter of value.split(' ').filter((f) => f !== '')) {
        const tokens = filter.split(':');
        if (tokens.length < 2)
          return [
            { key: 'log_filters', message: `Malformed format for filter '${filter}' (${refusal(ctx)})` },
          ];
        const prio = virStrToLong(tokens[0] as string, 10, true);
        if (prio === null || prio < 1n || prio > 4n)
          return [
            {
              key: 'log_filters',
              message: `Invalid priority '${tokens[0]}' for filter '${filter}' (${refusal(ctx)})`,
            },
          ];
        const match = (tokens[1] as string).replace(/^\+/, '');
        if (match === '')
          return [{ key: 'log_filters', message: `Invalid match string '${tokens[1]}' (${refusal(ctx)})` }];
      }
      return [];
    },
    proof: {
      lines: ['log_filters = "debug:qemu"'],
      via: 'start',
      expect: /Invalid priority 'debug' for filter 'debug:qemu'/,
    },
  },
  {
    id: 'daemon.log-outputs',
    file: 'daemon',
    keys: ['log_outputs'],
    kind: 'format',
    severity: 'error',
    daemon: 'refuses-start',
    ref: 'src/util/virlog.c virLogParseOutputs, virLogParseOutput, virLogNewOutputToFile',
    summary:
      'log_outputs: space-separated "LEVEL:stderr", "LEVEL:journald", "LEVEL:syslog:NAME", "LEVEL:file:PATH" (its directory must exist)',
    needs: (v) => {
      const value = v.str('log_outputs') ?? '';
      const dirs = value
        .split(' ')
        .map((o) => o.split(':'))
        .filter((t) => t[1] === 'file' && t.length === 3 && isAbsolute(t[2] as string))
        .map((t) => (t[2] as string).replace(/\/[^/]*$/, '') || '/');
      return { paths: dirs };
    },
    check: (v, ctx) => {
      const value = v.str('log_outputs');
      if (value === undefined) return [];
      for (const output of value.split(' ').filter((o) => o !== '')) {
        const tokens = output.split(':');
        if (tokens.length < 2)
          return [
            { key: 'log_outputs', message: `Malformed format for log output '${output}' (${refusal(ctx)})` },
          ];
        const prio = virStrToLong(tokens[0] as string, 10, true);
        if (prio === null || prio < 1n || prio > 4n)
          return [
            {
              key: 'log_outputs',
              message: `Invalid log priority '${tokens[0]}' for log output '${output}' (${refusal(ctx)})`,
            },
          ];
        const dest = tokens[1] as string;
        if (!['stderr', 'syslog', 'file', 'journald'].includes(dest))
          return [
            {
              key: 'log_outputs',
              message: `Invalid log destination '${dest}' for log output '${output}' (${refusal(ctx)})`,
            },
          ];
        const want = dest === 'stderr' || dest === 'journald' ? 2 : 3;
        if (tokens.length !== want)
          return [
            {
              key: 'log_outputs',
              message: `Log output '${output}' does not meet the format requirements for destination type '${dest}' (${refusal(ctx)})`,
            },
          ];
        if (dest === 'file' && isAbsolute(tokens[2] as string)) {
          const dir = (tokens[2] as string).replace(/\/[^/]*$/, '') || '/';
          const fact = pathFact(ctx, dir);
          if (fact && fact.type !== 'dir')
            return [
              {
                key: 'log_outputs',
                message: `failed to open ${tokens[2]}: No such file or directory (${refusal(ctx)})`,
              },
            ];
        }
      }
      return [];
    },
    proof: {
      lines: ['log_outputs = "1:file:/var/log/virtdeck-no-such-dir/libvirtd.log"'],
      via: 'start',
      expect: /failed to open \/var\/log\/virtdeck-no-such-dir\/libvirtd\.log/,
    },
  },
  {
    id: 'daemon.audit-level',
    file: 'daemon',
    keys: ['audit_level'],
    kind: 'range',
    severity: 'warning',
    daemon: 'ignores',
    ref: `${DAEMON_C} main (virAuditOpen); src/util/viraudit.c virAuditOpen`,
    summary: 'audit_level: 0 (off), 1 (if available), 2 (required: the daemon exits without kernel audit)',
    check: (v) => {
      const level = v.num('audit_level');
      return level !== undefined && level > 2n
        ? [
            {
              key: 'audit_level',
              message: `audit_level = ${level}: the levels are 0, 1 and 2; libvirt treats it as 2 (exits if auditing is unavailable)`,
            },
          ]
        : [];
    },
  },
  {
    id: 'daemon.network-needs-listen',
    file: 'daemon',
    keys: [
      'listen_tcp',
      'listen_tls',
      'tcp_port',
      'tls_port',
      'listen_addr',
      'key_file',
      'cert_file',
      'ca_file',
      'crl_file',
    ],
    kind: 'combination',
    severity: 'warning',
    daemon: 'ignores',
    ref: `${DAEMON_C} daemonSetupNetworking (ipsock = --listen)`,
    summary:
      'the network settings take effect only when libvirtd runs with --listen (or systemd socket activation)',
    check: (v, ctx) => {
      if (ctx.daemon !== 'libvirtd' || !ctx.facts?.commandLine || listens(ctx)) return [];
      const set = ['listen_tcp', 'listen_tls', 'tcp_port', 'tls_port', 'listen_addr'].filter((k) => v.has(k));
      const enabling = v.bool('listen_tcp') === true || v.bool('listen_tls') === true;
      return enabling
        ? [
            {
              key: set.find((k) => k === 'listen_tcp' || k === 'listen_tls') ?? (set[0] as string),
              message: `libvirtd runs without --listen here (${ctx.facts.commandLine.trim()}): it listens on no TCP port, whatever listen_tcp / listen_tls say`,
            },
          ]
        : [];
    },
  },
  {
    id: 'daemon.tls-files',
    file: 'daemon',
    keys: ['listen_tls', 'key_file', 'cert_file', 'ca_file', 'crl_file'],
    kind: 'combination',
    severity: 'error',
    daemon: 'refuses-start',
    ref: `${DAEMON_C} daemonSetupNetworking; src/rpc/virnettlscontext.c virNetTLSContextNewServerPath, virNetTLSContextNewServer`,
    summary:
      'listening with TLS (libvirtd --listen, listen_tls not 0): ca_file, cert_file and key_file together, and the files (or the defaults in /etc/pki) must exist',
    needs: (v) => ({ paths: tlsFiles(v).map((f) => f.path) }),
    check: (v, ctx) => {
      if (ctx.daemon !== 'libvirtd' || !listens(ctx) || v.bool('listen_tls') === false) return [];
      const set = (['ca_file', 'cert_file', 'key_file'] as const).filter((k) => v.has(k));
      if (set.length > 0 && set.length < 3) {
        const message = !v.has('ca_file')
          ? 'No CA certificate path set to match server key/cert'
          : !v.has('cert_file')
            ? 'No server certificate path set to match server key'
            : 'No server key path set to match server cert';
        return [{ key: set[0] as string, message: `${message} (${refusal(ctx)})` }];
      }
      for (const file of tlsFiles(v)) {
        const fact = pathFact(ctx, file.path);
        if (fact && fact.type !== 'file')
          return [
            {
              key: file.key,
              message: `Cannot read ${file.what} '${file.path}': No such file or directory (libvirtd --listen with TLS; ${refusal(ctx)})`,
            },
          ];
      }
      return [];
    },
    proof: {
      lines: ['listen_tls = 1'],
      via: 'start',
      args: ['--listen'],
      expect: /Cannot read CA certificate '\/etc\/pki\/CA\/cacert\.pem'/,
    },
  },
  {
    id: 'daemon.listen-address-port',
    file: 'daemon',
    keys: ['listen_addr', 'tcp_port', 'tls_port'],
    kind: 'address',
    severity: 'error',
    daemon: 'refuses-start',
    ref: `${DAEMON_C} daemonSetupNetworking; src/rpc/virnetsocket.c virNetSocketNewListenTCP (getaddrinfo)`,
    summary:
      'when libvirtd listens: listen_addr an address or resolvable name, ports 1…65535 or a service name',
    needs: (v) => {
      const addr = v.str('listen_addr');
      return { hosts: addr && isIP(addr) === 0 ? [addr] : [] };
    },
    check: (v, ctx) => {
      if (ctx.daemon !== 'libvirtd' || !listens(ctx)) return [];
      const findings: RuleFinding[] = [];
      const tcp = v.bool('listen_tcp') === true;
      const tls = v.bool('listen_tls') !== false;
      for (const [key, used] of [
        ['tcp_port', tcp],
        ['tls_port', tls],
      ] as const) {
        const port = v.str(key);
        if (!used || port === undefined) continue;
        if (
          /^[0-9]+$/.test(port)
            ? Number(port) < 1 || Number(port) > 65535
            : !/^[A-Za-z][A-Za-z0-9-]*$/.test(port)
        )
          findings.push({
            key,
            message: `${key} = "${port}" is not a port number (1…65535) or service name (${refusal(ctx)})`,
          });
      }
      const addr = v.str('listen_addr');
      if ((tcp || tls) && addr !== undefined && isIP(addr) === 0 && ctx.facts?.hosts[addr] === false)
        findings.push({
          key: 'listen_addr',
          message: `Unable to resolve address '${addr}' (${refusal(ctx)})`,
        });
      return findings;
    },
    proof: {
      lines: [
        'listen_tcp = 1',
        'listen_tls = 0',
        'auth_tcp = "none"',
        'listen_addr = "no-such-host.virtdeck.invalid"',
      ],
      via: 'start',
      args: ['--listen'],
      expect: /Unable to resolve address 'no-such-host\.virtdeck\.invalid'/,
    },
  },
];

/** Whether the running libvirtd listens on TCP (its command line has --listen / -l). */
function listens(ctx: RuleContext): boolean {
  const words = (ctx.facts?.commandLine ?? '').trim().split(/\s+/);
  return words.some((w) => w === '--listen' || w === '-l' || /^-[a-zA-Z]*l[a-zA-Z]*$/.test(w));
}

function tlsFiles(v: ConfValues): Array<{ key: string; path: string; what: string }> {
  if (['ca_file', 'cert_file', 'key_file'].some((k) => v.has(k))) {
    return (
      [
        ['ca_file', 'CA certificate'],
        ['cert_file', 'certificate'],
        ['key_file', 'private key'],
        ['crl_file', 'certificate revocation list'],
      ] as const
    )
      .filter(([k]) => v.str(k) !== undefined)
      .map(([key, what]) => ({ key, path: v.str(key) as string, what }));
  }
  return [
    { key: 'ca_file', path: '/etc/pki/CA/cacert.pem', what: 'CA certificate' },
    { key: 'cert_file', path: '/etc/pki/libvirt/servercert.pem', what: 'certificate' },
    { key: 'key_file', path: '/etc/pki/libvirt/private/serverkey.pem', what: 'private key' },
  ];
}

export interface RuleDiagnostic extends RuleFinding {
  rule: ConfRule;
  severity: 'error' | 'warning';
}

/**
 * Runs every rule of `ctx.file` over the document's effective values: the type rules first; the other
 * rules see only values that passed their getter (the daemon stops at the first value it cannot read).
 */
export function checkRules(doc: ConfDocument, ctx: RuleContext): RuleDiagnostic[] {
  const all = new ConfValues(doc);
  const out: RuleDiagnostic[] = [];
  const run = (rule: ConfRule, values: ConfValues) => {
    for (const finding of rule.check(values, ctx))
      out.push({
        key: finding.key,
        message: finding.message,
        rule,
        severity: finding.severity ?? rule.severity,
      });
  };
  const rules = CONF_RULES.filter((r) => r.file === ctx.file);
  for (const rule of rules) if (rule.kind === 'type' || rule.id.includes('.type.')) run(rule, all);
  const mistyped = new Set(out.filter((d) => d.severity === 'error').map((d) => d.key));
  const typed = new ConfValues(doc, mistyped);
  for (const rule of rules) if (!(rule.kind === 'type' || rule.id.includes('.type.'))) run(rule, typed);
  return out;
}

/** The host facts the rules of `ctx.file` need for this document. */
export function ruleNeeds(doc: ConfDocument, ctx: Omit<RuleContext, 'facts'>): FactNeeds {
  const values = new ConfValues(doc);
  const needs: Required<FactNeeds> = { users: [], groups: [], paths: [], hosts: [], commands: [] };
  for (const rule of CONF_RULES) {
    if (rule.file !== ctx.file || !rule.needs) continue;
    const n = rule.needs(values, { ...ctx, facts: null });
    for (const kind of Object.keys(needs) as Array<keyof FactNeeds>) needs[kind].push(...(n[kind] ?? []));
  }
  return needs;
}
