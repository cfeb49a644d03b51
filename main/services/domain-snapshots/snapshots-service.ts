/**
 * A guest's snapshots through libvirt: the tree read from each snapshot's XML (ListAllSnapshots +
 * GetXMLDesc), with what the host will do with each (snapshot-rules.ts); create (the XML shown first),
 * revert, delete, edit the description (redefine), and "snapshot selected VMs" across hosts.
 * Nothing is sent that the rules say the host refuses; what libvirt still refuses comes back as its error.
 */
import type {
  BulkSnapshotItem,
  BulkSnapshotRequest,
  BulkSnapshotResult,
  DomainRef,
  DomainState,
  SnapshotCreatePreview,
  SnapshotCreateRequest,
  SnapshotDeleteRequest,
  SnapshotDescriptionRequest,
  SnapshotRevertRequest,
  SnapshotsState,
} from '../../../preload/api-contract';
import type { LibvirtClient } from '../../libvirt/client';
import {
  virDomainSnapshotCreateFlags as Create,
  virDomainSnapshotDeleteFlags as Delete,
  virDomainSnapshotRevertFlags as Revert,
  virDomainSnapshotXMLFlags as XmlFlags,
} from '../../libvirt/protocol';
import { ApiFailure, toApiError } from '../api-failure';
import { SNAPSHOT_NAME, createAbilities, reasonText, snapshotEntries, snapshotTree, stateAfterRevert, versionText, type GuestContext, type TreeSnapshot } from './snapshot-rules';
import {
  buildSnapshotXml,
  memoryPath,
  overlayPath,
  parseSnapshotXml,
  readDomainFacts,
  snapshotDisks,
  withDescription,
  type SnapshotPlan,
} from './snapshot-xml';

/** Whether a file exists on the host: 'missing', facts, or null when it cannot tell. */
export type HostFileStat = (path: string) => Promise<unknown>;

const STATE_NAMES: DomainState[] = ['nostate', 'running', 'blocked', 'paused', 'shutdown', 'shutoff', 'crashed', 'pmsuspended'];
const AGENT_PING_SECONDS = 3;

async function guestContext(libvirt: LibvirtClient, uuid: string): Promise<{ ctx: GuestContext; name: string }> {
  const ref = { uuid };
  const [domain, { state }, persistent, version, hasManagedSave] = await Promise.all([
    libvirt.domain.lookup(ref),
    libvirt.domain.getState(ref),
    libvirt.domain.isPersistent(ref),
    libvirt.host.libVersion(),
    libvirt.domain.hasManagedSaveImage(ref).catch(() => false),
  ]);
  const domainState = STATE_NAMES[state] ?? 'nostate';
  const active = domain.id > 0;
  const facts = readDomainFacts(await libvirt.domain.getXml(ref, active ? 0 : 2 /* VIR_DOMAIN_XML_INACTIVE */));
  let agent: GuestContext['agent'] = null;
  if (domainState === 'running') {
    if (facts.agentChannel === 'none') agent = { answers: false, reason: 'no guest agent channel' };
    else if (facts.agentChannel === 'disconnected') agent = { answers: false, reason: 'the guest agent is not connected' };
    else agent = await libvirt.snapshot.guestAgentPing(ref, AGENT_PING_SECONDS);
  }
  return { ctx: { version, state: domainState, persistent, facts, hasManagedSave, agent }, name: domain.name };
}

async function readTree(libvirt: LibvirtClient, uuid: string): Promise<TreeSnapshot[]> {
  const ref = { uuid };
  // Not VIR_DOMAIN_SNAPSHOT_LIST_TOPOLOGICAL: libvirt 9.0 fails it while a snapshot is being created (snapshotTree).
  const [list, current] = await Promise.all([libvirt.snapshot.list(ref), libvirt.snapshot.current(ref)]);
  const parsed = await Promise.all(list.map(async (snap) => parseSnapshotXml(await libvirt.snapshot.getXml(ref, snap.name))));
  return snapshotTree(parsed, current);
}

export async function snapshotsState(libvirt: LibvirtClient, hostId: string, uuid: string): Promise<SnapshotsState> {
  const [{ ctx, name }, tree] = await Promise.all([guestContext(libvirt, uuid), readTree(libvirt, uuid)]);
  return {
    hostId,
    uuid,
    name,
    state: ctx.state,
    running: ctx.state !== 'shutoff' && ctx.state !== 'crashed' && ctx.state !== 'nostate',
    persistent: ctx.persistent,
    libvirtVersion: versionText(ctx.version),
    snapshots: snapshotEntries(tree, ctx),
    create: createAbilities(ctx),
  };
}

function refuse(ability: { allowed: true } | { allowed: false; reason: { key: string; values?: Record<string, string | number> } }, what: string): void {
  if (!ability.allowed) {
    throw new ApiFailure('invalid-request', `${what} is not possible here: ${reasonText(ability.reason)}`);
  }
}

interface CreatePlan {
  plan: SnapshotPlan;
  flags: number;
  flagNames: string[];
  files: string[];
}

async function makeCreatePlan(libvirt: LibvirtClient, request: SnapshotCreateRequest): Promise<CreatePlan> {
  if (!SNAPSHOT_NAME.test(request.name)) {
    throw new ApiFailure('invalid-request', 'A snapshot name is 1–100 letters, digits and _ . + : @ - (not starting with . or -)', { field: 'name' });
  }
  const { ctx } = await guestContext(libvirt, request.uuid);
  const create = createAbilities(ctx);
  const existing = await libvirt.snapshot.list({ uuid: request.uuid });
  if (existing.some((snap) => snap.name === request.name)) {
    throw new ApiFailure('conflict', `The guest already has a snapshot named ${request.name}`, { field: 'name' });
  }
  const active = ctx.state !== 'shutoff' && ctx.state !== 'crashed' && ctx.state !== 'nostate';
  const covered = new Set(snapshotDisks(ctx.facts).map((disk) => disk.target));
  const flagNames: string[] = [];
  let flags = 0;
  const flag = (name: keyof typeof Create) => {
    flags |= Create[name];
    flagNames.push(name);
  };
  const files: string[] = [];
  let plan: SnapshotPlan;
  if (request.kind === 'internal') {
    refuse(create.internal, 'An internal snapshot');
    if (request.quiesce) throw new ApiFailure('invalid-request', 'Only an external disk-only snapshot can be quiesced', { field: 'quiesce' });
    if (active && !request.memory) {
      throw new ApiFailure('invalid-request', 'An internal snapshot of a running guest includes its memory; take an external snapshot for disk only', { field: 'memory' });
    }
    plan = {
      name: request.name,
      description: request.description,
      kind: 'internal',
      memory: active ? 'internal' : 'no',
      memoryFile: null,
      disks: ctx.facts.disks.map((disk) => ({ target: disk.target, snapshot: covered.has(disk.target) ? 'internal' : 'no', file: null })),
    };
  } else {
    refuse(create.external, 'An external snapshot');
    const withMemory = active && request.memory;
    if (request.memory && !active) throw new ApiFailure('invalid-request', 'A shut-off guest has no memory to save', { field: 'memory' });
    if (request.quiesce) {
      if (withMemory) throw new ApiFailure('invalid-request', 'Only a disk-only snapshot can be quiesced', { field: 'quiesce' });
      refuse(create.quiesce, 'Quiescing');
    }
    const memoryFile = withMemory ? memoryPath(ctx.facts, request.name) : null;
    if (withMemory && !memoryFile) throw new ApiFailure('invalid-request', 'The guest has no file-backed disk to put the memory file beside');
    plan = {
      name: request.name,
      description: request.description,
      kind: 'external',
      memory: withMemory ? 'external' : 'no',
      memoryFile,
      disks: ctx.facts.disks.map((disk) => {
        const external = covered.has(disk.target) && disk.source !== null;
        const file = external && disk.type === 'file' && disk.source ? overlayPath(disk.source, request.name) : null;
        if (file) files.push(file);
        return { target: disk.target, snapshot: external ? 'external' : 'no', file };
      }),
    };
    if (memoryFile) files.push(memoryFile);
    if (!withMemory) flag('VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY');
    if (request.quiesce) flag('VIR_DOMAIN_SNAPSHOT_CREATE_QUIESCE');
    flag('VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC');
  }
  return { plan, flags, flagNames, files };
}

async function checkFilesFree(files: string[], stat: HostFileStat): Promise<void> {
  for (const file of files) {
    const found = await stat(file).catch(() => null);
    if (found !== 'missing' && found !== null) throw new ApiFailure('conflict', `${file} already exists on the host`, { field: 'name' });
  }
}

export async function previewCreate(libvirt: LibvirtClient, request: SnapshotCreateRequest): Promise<SnapshotCreatePreview> {
  const { plan, flagNames } = await makeCreatePlan(libvirt, request);
  return { xml: buildSnapshotXml(plan), flags: flagNames };
}

export async function createSnapshot(libvirt: LibvirtClient, request: SnapshotCreateRequest, stat: HostFileStat): Promise<SnapshotsState> {
  const { plan, flags, files } = await makeCreatePlan(libvirt, request);
  await checkFilesFree(files, stat);
  await libvirt.snapshot.create({ uuid: request.uuid }, buildSnapshotXml(plan), flags);
  return snapshotsState(libvirt, request.hostId, request.uuid);
}

async function entryOf(libvirt: LibvirtClient, ref: DomainRef, snapshot: string) {
  const state = await snapshotsState(libvirt, ref.hostId, ref.uuid);
  const entry = state.snapshots.find((s) => s.name === snapshot);
  if (!entry) throw new ApiFailure('not-found', `${state.name} has no snapshot named ${snapshot}`, { field: 'snapshot' });
  return { state, entry };
}

function confirm(confirmName: string, snapshot: string): void {
  if (confirmName !== snapshot) throw new ApiFailure('invalid-request', `Confirm with the snapshot's name, ${snapshot}`, { field: 'confirmName' });
}

export async function revertSnapshot(libvirt: LibvirtClient, request: SnapshotRevertRequest): Promise<SnapshotsState> {
  confirm(request.confirmName, request.snapshot);
  const { entry } = await entryOf(libvirt, request, request.snapshot);
  refuse(entry.revert, 'Reverting to this snapshot');
  if (request.after === 'default' && !entry.revertDefaultAllowed) {
    throw new ApiFailure('invalid-request', 'A transient guest must be run or paused after reverting to a shut-off snapshot', { field: 'after' });
  }
  const flags = request.after === 'running' ? Revert.VIR_DOMAIN_SNAPSHOT_REVERT_RUNNING : request.after === 'paused' ? Revert.VIR_DOMAIN_SNAPSHOT_REVERT_PAUSED : 0;
  await libvirt.snapshot.revert({ uuid: request.uuid }, request.snapshot, flags);
  // libvirt 9.0 answers only once the guest is in that state (qemuSnapshotRevertActive starts the CPUs or
  // marks it paused, qemuSnapshotRevertInactive leaves it off or starts it, before the job ends): one read
  // says so, or says what happened to the guest since (it quit, or paused itself).
  const promised = stateAfterRevert(entry, request.after);
  const now = STATE_NAMES[(await libvirt.domain.getState({ uuid: request.uuid })).state] ?? 'nostate';
  if (now !== promised) throw new ApiFailure('conflict', `Reverted to ${request.snapshot}, but the guest is now ${now}, not ${promised}`);
  return snapshotsState(libvirt, request.hostId, request.uuid);
}

export async function deleteSnapshot(libvirt: LibvirtClient, request: SnapshotDeleteRequest): Promise<SnapshotsState> {
  confirm(request.confirmName, request.snapshot);
  const { entry } = await entryOf(libvirt, request, request.snapshot);
  const ability = request.mode === 'one' ? entry.deleteOne : request.mode === 'children' ? entry.deleteWithChildren : entry.deleteMetadataOnly;
  refuse(ability, 'Deleting this snapshot that way');
  const flags =
    request.mode === 'children' ? Delete.VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN : request.mode === 'metadata' ? Delete.VIR_DOMAIN_SNAPSHOT_DELETE_METADATA_ONLY : 0;
  await libvirt.snapshot.delete({ uuid: request.uuid }, request.snapshot, flags);
  return snapshotsState(libvirt, request.hostId, request.uuid);
}

/** The snapshot redefined with a new description (REDEFINE, plus CURRENT when it is the current one). */
export async function setSnapshotDescription(libvirt: LibvirtClient, request: SnapshotDescriptionRequest): Promise<SnapshotsState> {
  const { entry } = await entryOf(libvirt, request, request.snapshot);
  const ref = { uuid: request.uuid };
  // SECURE: the saved domain keeps its secrets (graphics passwords) through the redefine.
  const xml = await libvirt.snapshot.getXml(ref, request.snapshot, XmlFlags.VIR_DOMAIN_SNAPSHOT_XML_SECURE);
  const flags = Create.VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE | (entry.current ? Create.VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT : 0);
  await libvirt.snapshot.create(ref, withDescription(xml, request.description.trim()), flags);
  return snapshotsState(libvirt, request.hostId, request.uuid);
}

/** What bulk snapshots take of one guest: internal (with memory when running) where possible, else external. */
async function bulkOne(libvirt: LibvirtClient, target: DomainRef, request: BulkSnapshotRequest, stat: HostFileStat): Promise<BulkSnapshotItem> {
  let vmName = target.uuid;
  try {
    const state = await snapshotsState(libvirt, target.hostId, target.uuid);
    vmName = state.name;
    const kind = state.create.internal.allowed ? 'internal' : 'external';
    const withMemory = state.running && state.create.memory.allowed;
    await createSnapshot(libvirt, { ...target, name: request.name, description: request.description, kind, memory: withMemory, quiesce: false }, stat);
    return { ...target, vmName, ok: true, kind, withMemory };
  } catch (error) {
    return { ...target, vmName, ok: false, error: toApiError(error) };
  }
}

/**
 * "Snapshot selected VMs": one name for all; guests on one host one after another (memory snapshots are
 * heavy), hosts in parallel. Every guest gets a result: succeeded, or failed with libvirt's reason.
 */
export async function bulkSnapshot(
  request: BulkSnapshotRequest,
  hostOf: (hostId: string) => { libvirt: LibvirtClient; stat: HostFileStat },
): Promise<BulkSnapshotResult> {
  if (!SNAPSHOT_NAME.test(request.name)) {
    throw new ApiFailure('invalid-request', 'A snapshot name is 1–100 letters, digits and _ . + : @ - (not starting with . or -)', { field: 'name' });
  }
  const byHost = new Map<string, DomainRef[]>();
  for (const target of request.targets) byHost.set(target.hostId, [...(byHost.get(target.hostId) ?? []), target]);
  const results = new Map<DomainRef, BulkSnapshotItem>();
  await Promise.all(
    [...byHost.entries()].map(async ([hostId, targets]) => {
      let host: ReturnType<typeof hostOf>;
      try {
        host = hostOf(hostId);
      } catch (error) {
        for (const target of targets) results.set(target, { ...target, vmName: target.uuid, ok: false, error: toApiError(error) });
        return;
      }
      for (const target of targets) results.set(target, await bulkOne(host.libvirt, target, request, host.stat));
    }),
  );
  return { items: request.targets.map((target) => results.get(target) as BulkSnapshotItem) };
}
