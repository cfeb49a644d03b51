/**
 * The tuning calls against one host: read the context the forms start from, preview a change (diff of
 * the persistent definition and its plan), apply it (define through the shared domain XML store, then
 * the live calls on a running guest) and the advisor's findings.
 */
import { createTwoFilesPatch } from 'diff';
import {
  formatCpuset,
  type AdvisorFinding,
  type AdvisorThresholds,
  type BalloonModel,
  type HostTopology,
  type TuningApplyResult,
  type TuningChange,
  type TuningContext,
  type TuningLiveCall,
  type TuningMessage,
  type TuningPreview,
} from '../../../preload/api-contract';
import { toRemoteDomain, type LibvirtClient } from '../../libvirt/client';
import { remoteProcedures as P } from '../../libvirt/protocol';
import { ApiFailure } from '../api-failure';
import { defineDomainXml, readDomainXml, readPersistent } from '../domain-xml/domain-xml-store';
import { advise } from './advisor';
import { defaultHugepageKiB, hostPages, parseHostTopology } from './host-topology';
import { planChange, type LiveFacts } from './planner';
import { applyTuningChange, readTuningState } from './transform';
import { attribute, elementKiB, first, parseXml, textOf } from './xml-edit';

const VIR_DOMAIN_AFFECT_LIVE = 1;

/** Capabilities topology plus free pages per node and size (NODE_GET_FREE_PAGES when the host answers). */
export async function readHostTopology(libvirt: LibvirtClient): Promise<HostTopology> {
  const host = parseHostTopology(await libvirt.host.capabilities());
  if (host.memoryKiB === 0) {
    const info = await libvirt.host.nodeInfo();
    host.memoryKiB = info.memoryKiB;
  }
  const sizes = host.pageSizesKiB;
  if (host.cells.length > 0 && sizes.length > 0) {
    try {
      const { counts } = await libvirt.call(P.REMOTE_PROC_NODE_GET_FREE_PAGES, {
        pages: sizes,
        startCell: Math.min(...host.cells.map((c) => c.id)),
        cellCount: host.cells.length,
        flags: 0,
      });
      host.cells.forEach((cell, ci) => {
        sizes.forEach((size, si) => {
          const free = counts[ci * sizes.length + si];
          if (free === undefined) return;
          const pool = cell.pages.find((p) => p.sizeKiB === size);
          if (pool) pool.free = Number(free);
          else cell.pages.push({ sizeKiB: size, total: 0, free: Number(free) });
        });
      });
    } catch {
      // Older hosts or non-NUMA drivers: the capabilities' totals stand (free stays unknown).
    }
  }
  return host;
}

function liveFacts(liveXml: string | null, pins: string[]): (LiveFacts & { vcpuPins: string[] }) | null {
  if (!liveXml) return null;
  const doc = parseXml(liveXml);
  const vcpu = first(doc.root, 'vcpu');
  const max = Number(textOf(vcpu) ?? '1');
  const balloon = first(first(doc.root, 'devices'), 'memballoon');
  const maxMemoryKiB = elementKiB(first(doc.root, 'memory')) ?? 0;
  return {
    vcpus: Number(attribute(vcpu, 'current') ?? max),
    maxVcpus: max,
    memoryKiB: elementKiB(first(doc.root, 'currentMemory')) ?? maxMemoryKiB,
    maxMemoryKiB,
    balloonModel: attribute(balloon, 'model') ?? (balloon ? 'none' : null),
    vcpuPins: pins,
  };
}

async function livePins(libvirt: LibvirtClient, uuid: string): Promise<string[]> {
  return (await libvirt.domain.getVcpuPinInfo({ uuid }, VIR_DOMAIN_AFFECT_LIVE)).map((cpus) => formatCpuset(cpus));
}

export async function tuningContext(libvirt: LibvirtClient, uuid: string): Promise<TuningContext> {
  const domain = await libvirt.domain.lookup({ uuid });
  const source = await readDomainXml(libvirt, uuid);
  const host = await readHostTopology(libvirt);
  const pins = source.live ? await livePins(libvirt, uuid).catch(() => []) : [];
  const live = liveFacts(source.live, pins);
  return {
    uuid,
    name: domain.name,
    running: source.live !== null,
    inactiveXml: source.inactive,
    state: readTuningState(source.inactive),
    live: live
      ? { vcpus: live.vcpus, maxVcpus: live.maxVcpus, memoryKiB: live.memoryKiB, balloonModel: live.balloonModel as BalloonModel | null, vcpuPins: live.vcpuPins }
      : null,
    host,
  };
}

function warningsFor(change: TuningChange, host: HostTopology): TuningMessage[] {
  const warnings: TuningMessage[] = [];
  if (change.form === 'memory' && change.hugepages) {
    const size = change.hugepages.sizeKiB ?? defaultHugepageKiB(host);
    if (size === null || !host.pageSizesKiB.includes(size)) {
      throw new ApiFailure('invalid-request', `This host has no ${size ?? '?'} KiB hugepages (it supports ${host.pageSizesKiB.join(', ')} KiB pages)`, { field: 'hugepages' });
    }
    const pool = hostPages(host, size);
    const needed = Math.ceil(change.maxKiB / size);
    const available = pool.free ?? pool.total;
    if (available < needed) warnings.push({ key: 'hugepagesShort', values: { sizeKiB: size, needed, available } });
  }
  if (change.form === 'cpu' && change.vcpus > host.threads) {
    warnings.push({ key: 'moreVcpusThanThreads', values: { vcpus: change.vcpus, threads: host.threads } });
  }
  if (change.form === 'memory' && change.maxKiB > host.memoryKiB) {
    warnings.push({ key: 'moreMemoryThanHost', values: { memoryMiB: Math.round(change.maxKiB / 1024), hostMiB: Math.round(host.memoryKiB / 1024) } });
  }
  return warnings;
}

export async function tuningPreview(libvirt: LibvirtClient, uuid: string, change: TuningChange, basedOn: string): Promise<TuningPreview> {
  const current = await readPersistent(libvirt, uuid);
  if (current !== basedOn) throw new ApiFailure('conflict', 'The domain was changed on the host since the form was opened; reload it');
  const host = await readHostTopology(libvirt);
  const xml = applyTuningChange(basedOn, change, host);
  const warnings = warningsFor(change, host);
  const source = await readDomainXml(libvirt, uuid);
  const live = liveFacts(source.live, source.live ? await livePins(libvirt, uuid).catch(() => []) : []);
  const plan = planChange(change, readTuningState(basedOn), live, host, live?.vcpuPins ?? []);
  const diff = xml === basedOn ? '' : createTwoFilesPatch('on the host', 'after this change', basedOn, xml, undefined, undefined, { context: 3 });
  return { basedOn, xml, diff, plan, warnings };
}

function cpumap(cpus: readonly number[]): Uint8Array {
  const map = new Uint8Array(Math.floor(Math.max(...cpus) / 8) + 1);
  for (const cpu of cpus) map[cpu >> 3] = (map[cpu >> 3] as number) | (1 << (cpu & 7));
  return map;
}

async function runLiveCall(libvirt: LibvirtClient, uuid: string, call: TuningLiveCall): Promise<void> {
  const ref = { uuid };
  switch (call.call) {
    case 'setVcpus':
      return libvirt.domain.setVcpus(ref, call.count, VIR_DOMAIN_AFFECT_LIVE);
    case 'setMemory':
      return libvirt.domain.setMemory(ref, call.kib, VIR_DOMAIN_AFFECT_LIVE);
    case 'pinVcpu':
      return libvirt.domain.pinVcpu(ref, call.vcpu, call.cpus, VIR_DOMAIN_AFFECT_LIVE);
    case 'pinEmulator': {
      const dom = toRemoteDomain(await libvirt.domain.lookup(ref));
      await libvirt.call(P.REMOTE_PROC_DOMAIN_PIN_EMULATOR, { dom, cpumap: cpumap(call.cpus), flags: VIR_DOMAIN_AFFECT_LIVE });
      return;
    }
    case 'pinIothread': {
      const dom = toRemoteDomain(await libvirt.domain.lookup(ref));
      await libvirt.call(P.REMOTE_PROC_DOMAIN_PIN_IOTHREAD, { dom, iothreads_id: call.iothread, cpumap: cpumap(call.cpus), flags: VIR_DOMAIN_AFFECT_LIVE });
      return;
    }
  }
}

/**
 * Defines the changed definition (the store checks nobody changed it since `basedOn` and defines with
 * VALIDATE), then makes the live calls on a running guest. Invalid input changes nothing; a live call
 * that fails is reported with the persistent change kept.
 */
export async function tuningApply(libvirt: LibvirtClient, uuid: string, change: TuningChange, basedOn: string): Promise<TuningApplyResult> {
  const host = await readHostTopology(libvirt);
  const xml = applyTuningChange(basedOn, change, host);
  warningsFor(change, host);
  const source = await readDomainXml(libvirt, uuid);
  const live = liveFacts(source.live, source.live ? await livePins(libvirt, uuid).catch(() => []) : []);
  const plan = planChange(change, readTuningState(basedOn), live, host, live?.vcpuPins ?? []);
  const stored = xml === basedOn ? await readPersistentChecked(libvirt, uuid, basedOn) : await defineDomainXml(libvirt, { uuid, xml, basedOn });
  const results: TuningApplyResult['live'] = [];
  for (const call of plan.liveCalls) {
    try {
      await runLiveCall(libvirt, uuid, call);
      results.push({ call, ok: true });
    } catch (error) {
      results.push({ call, ok: false, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return { xml: stored, live: results };
}

async function readPersistentChecked(libvirt: LibvirtClient, uuid: string, basedOn: string): Promise<string> {
  const current = await readPersistent(libvirt, uuid);
  if (current !== basedOn) throw new ApiFailure('conflict', 'The domain was changed on the host since the form was opened; reload it');
  return current;
}

/** The current vCPUs and memory of the running (or paused) guests on a host, except `exceptUuid`. */
export async function runningGuestTotals(libvirt: LibvirtClient, exceptUuid?: string): Promise<{ vcpus: number; memoryKiB: number }> {
  const inventory = await libvirt.domain.inventory();
  const others = inventory.filter(
    (d) => d.domain.uuid.toLowerCase() !== exceptUuid?.toLowerCase() && (d.state === 1 || d.state === 2 || d.state === 3),
  );
  return {
    vcpus: others.reduce((sum, d) => sum + (d.vcpus?.current ?? 0), 0),
    memoryKiB: others.reduce((sum, d) => sum + (d.memory?.currentKiB ?? 0), 0),
  };
}

/** The advisor's findings for one guest, counting the host's other running (or paused) guests. */
export async function tuningAdvice(libvirt: LibvirtClient, uuid: string, thresholds: AdvisorThresholds): Promise<AdvisorFinding[]> {
  const [context, others] = await Promise.all([tuningContext(libvirt, uuid), runningGuestTotals(libvirt, uuid)]);
  return advise({
    inactiveXml: context.inactiveXml,
    state: context.state,
    host: context.host,
    otherRunningVcpus: others.vcpus,
    otherRunningMemoryKiB: others.memoryKiB,
    liveVcpus: context.live?.vcpus ?? null,
    thresholds,
  });
}
