/**
 * What the configuration rules need to know about a host (conf-rules.ts): whether users, groups, paths,
 * host names and programs exist there, and a few things libvirt probes at startup (its security drivers,
 * firmware descriptors, lock manager plugins, core scheduling). Read as root in ONE script run per
 * validation pass, only for what is not known yet, and cached while the editor is open.
 */

export interface PathFact {
  type: 'dir' | 'file' | 'socket' | 'other' | 'missing';
  /** Executable by root (`test -x`). */
  executable: boolean;
  /** The file system type as `stat -f -c %T` names it (`hugetlbfs`, `ext2/ext3`, `tmpfs`…), null if missing. */
  fs: string | null;
  /** Size in bytes (files). */
  size: number;
}

export interface HostFacts {
  /** `libvirtd --version` / `virtqemud --version`: "9.0.0"; null when unknown. */
  libvirtVersion: string | null;
  /** The running daemon's command line (to know whether libvirtd listens on TCP: `--listen`). */
  commandLine: string | null;
  /** SELinux is enabled (libvirt's selinux driver probes is_selinux_enabled()). */
  selinux: boolean;
  /** libvirt's AppArmor driver would enable itself (the daemon runs under a loaded profile, templates exist). */
  apparmor: boolean;
  /** QEMU firmware descriptors exist (then libvirt ignores qemu.conf's `nvram`). */
  firmwareDescriptors: boolean;
  /** prctl(PR_SCHED_CORE) works (libvirt's sched_core needs it); null when it could not be probed. */
  schedCore: boolean | null;
  /** Lock manager plugins in the host's `…/libvirt/lock-driver` (without `.so`); null if no such directory. */
  lockDrivers: string[] | null;
  /** A D-Bus system bus and polkitd are there (polkit authentication and access control can work). */
  polkit: boolean;
  users: Record<string, boolean>;
  groups: Record<string, boolean>;
  paths: Record<string, PathFact>;
  /** Names the host resolves (getent ahosts). */
  hosts: Record<string, boolean>;
  /** Programs in root's PATH (command -v). */
  commands: Record<string, boolean>;
}

export interface FactNeeds {
  users?: string[];
  groups?: string[];
  paths?: string[];
  hosts?: string[];
  commands?: string[];
}

const KINDS = { users: 'u', groups: 'g', paths: 'p', hosts: 'h', commands: 'c' } as const;
type FactKind = keyof typeof KINDS;

/** A value we can pass to the script: no NUL or newline (the host's tools could not look them up anyway). */
const askable = (value: string) => value.length > 0 && value.length <= 4096 && !/[\0\n]/.test(value);

/**
 * The script: `$1` = the daemon's name, `$2` = "static" to probe the host-wide facts, then items
 * `u:NAME`, `g:NAME`, `p:PATH`, `h:HOST`, `c:PROGRAM`. Prints `@@vd fact <index> …` per item.
 */
export const FACTS_SCRIPT = String.raw`set -u
daemon=$1; static=$2; shift 2
if [ "$static" = static ]; then
  pid=$(pgrep -x -o "$daemon" 2>/dev/null || pidof -s "$daemon" 2>/dev/null || true)
  exe=; [ -n "$pid" ] && exe=$(readlink "/proc/$pid/exe" 2>/dev/null)
  bin=$exe; [ -n "$bin" ] || bin=$(command -v "$daemon" 2>/dev/null || true)
  ver=-; [ -n "$bin" ] && ver=$("$bin" --version 2>/dev/null | sed -n 's/.* \([0-9][0-9.]*\)$/\1/p' | head -n 1)
  printf '@@vd static version %s\n' "${'$'}{ver:--}"
  if [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ]; then
    printf '@@vd static cmdline %s\n' "$(tr '\000' ' ' < "/proc/$pid/cmdline")"
  fi
  se=0; [ -e /sys/fs/selinux/enforce ] && se=1
  printf '@@vd static selinux %s\n' $se
  aa=0; prof=/sys/kernel/security/apparmor/profiles
  if [ -r "$prof" ] && [ -f /etc/apparmor.d/libvirt/TEMPLATE.qemu ] && [ -f /etc/apparmor.d/libvirt/TEMPLATE.lxc ]; then
    if { [ -n "$exe" ] && grep -qF "$exe " "$prof"; } || grep -qF "libvirtd " "$prof"; then aa=1; fi
  fi
  printf '@@vd static apparmor %s\n' $aa
  fw=0
  for d in /usr/share/qemu/firmware /etc/qemu/firmware; do
    [ -d "$d" ] || continue
    for f in "$d"/*; do
      [ -f "$f" ] || continue
      n=$(basename "$f")
      # /etc overrides /usr/share by name; an empty file masks the other one.
      [ "$d" = /usr/share/qemu/firmware ] && [ -e "/etc/qemu/firmware/$n" ] && continue
      [ -s "$f" ] && fw=1
    done
  done
  printf '@@vd static firmware %s\n' $fw
  sc=-
  if command -v perl >/dev/null 2>&1; then
    case $(uname -m) in x86_64) nr=157 ;; aarch64) nr=167 ;; *) nr= ;; esac
    # prctl(PR_SCHED_CORE=62, PR_SCHED_CORE_GET=0, pid 0, PR_SCHED_CORE_SCOPE_THREAD=0, &cookie), as libvirt.
    [ -n "$nr" ] && sc=$(perl -e '$c = pack("Q", 0); $r = syscall('"$nr"', 62, 0, 0, 0, $c); print $r == 0 ? 1 : ($! + 0 == 22 ? 0 : "-")' 2>/dev/null)
  fi
  printf '@@vd static schedcore %s\n' "${'$'}{sc:--}"
  locks=-
  for d in /usr/lib64/libvirt/lock-driver /usr/lib/libvirt/lock-driver /usr/lib/*/libvirt/lock-driver; do
    [ -d "$d" ] || continue
    [ "$locks" = - ] && locks=
    for f in "$d"/*.so; do [ -f "$f" ] && locks="$locks $(basename "$f" .so)"; done
  done
  printf '@@vd static locks %s\n' "$locks"
  pk=0
  if [ -S /run/dbus/system_bus_socket ] && { [ -x /usr/lib/polkit-1/polkitd ] || [ -x /usr/libexec/polkitd ] || [ -x /usr/libexec/polkit-1/polkitd ]; }; then pk=1; fi
  printf '@@vd static polkit %s\n' $pk
fi
i=0
for item in "$@"; do
  kind=${'$'}{item%%:*}; val=${'$'}{item#*:}
  case $kind in
    u) r=0; case $val in -*) ;; *) getent passwd "$val" >/dev/null 2>&1 && r=1 ;; esac; printf '@@vd fact %s %s\n' $i $r ;;
    g) r=0; case $val in -*) ;; *) getent group "$val" >/dev/null 2>&1 && r=1 ;; esac; printf '@@vd fact %s %s\n' $i $r ;;
    h) r=0; case $val in -*) ;; *) getent ahosts "$val" >/dev/null 2>&1 && r=1 ;; esac; printf '@@vd fact %s %s\n' $i $r ;;
    c) r=0; case $val in -*) ;; *) command -v "$val" >/dev/null 2>&1 && r=1 ;; esac; printf '@@vd fact %s %s\n' $i $r ;;
    p)
      if [ -d "$val" ]; then t=dir; elif [ -S "$val" ]; then t=socket; elif [ -f "$val" ]; then t=file; elif [ -e "$val" ]; then t=other; else t=missing; fi
      x=0; [ -x "$val" ] && x=1
      fs=$(stat -f -c %T -- "$val" 2>/dev/null | tr ' ' '_'); size=$(stat -c %s -- "$val" 2>/dev/null)
      printf '@@vd fact %s %s %s %s %s\n' $i $t $x "${'$'}{fs:--}" "${'$'}{size:-0}" ;;
  esac
  i=$((i + 1))
done
printf '@@vd end\n'
`;

export function emptyFacts(): HostFacts {
  return {
    libvirtVersion: null,
    commandLine: null,
    selinux: false,
    apparmor: false,
    firmwareDescriptors: false,
    schedCore: null,
    lockDrivers: null,
    polkit: false,
    users: {},
    groups: {},
    paths: {},
    hosts: {},
    commands: {},
  };
}

/** The items of `needs` that `facts` does not know yet, as script arguments. */
export function missingItems(facts: HostFacts | null, needs: FactNeeds): string[] {
  const items: string[] = [];
  for (const kind of Object.keys(KINDS) as FactKind[]) {
    for (const value of new Set(needs[kind] ?? [])) {
      if (!askable(value) || (facts && value in facts[kind])) continue;
      items.push(`${KINDS[kind]}:${value}`);
    }
  }
  return items;
}

/** Merges needs (for one pass over several files). */
export function mergeNeeds(...all: FactNeeds[]): FactNeeds {
  const out: Required<FactNeeds> = { users: [], groups: [], paths: [], hosts: [], commands: [] };
  for (const needs of all)
    for (const kind of Object.keys(KINDS) as FactKind[]) out[kind].push(...(needs[kind] ?? []));
  return out;
}

/** Reads the script's output (`frames`: the words after `@@vd`) into `facts` (a copy is returned). */
export function applyFactFrames(
  base: HostFacts | null,
  items: readonly string[],
  frames: ReadonlyArray<{ words: string[] }>,
): HostFacts {
  const facts: HostFacts = base
    ? {
        ...base,
        users: { ...base.users },
        groups: { ...base.groups },
        paths: { ...base.paths },
        hosts: { ...base.hosts },
        commands: { ...base.commands },
      }
    : emptyFacts();
  for (const { words } of frames) {
    if (words[0] === 'static') {
      const rest = words.slice(2).join(' ').trim();
      switch (words[1]) {
        case 'version':
          facts.libvirtVersion = /^\d+(\.\d+)*$/.test(rest) ? rest : null;
          break;
        case 'cmdline':
          facts.commandLine = rest || null;
          break;
        case 'selinux':
          facts.selinux = rest === '1';
          break;
        case 'apparmor':
          facts.apparmor = rest === '1';
          break;
        case 'firmware':
          facts.firmwareDescriptors = rest === '1';
          break;
        case 'schedcore':
          facts.schedCore = rest === '1' ? true : rest === '0' ? false : null;
          break;
        case 'locks':
          facts.lockDrivers = rest === '-' ? null : rest.split(/\s+/).filter(Boolean);
          break;
        case 'polkit':
          facts.polkit = rest === '1';
          break;
      }
      continue;
    }
    if (words[0] !== 'fact') continue;
    const item = items[Number(words[1])];
    if (item === undefined) continue;
    const kind = (Object.keys(KINDS) as FactKind[]).find((k) => item.startsWith(`${KINDS[k]}:`));
    if (!kind) continue;
    const value = item.slice(2);
    if (kind === 'paths') {
      const [, , type = 'missing', x = '0', fs = '-', size = '0'] = words;
      facts.paths[value] = {
        type: (['dir', 'file', 'socket', 'other'] as const).find((t) => t === type) ?? 'missing',
        executable: x === '1',
        fs: fs === '-' ? null : fs.replace(/_/g, ' '),
        size: Number(size) || 0,
      };
    } else {
      facts[kind][value] = words[2] === '1';
    }
  }
  return facts;
}
