/**
 * What the host's libvirt (QEMU driver) will do with snapshots, decided per host from its version
 * (virConnectGetLibVersion) and per guest and snapshot from their XML, so the UI offers nothing the host
 * refuses. Each rule names libvirt's own refusal (checked in libvirt 9.0's src/qemu/qemu_snapshot.c):
 *
 *  - revert to an external snapshot: "revert to external snapshot not supported yet"
 *    (qemuSnapshotRevertValidate) until 9.7.0, which implemented it;
 *  - delete an external snapshot: implemented in 9.0.0 (NEWS), but not with CHILDREN / CHILDREN_ONLY
 *    ("deletion of external disk snapshots with children not supported"), not when the disk's parent
 *    snapshot is internal ("deleting external snapshot that has internal snapshot as parent not
 *    supported"); deleting with children refuses external descendants ("deletion of external children
 *    disk snapshots not supported"); before 9.0 only the metadata can go;
 *  - delete an internal snapshot of a running guest whose disk is no longer the image the snapshot is
 *    in ("disk image '%s' for internal snapshot '%s' is not the same as disk image currently used by VM");
 *  - internal snapshots of a guest with <loader type='pflash'> ("internal snapshots of a VM with pflash
 *    based firmware are not supported"; libvirt 10.9.0 allows them with a qcow2 NVRAM);
 *  - internal snapshots need every covered disk in qcow2 ("internal snapshot for disk %s unsupported for
 *    storage type %s"), and a running guest's internal snapshot must include memory ("internal snapshot
 *    of a running VM must include the memory state");
 *  - QUIESCE requires DISK_ONLY (VIR_REQUIRE_FLAG_RET in qemuSnapshotCreateXML) and an answering agent;
 *  - revert: a snapshot without the saved domain ("lacks domain rollback info"), one taken in
 *    PMSUSPENDED, a transient guest reverting to a shut-off snapshot without RUNNING/PAUSED, and a guest
 *    with a managed save reverting to a snapshot without memory (REVERT_RISKY) are refused.
 */
import type { DomainState, SnapshotAbility, SnapshotEntry, SnapshotMessage, SnapshotsState } from '../../../preload/api-contract';
import { snapshotDisks, type DomainFacts, type ParsedSnapshot } from './snapshot-xml';

/** libvirt versions (major × 1 000 000 + minor × 1000 + micro) that change what the host does. */
export const LIBVIRT = {
  externalDelete: 9_000_000,
  externalRevert: 9_007_000,
  pflashInternal: 10_009_000,
} as const;

export function versionText(n: number): string {
  return `${Math.floor(n / 1_000_000)}.${Math.floor(n / 1000) % 1000}.${n % 1000}`;
}

const yes: SnapshotAbility = { allowed: true };
const no = (key: string, values?: SnapshotMessage['values']): SnapshotAbility => ({ allowed: false, reason: values ? { key, values } : { key } });

export interface GuestContext {
  version: number;
  state: DomainState;
  persistent: boolean;
  /** The guest's XML now (live when running, else its definition). */
  facts: DomainFacts;
  hasManagedSave: boolean;
  /** The agent's answer to guest-ping (null = not asked: the guest is not running). */
  agent: { answers: true } | { answers: false; reason: string } | null;
}

const isActive = (state: DomainState) => state !== 'shutoff' && state !== 'crashed' && state !== 'nostate';

/** What a create form may offer for this guest. */
export function createAbilities(ctx: GuestContext): SnapshotsState['create'] {
  const active = isActive(ctx.state);
  const disks = snapshotDisks(ctx.facts);
  let internal: SnapshotAbility = yes;
  let external: SnapshotAbility = yes;
  if (ctx.state === 'pmsuspended') {
    internal = external = no('pmsuspended');
  } else {
    const notQcow2 = disks.find((disk) => disk.format !== null && disk.format !== 'qcow2');
    if (disks.length === 0) internal = no('noDisks');
    else if (notQcow2) internal = no('internalNeedsQcow2', { disk: notQcow2.target, format: notQcow2.format ?? '?' });
    else if (ctx.facts.pflash && !(ctx.version >= LIBVIRT.pflashInternal && ctx.facts.nvramFormat === 'qcow2')) {
      internal = no('pflashInternal', { version: versionText(ctx.version), needs: versionText(LIBVIRT.pflashInternal) });
    }
    const unsupported = disks.find((disk) => !(disk.type === 'file' || disk.type === 'block' || (active && disk.type === 'network')));
    if (disks.length === 0) external = no('noDisks');
    else if (unsupported) external = no('externalDiskType', { disk: unsupported.target, type: unsupported.type });
    else if (!active && disks.some((disk) => disk.type !== 'file')) {
      const block = disks.find((disk) => disk.type !== 'file');
      external = no('externalDiskType', { disk: block?.target ?? '?', type: block?.type ?? '?' });
    }
  }
  const memory = active ? yes : no('notRunning');
  const diskOnly = !active ? no('notRunning') : external;
  let quiesce: SnapshotAbility;
  if (!active || ctx.state === 'paused') quiesce = no('quiesceNeedsRunning');
  else if (!external.allowed) quiesce = external;
  else if (ctx.facts.agentChannel === 'none') quiesce = no('noAgentChannel');
  else if (ctx.agent && !ctx.agent.answers) quiesce = no('agentNoAnswer', { reason: ctx.agent.reason });
  else quiesce = ctx.agent ? yes : no('agentNoAnswer', { reason: '' });
  return { internal, external, memory, diskOnly, quiesce };
}

/** Raw facts of one snapshot in the tree. */
export interface TreeSnapshot {
  parsed: ParsedSnapshot;
  children: string[];
  current: boolean;
}

/**
 * The tree from the snapshots' own XML (their <parent>), parents before children; roots and siblings
 * oldest first (then by name). A snapshot whose parent is not in the list counts as a root.
 *
 * Built here rather than asked of libvirt with VIR_DOMAIN_SNAPSHOT_LIST_TOPOLOGICAL: while a snapshot is
 * being created, libvirt 9.0 already has it in the domain's snapshot table but links it into the tree only
 * after QEMU finished (qemuSnapshotCreate: virDomainSnapshotAssignDef … qemuSnapshotCreateWriteMetadata),
 * so a topological listing counts one name more than the tree walk fills and fails with "name in
 * virGetDomainSnapshot must not be NULL" (virDomainListSnapshots). The plain listing walks the table.
 */
export function snapshotTree(snapshots: ParsedSnapshot[], current: string | null): TreeSnapshot[] {
  const byName = new Map(snapshots.map((s) => [s.name, s]));
  const older = (a: ParsedSnapshot, b: ParsedSnapshot) => (a.createdAt ?? 0) - (b.createdAt ?? 0) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const childrenOf = new Map<string, ParsedSnapshot[]>();
  const roots: ParsedSnapshot[] = [];
  for (const snap of snapshots) {
    if (snap.parent && snap.parent !== snap.name && byName.has(snap.parent)) childrenOf.set(snap.parent, [...(childrenOf.get(snap.parent) ?? []), snap]);
    else roots.push(snap);
  }
  for (const list of childrenOf.values()) list.sort(older);
  const ordered: ParsedSnapshot[] = [];
  const seen = new Set<string>();
  const visit = (snap: ParsedSnapshot) => {
    if (seen.has(snap.name)) return;
    seen.add(snap.name);
    ordered.push(snap);
    for (const child of childrenOf.get(snap.name) ?? []) visit(child);
  };
  roots.sort(older).forEach(visit);
  // A parent cycle (libvirt refuses to make one) would leave snapshots unvisited: list them anyway.
  snapshots.filter((s) => !seen.has(s.name)).sort(older).forEach(visit);
  return ordered.map((parsed) => ({ parsed, children: (childrenOf.get(parsed.name) ?? []).map((c) => c.name), current: parsed.name === current }));
}

function descendants(name: string, byName: Map<string, TreeSnapshot>): TreeSnapshot[] {
  const found: TreeSnapshot[] = [];
  const queue = [...(byName.get(name)?.children ?? [])];
  while (queue.length > 0) {
    const next = byName.get(queue.shift() as string);
    if (!next) continue;
    found.push(next);
    queue.push(...next.children);
  }
  return found;
}

/** The nearest ancestor that snapshotted this disk (libvirt's qemuSnapshotFindParentSnapForDisk). */
function parentForDisk(snapshot: ParsedSnapshot, target: string, byName: Map<string, TreeSnapshot>): ParsedSnapshot | null {
  let parent = snapshot.parent ? byName.get(snapshot.parent) : undefined;
  while (parent) {
    if (parent.parsed.disks.some((disk) => disk.target === target && disk.snapshot !== 'no')) return parent.parsed;
    parent = parent.parsed.parent ? byName.get(parent.parsed.parent) : undefined;
  }
  return null;
}

function revertAbility(snapshot: ParsedSnapshot, ctx: GuestContext): SnapshotAbility {
  if (snapshot.external && ctx.version < LIBVIRT.externalRevert) {
    return no('externalRevert', { version: versionText(ctx.version), needs: versionText(LIBVIRT.externalRevert) });
  }
  if (snapshot.state === 'pmsuspended') return no('revertPmsuspended');
  if (!snapshot.hasDomain) return no('noRollbackInfo');
  const withMemory = snapshot.state === 'running' || snapshot.state === 'paused';
  if (ctx.hasManagedSave && !withMemory) return no('managedSave');
  return yes;
}

function deleteOneAbility(snapshot: ParsedSnapshot, ctx: GuestContext, byName: Map<string, TreeSnapshot>): SnapshotAbility {
  const active = isActive(ctx.state);
  if (snapshot.external) {
    if (ctx.version < LIBVIRT.externalDelete) {
      return no('externalDelete', { version: versionText(ctx.version), needs: versionText(LIBVIRT.externalDelete) });
    }
    for (const disk of snapshot.disks.filter((d) => d.snapshot === 'external')) {
      const parent = parentForDisk(snapshot, disk.target, byName);
      if (parent && !parent.external) return no('externalParentInternal', { parent: parent.name });
      const current = ctx.facts.disks.find((d) => d.target === disk.target);
      // The overlay the snapshot made must still be in the disk's chain (the live XML lists the chain).
      if (active && disk.file && current && !current.chain.includes(disk.file)) return no('externalNotInChain', { disk: disk.target });
    }
    return yes;
  }
  if (active) {
    for (const disk of snapshot.disks.filter((d) => d.snapshot === 'internal')) {
      const then = snapshot.domainDisks.get(disk.target);
      const now = ctx.facts.disks.find((d) => d.target === disk.target)?.source ?? null;
      if (then !== undefined && then !== now) return no('internalImageChanged', { disk: disk.target });
    }
  }
  return yes;
}

function deleteChildrenAbility(tree: TreeSnapshot, ctx: GuestContext, byName: Map<string, TreeSnapshot>): SnapshotAbility {
  if (tree.children.length === 0) return no('noChildren');
  if (tree.parsed.external) return no('externalWithChildren');
  if (descendants(tree.parsed.name, byName).some((d) => d.parsed.external)) return no('externalDescendants');
  return deleteOneAbility(tree.parsed, ctx, byName);
}

/** Each snapshot with what the host will do with it. `snapshots` parents before children (snapshotTree). */
export function snapshotEntries(snapshots: TreeSnapshot[], ctx: GuestContext): SnapshotEntry[] {
  const byName = new Map(snapshots.map((s) => [s.parsed.name, s]));
  return snapshots.map(({ parsed, children, current }): SnapshotEntry => {
    const tree = byName.get(parsed.name) as TreeSnapshot;
    const revertsTo = parsed.state === 'running' ? 'running' : parsed.state === 'paused' ? 'paused' : 'shutoff';
    return {
      name: parsed.name,
      parent: parsed.parent,
      children,
      current,
      createdAt: parsed.createdAt,
      state: parsed.state,
      description: parsed.description,
      location: parsed.external ? 'external' : 'internal',
      memory: parsed.memory,
      withMemory: parsed.memory !== 'no' && (parsed.state === 'running' || parsed.state === 'paused'),
      disks: parsed.disks,
      revertsTo,
      revert: revertAbility(parsed, ctx),
      revertDefaultAllowed: ctx.persistent || revertsTo !== 'shutoff',
      deleteOne: deleteOneAbility(parsed, ctx, byName),
      deleteWithChildren: deleteChildrenAbility(tree, ctx, byName),
      deleteMetadataOnly: yes,
    };
  });
}

/** The guest's state after a revert with these flags (libvirt's transitions in qemuSnapshotRevert*). */
export function stateAfterRevert(entry: Pick<SnapshotEntry, 'revertsTo'>, after: 'default' | 'running' | 'paused'): 'running' | 'paused' | 'shutoff' {
  if (after === 'running') return 'running';
  if (after === 'paused') return 'paused';
  return entry.revertsTo;
}

/** Snapshot names libvirt and the overlay file names accept (no '/', no leading '.'; kept shell- and path-safe). */
export const SNAPSHOT_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.+:@-]{0,99}$/;

/** The reasons in English, for errors a service throws (the renderer translates the keys itself). */
const REASON_TEXT: Record<string, string> = {
  pmsuspended: 'the guest is suspended to memory (PMSUSPENDED)',
  noDisks: 'the guest has no disk to snapshot',
  internalNeedsQcow2: 'disk {disk} is {format}; internal snapshots need qcow2',
  pflashInternal: 'libvirt {version} refuses internal snapshots of a guest with pflash (UEFI) firmware (libvirt {needs} allows them with a qcow2 NVRAM)',
  externalDiskType: 'disk {disk} is of type {type}',
  notRunning: 'the guest is not running',
  quiesceNeedsRunning: 'quiescing needs a running guest',
  noAgentChannel: 'the guest has no guest agent channel',
  agentNoAnswer: 'the guest agent does not answer: {reason}',
  externalRevert: 'libvirt {version} cannot revert to external snapshots (libvirt {needs} can)',
  revertPmsuspended: 'QEMU cannot revert to a snapshot taken in PMSUSPENDED state',
  noRollbackInfo: 'the snapshot lacks the saved domain definition',
  managedSave: 'the guest has a managed save image; remove it first',
  externalDelete: 'libvirt {version} cannot delete external snapshots (libvirt {needs} can); only the metadata',
  externalParentInternal: 'its parent snapshot {parent} is internal',
  externalNotInChain: "disk {disk} no longer runs on this snapshot's image chain",
  internalImageChanged: 'disk {disk} no longer uses the image this internal snapshot is in',
  noChildren: 'the snapshot has no children',
  externalWithChildren: 'libvirt cannot delete an external snapshot together with its children',
  externalDescendants: 'libvirt cannot delete external child snapshots',
};

export function reasonText(reason: SnapshotMessage): string {
  const text = REASON_TEXT[reason.key] ?? reason.key;
  return text.replace(/\{(\w+)\}/g, (_, name: string) => String(reason.values?.[name] ?? ''));
}
