/**
 * The new-VM wizard against one host: its context (capabilities, pools, networks, OSes), OS detection
 * from an ISO, defaults, the preview (domain XML + steps + sizing warnings), and Create.
 *
 * Create runs the steps in order — volumes, the cloud-init seed, define (VALIDATE), start — recording
 * each thing it made. When a step fails, everything recorded is removed again in reverse order (domain
 * destroyed, undefined with its NVRAM and TPM state, volumes deleted) and the result names the step and
 * libvirt's reason. Nothing the wizard did not make is ever removed.
 */
import { randomUUID } from 'node:crypto';
import type {
  AdvisorThresholds,
  NewVmContext,
  NewVmCreateResult,
  NewVmDefaults,
  NewVmNote,
  NewVmOs,
  NewVmPreview,
  NewVmSizingWarning,
  NewVmSourceKind,
  NewVmSpec,
  NewVmStep,
  NewVmStepProgress,
  NewVmVolume,
} from '../../../preload/api-contract';
import type { LibvirtClient } from '../../libvirt/client';
import { LibvirtError } from '../../libvirt/rpc/errors';
import { virDomainDefineFlags, virDomainUndefineFlagsValues as Undefine } from '../../libvirt/protocol';
import { ApiFailure } from '../api-failure';
import { checkSizing } from '../domain-tuning/advisor';
import { attr, child, children, parseXmlDocument, text } from '../domains/domain-xml-parse';
import { wizardDefaults } from './defaults';
import { buildDomainXml, escapeXml } from './domain-xml-builder';
import { readHostFacts, readNetworks, readPools, type PoolInventory } from './host-inventory';
import { loadOsCatalog, type CatalogSource, type SftpSource } from './host-osinfo';
import { readIsoIdentifiers } from './iso-label';
import { buildNoCloudSeed } from './nocloud-seed';
import type { ResolvedOs } from './os-catalog';

const GiB = 1024 ** 3;

/** libvirt's rule for names, plus what makes a sane volume file name. */
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,62}$/;

/** What one host offers the service: its libvirt client and SSH (for osinfo-db over SFTP). */
export interface NewVmHost {
  libvirt: LibvirtClient;
  ssh: SftpSource | null;
}

interface Plan {
  uuid: string;
  os: ResolvedOs;
  steps: NewVmStep[];
  /** Paths the steps' volumes get (predicted from the pool's target path), by step index. */
  volumePaths: Map<number, string>;
  diskPath: string;
  diskFormat: string;
  isoPath: string | null;
  seedPath: string | null;
  seed: ReturnType<typeof buildNoCloudSeed> | null;
  notes: NewVmNote[];
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));
const libvirtReason = (error: unknown) => (error instanceof LibvirtError ? (error.remoteMessage ?? error.message) : null);

export class NewVmService {
  /** One osinfo-db read per host connection (a reconnect reads it again). */
  private readonly catalogs = new WeakMap<object, Promise<CatalogSource>>();
  private readonly createIds = new Set<string>();

  constructor(private readonly publish: (progress: NewVmStepProgress) => void) {}

  catalog(host: NewVmHost): Promise<CatalogSource> {
    let loading = this.catalogs.get(host.libvirt);
    if (!loading) {
      loading = loadOsCatalog(host.ssh);
      this.catalogs.set(host.libvirt, loading);
      loading.catch(() => this.catalogs.delete(host.libvirt));
    }
    return loading;
  }

  async context(hostId: string, host: NewVmHost): Promise<NewVmContext> {
    const [facts, inventory, networks, domains, source] = await Promise.all([
      readHostFacts(host.libvirt),
      readPools(host.libvirt),
      readNetworks(host.libvirt),
      host.libvirt.domain.list(),
      this.catalog(host),
    ]);
    return {
      hostId,
      host: facts,
      pools: inventory.pools,
      volumes: inventory.volumes,
      networks,
      existingNames: domains.map((d) => d.name).sort(),
      osSource:
        source.kind === 'host'
          ? { kind: 'host', path: source.path, version: source.version, count: source.catalog.size }
          : { kind: 'built-in', reason: source.reason, count: source.catalog.size },
      oses: source.catalog.list(),
    };
  }

  async detect(host: NewVmHost, path: string): Promise<{ label: string | null; matches: NewVmOs[] }> {
    await host.libvirt.storageVolume.lookup({ path }); // a volume libvirt knows, or not-found below
    const identifiers = await readIsoIdentifiers(host.libvirt, path);
    if (!identifiers) return { label: null, matches: [] };
    const { catalog } = await this.catalog(host);
    return { label: identifiers.volumeId, matches: catalog.matchIso(identifiers) };
  }

  private async resolveOs(host: NewVmHost, osId: string): Promise<ResolvedOs> {
    const { catalog } = await this.catalog(host);
    const os = catalog.get(osId);
    if (!os) throw new ApiFailure('invalid-request', `Unknown operating system ${osId}`, { field: 'osId' });
    return os;
  }

  async defaults(host: NewVmHost, osId: string, sourceKind: NewVmSourceKind): Promise<NewVmDefaults> {
    const [os, facts, inventory, networks] = await Promise.all([
      this.resolveOs(host, osId),
      readHostFacts(host.libvirt),
      readPools(host.libvirt),
      readNetworks(host.libvirt),
    ]);
    return wizardDefaults(os, facts, sourceKind, inventory.pools, networks);
  }

  /** Checks the spec against the host and works out the steps and the paths they produce. */
  private async plan(host: NewVmHost, spec: NewVmSpec, inventory: PoolInventory, uuid: string): Promise<Plan> {
    if (!NAME_PATTERN.test(spec.name)) {
      throw new ApiFailure('invalid-request', 'A name starts with a letter or digit and has up to 63 letters, digits, dots, dashes, underscores or plus signs', { field: 'name' });
    }
    const os = await this.resolveOs(host, spec.osId);
    const volumeAt = (path: string, field: string): NewVmVolume => {
      const found = inventory.volumes.find((v) => v.path === path);
      if (!found) throw new ApiFailure('invalid-request', `${path} is not a volume of an active pool on this host`, { field });
      return found;
    };
    const steps: NewVmStep[] = [];
    const volumePaths = new Map<number, string>();
    const notes: NewVmNote[] = [];
    const newVolume = (name: string): { pool: string; path: string } => {
      const pool = inventory.pools.find((p) => p.name === spec.disk.pool);
      if (!pool) throw new ApiFailure('invalid-request', `There is no active pool named ${spec.disk.pool}`, { field: 'disk.pool' });
      if (!pool.fileBased || !pool.targetPath) {
        throw new ApiFailure('invalid-request', `The wizard creates disks in directory pools (dir, fs, netfs); ${pool.name} is a ${pool.type} pool`, { field: 'disk.pool' });
      }
      if (inventory.volumes.some((v) => v.pool === pool.name && v.name === name)) {
        throw new ApiFailure('conflict', `The pool ${pool.name} already has a volume named ${name}`, { field: 'name' });
      }
      return { pool: pool.name, path: `${pool.targetPath.replace(/\/+$/, '')}/${name}` };
    };

    let diskPath: string;
    let diskFormat = 'qcow2';
    let isoPath: string | null = null;
    let seedPath: string | null = null;
    let seed: Plan['seed'] = null;
    const capacity = Math.round(spec.disk.sizeGiB * GiB);
    if (spec.source.kind === 'import') {
      const disk = volumeAt(spec.source.diskPath, 'source.diskPath');
      diskPath = disk.path;
      diskFormat = disk.format && disk.format !== 'iso' ? disk.format : 'raw';
    } else {
      const name = `${spec.name}.qcow2`;
      const target = newVolume(name);
      let backingPath: string | null = null;
      let size = capacity;
      if (spec.source.kind === 'iso') {
        isoPath = volumeAt(spec.source.isoPath, 'source.isoPath').path;
      } else {
        const image = volumeAt(spec.source.imagePath, 'source.imagePath');
        backingPath = image.path;
        if (image.capacityBytes > size) {
          size = image.capacityBytes;
          notes.push({ key: 'diskGrownToImage', values: { gib: Math.ceil(size / GiB) }, severity: 'info' });
        }
      }
      steps.push({ kind: 'create-volume', pool: target.pool, name, capacityBytes: size, format: 'qcow2', backingPath });
      volumePaths.set(steps.length - 1, target.path);
      diskPath = target.path;
    }
    if (spec.source.kind === 'cloud-image') {
      const c = spec.source.cloudInit;
      if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(c.user)) throw new ApiFailure('invalid-request', 'The user name is not a valid Linux user name', { field: 'cloudInit.user' });
      if (!/^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(c.hostname)) {
        throw new ApiFailure('invalid-request', 'The hostname is not a valid host name', { field: 'cloudInit.hostname' });
      }
      if (!c.password && !c.sshKey) throw new ApiFailure('invalid-request', 'Give a password or an SSH public key, or nobody can log in', { field: 'cloudInit.password' });
      if (c.sshKey && !/^(ssh-|ecdsa-|sk-)\S+ [A-Za-z0-9+/=]+( .*)?$/.test(c.sshKey.trim())) {
        throw new ApiFailure('invalid-request', 'The SSH public key is not one line of an authorized_keys file', { field: 'cloudInit.sshKey' });
      }
      seed = buildNoCloudSeed(c, uuid);
      const name = `${spec.name}-cidata.iso`;
      const target = newVolume(name);
      steps.push({ kind: 'write-seed', pool: target.pool, name, bytes: seed.image.length });
      volumePaths.set(steps.length - 1, target.path);
      seedPath = target.path;
    }
    steps.push({ kind: 'define' }, { kind: 'start' });
    return { uuid, os, steps, volumePaths, diskPath, diskFormat, isoPath, seedPath, seed, notes };
  }

  async preview(host: NewVmHost, spec: NewVmSpec, thresholds: AdvisorThresholds): Promise<NewVmPreview> {
    const [facts, inventory, domains] = await Promise.all([readHostFacts(host.libvirt), readPools(host.libvirt), host.libvirt.domain.list()]);
    if (domains.some((d) => d.name === spec.name)) throw new ApiFailure('conflict', `A guest named ${spec.name} already exists on this host`, { field: 'name' });
    const plan = await this.plan(host, spec, inventory, randomUUID());
    const xml = buildDomainXml({
      spec,
      uuid: plan.uuid,
      os: plan.os,
      host: facts,
      diskPath: plan.diskPath,
      diskFormat: plan.diskFormat,
      isoPath: plan.isoPath,
      seedPath: plan.seedPath,
    });
    const sizing = checkSizing({
      vcpus: spec.vcpus,
      maxMemoryKiB: spec.memoryMiB * 1024,
      otherRunningVcpus: facts.running.vcpus,
      otherRunningMemoryKiB: facts.running.memoryKiB,
      hostThreads: facts.threads,
      hostMemoryKiB: facts.memoryKiB,
      thresholds,
    });
    const warnings: NewVmSizingWarning[] = [];
    if (sizing.vcpu) warnings.push({ rule: 'vcpu-overcommit', values: sizing.vcpu.values });
    if (sizing.memory) warnings.push({ rule: 'memory-overcommit', values: sizing.memory.values });
    const notes = [...plan.notes];
    if (facts.domainType === 'qemu') notes.push({ key: 'tcg', values: {}, severity: 'warning' });
    return { xml, steps: plan.steps, warnings, notes, seed: plan.seed ? { userData: plan.seed.userData, metaData: plan.seed.metaData } : null };
  }

  /** Runs the steps with `xml` as the definition; undoes everything it made when a step fails. */
  async create(host: NewVmHost, spec: NewVmSpec, xml: string, createId: string): Promise<NewVmCreateResult> {
    if (this.createIds.has(createId)) throw new ApiFailure('conflict', 'This Create was already started');
    this.createIds.add(createId);
    const libvirt = host.libvirt;

    // The definition as edited: a <domain> that uses what the steps make. Checked before anything is made.
    const root = parseXmlDocument(xml, 'The domain XML');
    if (root.localName !== 'domain') throw new ApiFailure('invalid-request', `The document's root element is <${root.localName}>, not <domain>`);
    const uuid = (text(child(root, 'uuid')) ?? '').toLowerCase();
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(uuid)) throw new ApiFailure('invalid-request', 'The XML needs the <uuid> the wizard gave it');
    const inventory = await readPools(libvirt);
    const plan = await this.plan(host, spec, inventory, uuid);
    const sources = new Set(
      children(child(root, 'devices') ?? root, 'disk').map((disk) => attr(child(disk, 'source'), 'file')).filter((p): p is string => p !== null),
    );
    for (const [index, path] of plan.volumePaths) {
      if (!sources.has(path)) {
        const step = plan.steps[index] as { name: string };
        throw new ApiFailure('invalid-request', `The XML no longer uses ${path} (the volume ${step.name} the wizard creates); change the disk in the wizard instead`);
      }
    }
    const hasTpm = children(child(root, 'devices') ?? root, 'tpm').length > 0;

    const undo: Array<{ what: string; run: () => Promise<void> }> = [];
    const progress = (index: number, state: NewVmStepProgress['state'], detail?: string) =>
      this.publish({ createId, index, state, ...(detail === undefined ? {} : { detail }) });

    let index = 0;
    let domainName = spec.name;
    try {
      for (; index < plan.steps.length; index++) {
        const step = plan.steps[index] as NewVmStep;
        progress(index, 'running');
        switch (step.kind) {
          case 'create-volume': {
            const backing = step.backingPath
              ? `<backingStore><path>${escapeXml(step.backingPath)}</path><format type='${escapeXml(inventory.volumes.find((v) => v.path === step.backingPath)?.format ?? 'raw')}'/></backingStore>`
              : '';
            const vol = await libvirt.storageVolume.create(
              { name: step.pool },
              `<volume><name>${escapeXml(step.name)}</name><capacity unit='bytes'>${step.capacityBytes}</capacity><allocation>0</allocation>` +
                `<target><format type='qcow2'/></target>${backing}</volume>`,
            );
            undo.push({ what: `volume ${step.pool}/${step.name}`, run: () => libvirt.storageVolume.delete(vol) });
            await this.expectPath(libvirt, vol, plan.volumePaths.get(index) as string);
            break;
          }
          case 'write-seed': {
            const image = plan.seed?.image as Buffer;
            const vol = await libvirt.storageVolume.create(
              { name: step.pool },
              `<volume><name>${escapeXml(step.name)}</name><capacity unit='bytes'>${image.length}</capacity><target><format type='raw'/></target></volume>`,
            );
            undo.push({ what: `volume ${step.pool}/${step.name}`, run: () => libvirt.storageVolume.delete(vol) });
            await this.expectPath(libvirt, vol, plan.volumePaths.get(index) as string);
            await uploadAll(libvirt, vol, image);
            break;
          }
          case 'define': {
            const domain = await libvirt.domain.define(xml, virDomainDefineFlags.VIR_DOMAIN_DEFINE_VALIDATE);
            domainName = domain.name;
            let flags =
              Undefine.VIR_DOMAIN_UNDEFINE_NVRAM | Undefine.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | Undefine.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA;
            if (hasTpm) flags |= Undefine.VIR_DOMAIN_UNDEFINE_TPM;
            undo.push({ what: `definition of ${domain.name}`, run: () => libvirt.domain.undefine({ uuid: domain.uuid }, flags >>> 0) });
            break;
          }
          case 'start': {
            await libvirt.domain.start({ uuid });
            undo.push({
              what: `running guest ${domainName}`,
              run: async () => {
                const state = await libvirt.domain.getState({ uuid });
                if (state.state !== 5) await libvirt.domain.destroy({ uuid });
              },
            });
            break;
          }
        }
        progress(index, 'done');
      }
    } catch (error) {
      progress(index, 'failed', libvirtReason(error) ?? message(error));
      const undone: string[] = [];
      const leftBehind: string[] = [];
      for (const item of undo.reverse()) {
        try {
          await item.run();
          undone.push(item.what);
        } catch (undoError) {
          leftBehind.push(`${item.what}: ${libvirtReason(undoError) ?? message(undoError)}`);
        }
      }
      for (let i = index - 1; i >= 0; i--) progress(i, 'undone');
      return {
        ok: false,
        failedIndex: index,
        failedStep: plan.steps[index] as NewVmStep,
        message: message(error),
        libvirtMessage: libvirtReason(error),
        undone,
        leftBehind,
      };
    }
    const graphics = children(child(root, 'devices') ?? root, 'graphics').length > 0;
    const serial = children(child(root, 'devices') ?? root, 'serial').length > 0;
    return { ok: true, uuid, name: domainName, console: serial || !graphics ? 'serial' : 'graphics' };
  }

  private async expectPath(libvirt: LibvirtClient, vol: { pool: string; name: string; key: string }, expected: string): Promise<void> {
    const path = await libvirt.storageVolume.getPath(vol);
    if (path !== expected) throw new Error(`The pool put ${vol.name} at ${path}, not at ${expected} as the domain XML says`);
  }
}

async function uploadAll(libvirt: LibvirtClient, vol: { pool: string; name: string; key: string }, data: Buffer): Promise<void> {
  const stream = await libvirt.streams.volumeUpload(vol, { offset: 0n, length: BigInt(data.length), timeoutMs: 60_000 });
  await new Promise<void>((resolve, reject) => {
    stream.once('finish', resolve);
    stream.once('error', reject);
    stream.end(data);
  });
}


