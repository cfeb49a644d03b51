/**
 * One migration, driven through VirtDeck's two libvirt connections the way libvirt's own client does it
 * (virDomainMigrateVersion3Full in src/libvirt-domain.c): Begin3 on the source → Prepare3 on the
 * destination → Perform3 on the source → Finish3 on the destination → Confirm3 on the source, each
 * phase's cookie passed unchanged to the next. A failed Prepare is confirmed as cancelled on the source;
 * a failed Perform is finished as cancelled on the destination (and not confirmed: the source already
 * cleaned up); a failed Finish is confirmed as cancelled, which resumes the guest on the source.
 *
 * While Perform runs: job statistics are polled on the source, MIGRATION_ITERATION and JOB_COMPLETED
 * events are listened to on both hosts, cancel = virDomainAbortJob on the source, and "switch to
 * post-copy" = virDomainMigrateStartPostCopy. Whatever goes wrong, the job ends by looking the guest up on
 * both hosts and saying where it is; when a host's connection is down it waits for it (state
 * `interrupted`) and then says.
 */
import type {
  ApiError,
  MigrationJob,
  MigrationMessage,
  MigrationOptions,
  MigrationRoute,
} from '../../../preload/api-contract';
import type { LibvirtClient } from '../../libvirt/client';
import { paramBigint, paramNumber } from '../../libvirt/client/typed-params';
import { shellQuote, type SshConnection } from '../../ssh';
import { ApiFailure, toApiError } from '../api-failure';
import {
  MIGRATE,
  PARAM,
  chooseRoute,
  commonParams,
  destinationFlags,
  migrationFlags,
  migrationStats,
  nbdPortFromCookie,
  parseMigrationUri,
  replaceString,
  secondsLeft,
  sourceFlags,
  tcpUri,
} from './migration-params';
import { destroyLeftoverIncoming } from './migration-plan';
import { MigrationRelay } from './migration-relay';

export interface MigrationHost {
  hostId: string;
  libvirt: LibvirtClient;
  ssh: SshConnection | null;
}

export interface MigrationHostAccess {
  /** The host's current connection, or null while it is not connected. */
  host(hostId: string): MigrationHost | null;
}

export interface MigrationJobInit {
  jobId: string;
  sourceHostId: string;
  destinationHostId: string;
  uuid: string;
  name: string;
  options: MigrationOptions;
  running: boolean;
  paused: boolean;
  copyDisks: string[];
  /** Paths of copied disks that did not exist on the destination before: deleted there when the guest stays on the source. */
  createdOnDestination?: string[];
  /** Disks left in place that were verified to be the same file on both hosts. */
  verifiedSharedDisks: boolean;
}

export interface MigrationJobTimings {
  pollMs?: number;
  /** How long to wait for a lost host before giving up on saying where the guest is. */
  reconcileForMs?: number;
  reconcileEveryMs?: number;
}

const STATE_NAMES = ['nostate', 'running', 'blocked', 'paused', 'shutdown', 'shutoff', 'crashed', 'pmsuspended'];

function apiError(err: unknown): ApiError {
  const converted = toApiError(err);
  // Lost connections and the like are the host's problem, not a bug.
  return converted.code === 'internal' ? { ...converted, code: 'io' } : converted;
}

class Cancelled extends Error {
  constructor() {
    super('cancelled');
  }
}

export class MigrationJobRunner {
  private readonly job: MigrationJob;
  private cancelRequested = false;
  private relay: MigrationRelay | null = null;
  private pollTimer: ReturnType<typeof setTimeout> | null = null;
  private downtimeFromEvent: number | null = null;
  private postcopyStarted = false;
  /** Begin succeeded on the source: a failure after it may leave a paused incoming guest on the destination. */
  private begun = false;
  private readonly timings: Required<MigrationJobTimings>;
  private readonly unsubscribers: Array<() => Promise<void>> = [];

  constructor(
    private readonly init: MigrationJobInit,
    private readonly hosts: MigrationHostAccess,
    private readonly publish: (job: MigrationJob) => void,
    timings: MigrationJobTimings = {},
  ) {
    this.timings = { pollMs: 1000, reconcileForMs: 15 * 60_000, reconcileEveryMs: 2000, ...timings };
    this.job = {
      jobId: init.jobId,
      sourceHostId: init.sourceHostId,
      destinationHostId: init.destinationHostId,
      uuid: init.uuid,
      name: init.name,
      options: init.options,
      route: null,
      routeReason: null,
      state: 'preparing',
      step: null,
      stats: null,
      secondsLeft: null,
      relayedBytes: 0,
      relayedToDestination: 0,
      relayedToSource: 0,
      startedAt: Date.now(),
      finishedAt: null,
      downtimeMs: null,
      location: { hostId: init.sourceHostId, state: init.running ? (init.paused ? 'paused' : 'running') : 'shutoff' },
      outcome: null,
      error: null,
    };
  }

  snapshot(): MigrationJob {
    if (!this.relay) return { ...this.job };
    const bytes = this.relay.bytes;
    return { ...this.job, relayedBytes: bytes.toDestination + bytes.toSource, relayedToDestination: bytes.toDestination, relayedToSource: bytes.toSource };
  }

  /** Copies the relay's byte counts into the job (they stay there after the relay is closed). */
  private countRelayed(): void {
    if (!this.relay) return;
    const bytes = this.relay.bytes;
    this.job.relayedBytes = bytes.toDestination + bytes.toSource;
    this.job.relayedToDestination = bytes.toDestination;
    this.job.relayedToSource = bytes.toSource;
  }

  get ended(): boolean {
    return this.job.state === 'done' || this.job.state === 'failed' || this.job.state === 'cancelled';
  }

  private emit(): void {
    this.publish(this.snapshot());
  }

  private need(hostId: string): MigrationHost {
    const host = this.hosts.host(hostId);
    if (!host) throw new ApiFailure('not-found', 'The host is not connected');
    return host;
  }

  /** Cancel: before Perform the phases are unwound; during Perform libvirt aborts the job on the source. */
  async cancel(): Promise<MigrationJob> {
    if (this.ended || this.job.state === 'interrupted') return this.snapshot();
    if (this.job.step === 'finish' || this.job.step === 'confirm' || this.postcopyStarted)
      throw new ApiFailure('conflict', 'The guest has already switched over to the destination: it can no longer be cancelled');
    this.cancelRequested = true;
    this.job.state = 'cancelling';
    this.emit();
    if (this.job.step === 'perform') {
      const source = this.need(this.init.sourceHostId);
      await source.libvirt.migration.abortJob({ uuid: this.init.uuid });
    }
    return this.snapshot();
  }

  async startPostCopy(): Promise<MigrationJob> {
    if (!this.init.options.postCopy) throw new ApiFailure('invalid-request', 'This migration was not started with post-copy allowed');
    if (this.job.step !== 'perform' || this.job.state !== 'running')
      throw new ApiFailure('conflict', 'Post-copy can be started only while the memory is being copied');
    const source = this.need(this.init.sourceHostId);
    await source.libvirt.migration.startPostCopy({ uuid: this.init.uuid });
    this.postcopyStarted = true;
    this.job.state = 'postcopy';
    this.emit();
    return this.snapshot();
  }

  private checkCancel(): void {
    if (this.cancelRequested) throw new Cancelled();
  }

  private step(step: MigrationJob['step']): void {
    this.job.step = step;
    this.emit();
  }

  /** Runs the whole migration; never rejects (the job says how it ended). */
  async run(): Promise<void> {
    try {
      await this.subscribeEvents();
      if (this.init.options.route === 'peer2peer') await this.runPeerToPeer();
      else await this.runManaged();
      await this.finishOk();
    } catch (err) {
      await this.finishFailed(err);
    } finally {
      this.stopPolling();
      await this.relay?.close();
      for (const off of this.unsubscribers) await off().catch(() => undefined);
    }
  }

  private async subscribeEvents(): Promise<void> {
    const uuid = this.init.uuid.toLowerCase();
    for (const hostId of [this.init.sourceHostId, this.init.destinationHostId]) {
      const host = this.need(hostId);
      try {
        const completed = await host.libvirt.onDomainEvent('job-completed', (event) => {
          if (event.domain.uuid.toLowerCase() !== uuid) return;
          const downtime = paramBigint(event.data.params, 'downtime') ?? BigInt(paramNumber(event.data.params, 'downtime') ?? -1);
          if (downtime >= 0n && (hostId === this.init.destinationHostId || this.downtimeFromEvent === null))
            this.downtimeFromEvent = Number(downtime);
        });
        this.unsubscribers.push(() => completed.unsubscribe());
        if (hostId === this.init.sourceHostId) {
          const iteration = await host.libvirt.onDomainEvent('migration-iteration', (event) => {
            if (event.domain.uuid.toLowerCase() !== uuid || !this.job.stats) return;
            this.job.stats = { ...this.job.stats, iteration: event.data.iteration, phase: this.postcopyStarted ? 'postcopy' : 'memory' };
            this.emit();
          });
          this.unsubscribers.push(() => iteration.unsubscribe());
        }
      } catch {
        // a daemon without these events: the job statistics still tell
      }
    }
  }

  private async runPeerToPeer(): Promise<void> {
    const source = this.need(this.init.sourceHostId);
    const flags = migrationFlags(this.init.options, this.flagContext());
    const params = commonParams(this.init.options, this.init.copyDisks, flags);
    this.job.route = 'peer2peer';
    this.job.routeReason = { key: 'route.forced.peer2peer' };
    this.step('perform');
    this.job.state = 'running';
    this.startPolling(source);
    this.checkCancel();
    await source.libvirt.migration.perform3({ uuid: this.init.uuid }, params, new Uint8Array(0), flags, this.init.options.peerUri);
    this.stopPolling();
  }

  private flagContext() {
    return {
      active: this.init.running,
      paused: this.init.paused,
      copyDisks: this.init.copyDisks,
      verifiedSharedDisks: this.init.verifiedSharedDisks,
    };
  }

  private async runManaged(): Promise<void> {
    const options = this.init.options;
    const source = this.need(this.init.sourceHostId);
    const destination = this.need(this.init.destinationHostId);
    const ref = { uuid: this.init.uuid };
    const flags = migrationFlags(options, this.flagContext());
    const srcFlags = sourceFlags(flags);
    const dstFlags = destinationFlags(flags);
    const copying = (flags & (MIGRATE.NON_SHARED_DISK | MIGRATE.NON_SHARED_INC)) !== 0;
    const offline = (flags & MIGRATE.OFFLINE) !== 0;
    let params = commonParams(options, this.init.copyDisks, flags);

    // A paused incoming guest an earlier failed or interrupted migration left on the destination would
    // make Prepare fail (a guest with this UUID is active there): gone first, when the source runs the guest.
    await destroyLeftoverIncoming(source.libvirt, destination.libvirt, this.init.uuid);
    this.step('begin');
    const begun = await source.libvirt.migration.begin3(ref, params, srcFlags);
    this.begun = true;
    params = replaceString(params, PARAM.DEST_XML, begun.xml);

    // Prepare: the relayed route (when forced) makes the destination listen on its loopback only.
    let forcedRoute: MigrationRoute | null = options.route === 'auto' ? null : options.route;
    if (offline) forcedRoute = 'direct';
    const prepareParams = forcedRoute === 'relayed' ? replaceString(params, PARAM.LISTEN_ADDRESS, '127.0.0.1') : params;
    this.step('prepare');
    let prepared: { uriOut: string | null; cookieOut: Uint8Array };
    try {
      this.checkCancel();
      prepared = await destination.libvirt.migration.prepare3(prepareParams, begun.cookieOut, dstFlags);
    } catch (err) {
      // Begin started a job on the source (change protection): end it.
      await source.libvirt.migration.confirm3(ref, params, new Uint8Array(0), srcFlags, true).catch(() => undefined);
      throw err;
    }
    const uri = prepared.uriOut ?? '';
    let performParams = replaceString(params, PARAM.URI, uri);
    let performCookie: Uint8Array;
    let cancelled = true;
    let performFailed = false;
    let failure: unknown = null;

    try {
      this.checkCancel();
      if (offline) {
        this.job.route = 'direct';
        this.job.routeReason = { key: 'route.offline' };
        cancelled = false;
        performCookie = new Uint8Array(0);
      } else {
        const target = parseMigrationUri(uri);
        if (!target) throw new ApiFailure('libvirt', `The destination prepared an unexpected migration URI: ${uri || '(none)'}`);
        const nbdPort = copying ? nbdPortFromCookie(prepared.cookieOut) : null;
        // The route.
        let probe: { reachable: boolean | null; target: string; detail: string } | null = null;
        if (!forcedRoute) {
          this.step('probe');
          probe = await this.probe(source, destination, target.host, nbdPort);
        }
        const chosen = chooseRoute(forcedRoute ?? 'auto', probe);
        this.job.route = chosen.route;
        this.job.routeReason = chosen.reason;
        this.emit();
        if (chosen.route === 'relayed') {
          if (!source.ssh || !destination.ssh)
            throw new ApiFailure('invalid-request', 'The relayed route needs an SSH connection to both hosts');
          this.relay = new MigrationRelay(source.ssh, destination.ssh);
          const hosts = forcedRoute === 'relayed' ? ['127.0.0.1'] : [target.host, '127.0.0.1'];
          const memory = await this.relay.open({ hosts, port: target.port });
          performParams = replaceString(performParams, PARAM.URI, tcpUri('127.0.0.1', memory.sourcePort));
          if (copying) {
            if (nbdPort === null) throw new ApiFailure('libvirt', 'The destination did not say where its NBD server for the disks listens');
            const disks = await this.relay.open({ hosts, port: nbdPort });
            performParams = replaceString(performParams, PARAM.DISKS_URI, tcpUri('127.0.0.1', disks.sourcePort));
          }
        }
        this.checkCancel();
        this.step('perform');
        this.job.state = 'running';
        this.emit();
        this.startPolling(source);
        try {
          const performed = await source.libvirt.migration.perform3(ref, performParams, prepared.cookieOut, srcFlags);
          performCookie = performed.cookieOut;
          cancelled = false;
        } catch (err) {
          performFailed = true;
          failure = this.cancelRequested ? new Cancelled() : this.relayFailure(err);
          performCookie = new Uint8Array(0);
        } finally {
          this.stopPolling();
        }
      }
    } catch (err) {
      // Before Perform (probe, relay setup, cancel): nothing was sent; unwind both sides below.
      failure = err;
      performCookie = new Uint8Array(0);
      cancelled = true;
    }

    // Finish on the destination (cancelled: it discards the incoming guest).
    this.step('finish');
    if (!cancelled) {
      this.job.state = 'finishing';
      this.emit();
    }
    const finishParams = replaceString(performParams, PARAM.DEST_NAME, this.init.name);
    let finishCookie: Uint8Array = new Uint8Array(0);
    let finished = false;
    try {
      const r = await destination.libvirt.migration.finish3(finishParams, performCookie, dstFlags, cancelled);
      finishCookie = r.cookieOut;
      finished = !cancelled;
    } catch (err) {
      if (!cancelled) failure ??= err;
    }
    // Confirm on the source, unless Perform failed there (the source already cleaned up).
    if (!performFailed) {
      this.step('confirm');
      try {
        await source.libvirt.migration.confirm3(ref, performParams, finishCookie, srcFlags, !finished);
      } catch (err) {
        if (finished) {
          // The guest runs on the destination; the source could not be told (it may stay paused there).
          this.job.outcome = { key: 'outcome.confirmFailed', values: { detail: err instanceof Error ? err.message : String(err) } };
        } else failure ??= err;
      }
    }
    if (failure) throw failure;
    if (!finished) throw new ApiFailure('libvirt', 'The destination did not start the guest');
  }

  /** A Perform that failed because the relay could not reach the destination says so. */
  private relayFailure(err: unknown): unknown {
    const relayError = this.relay?.error;
    if (!relayError) return err;
    return new ApiFailure('libvirt', `${err instanceof Error ? err.message : String(err)} (relay: ${relayError})`);
  }

  /**
   * Can the source reach the destination's migration address? It tries a TCP connection from the source
   * (bash's /dev/tcp over SSH exec, 3 s) to a port that listens there without harm: the destination's
   * NBD server for the disks when there is one, else a one-shot listener VirtDeck starts on the destination
   * for the probe (python3). It never touches the prepared migration port: QEMU takes the first connection
   * to it as the migration stream.
   */
  private async probe(
    source: MigrationHost,
    destination: MigrationHost,
    host: string,
    nbdPort: number | null,
  ): Promise<{ reachable: boolean | null; target: string; detail: string }> {
    if (!source.ssh) return { reachable: null, target: host, detail: 'no SSH connection to the source' };
    let port = nbdPort;
    let listener: Awaited<ReturnType<SshConnection['exec']>> | null = null;
    try {
      if (port === null) {
        if (!destination.ssh) return { reachable: null, target: host, detail: 'no SSH connection to the destination' };
        listener = await destination.ssh.exec(
          `python3 -c ${shellQuote(
            'import socket,sys\ns=socket.socket(socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET)\n' +
              's.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\ns.bind(("",0))\ns.listen(4)\n' +
              'print(s.getsockname()[1],flush=True)\ns.settimeout(10)\n' +
              'try:\n  c,a=s.accept();c.close()\nexcept Exception:\n  pass\n',
          )} ${shellQuote(host)}`,
        );
        port = await new Promise<number | null>((resolve) => {
          let out = '';
          const timer = setTimeout(() => resolve(null), 5000);
          listener?.on('data', (chunk: Buffer) => {
            out += chunk.toString();
            const m = /^(\d+)\s/.exec(out);
            if (m) {
              clearTimeout(timer);
              resolve(Number(m[1]));
            }
          });
          listener?.once('close', () => {
            clearTimeout(timer);
            resolve(null);
          });
        });
        if (port === null) return { reachable: null, target: host, detail: 'could not start a probe listener on the destination (python3)' };
      }
      const target = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
      const r = await source.ssh.run(`timeout 3 bash -c ${shellQuote(`exec 3<>/dev/tcp/${host}/${port}`)}`, { timeoutMs: 10_000 });
      if (r.code === 0) return { reachable: true, target, detail: '' };
      if (r.code === 127 || r.code === 126) return { reachable: null, target, detail: 'bash or timeout is missing on the source' };
      const detail = r.code === 124 ? 'no answer within 3 s' : r.stderr.trim().split('\n').pop() ?? `exit ${r.code}`;
      return { reachable: false, target, detail: detail.replace(/^bash: (line \d+: )?/, '') };
    } catch (err) {
      return { reachable: null, target: host, detail: err instanceof Error ? err.message : String(err) };
    } finally {
      listener?.destroy();
    }
  }

  private startPolling(source: MigrationHost): void {
    let downtimeSet = false;
    const tick = async () => {
      this.pollTimer = null;
      try {
        const stats = await source.libvirt.migration.jobStats({ uuid: this.init.uuid });
        if (this.job.step !== 'perform') return;
        if (stats.type !== 'none') {
          const figures = migrationStats(stats.params, this.postcopyStarted);
          if (this.job.stats?.iteration && figures.iteration === null) figures.iteration = this.job.stats.iteration;
          this.job.stats = figures;
          this.job.secondsLeft = secondsLeft(figures);
          if (!downtimeSet && this.init.options.maxDowntimeMs !== null) {
            downtimeSet = true;
            await source.libvirt.migration.setMaxDowntime({ uuid: this.init.uuid }, this.init.options.maxDowntimeMs).catch(() => {
              downtimeSet = false;
            });
          }
        }
        this.countRelayed();
        this.emit();
      } catch {
        // the next tick tries again; Perform's own result decides how the job ends
      }
      if (this.job.step === 'perform') this.pollTimer = setTimeout(() => void tick(), this.timings.pollMs);
    };
    this.pollTimer = setTimeout(() => void tick(), 200);
  }

  private stopPolling(): void {
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollTimer = null;
  }

  private async completedDowntime(): Promise<number | null> {
    if (this.downtimeFromEvent !== null) return this.downtimeFromEvent;
    for (const hostId of [this.init.destinationHostId, this.init.sourceHostId]) {
      const host = this.hosts.host(hostId);
      if (!host) continue;
      try {
        const stats = await host.libvirt.migration.jobStats({ uuid: this.init.uuid }, 1 /* COMPLETED */);
        const downtime = paramBigint(stats.params, 'downtime');
        if (downtime !== undefined) return Number(downtime);
      } catch {
        // not there
      }
    }
    return null;
  }

  private async finishOk(): Promise<void> {
    this.job.downtimeMs = (this.init.running && this.init.options.mode === 'live') ? await this.completedDowntime() : null;
    const where = await this.locate();
    this.job.location = where.location;
    this.job.outcome ??= where.message;
    this.job.state = 'done';
    this.job.step = null;
    this.job.finishedAt = Date.now();
    this.countRelayed();
    this.emit();
  }

  private async finishFailed(err: unknown): Promise<void> {
    this.countRelayed();
    const wasCancel = err instanceof Cancelled || this.cancelRequested;
    if (!wasCancel) this.job.error = apiError(err);
    this.job.step = null;
    // Where is the guest now? Wait for a lost host to come back before saying.
    const deadline = Date.now() + this.timings.reconcileForMs;
    let where = await this.locate();
    if (where.incomplete) {
      this.job.state = 'interrupted';
      this.job.outcome = { key: 'outcome.waiting' };
      this.emit();
      while (where.incomplete && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, this.timings.reconcileEveryMs));
        where = await this.locate();
      }
    }
    if (!where.incomplete && where.onSource && this.begun && !this.postcopyStarted) {
      // The guest still runs on the source: an incoming guest left paused on the destination goes.
      const destination = this.hosts.host(this.init.destinationHostId);
      const source = this.hosts.host(this.init.sourceHostId);
      if (destination && source && (await destroyLeftoverIncoming(source.libvirt, destination.libvirt, this.init.uuid).catch(() => false)))
        where = await this.locate();
    }
    this.job.location = where.location;
    this.job.outcome = where.incomplete ? { key: 'outcome.unknown' } : where.message;
    const onDestination = where.location?.hostId === this.init.destinationHostId && where.location.state !== 'shutoff';
    if (onDestination && !where.onSource) {
      // The switch-over happened before the connection broke: the migration did its job.
      this.job.state = 'done';
      this.job.downtimeMs = await this.completedDowntime();
    } else {
      this.job.state = wasCancel ? 'cancelled' : 'failed';
      if (!where.incomplete && !onDestination) await this.removeCreatedCopies();
    }
    this.job.finishedAt = Date.now();
    this.emit();
  }

  /** Deletes the disk copies this migration created on the destination (nothing half-made is left there). */
  private async removeCreatedCopies(): Promise<void> {
    const destination = this.hosts.host(this.init.destinationHostId);
    if (!destination) return;
    for (const path of this.init.createdOnDestination ?? []) {
      try {
        await destination.libvirt.storageVolume.delete({ path });
      } catch {
        // Not a volume of a pool there (or already gone): nothing VirtDeck made to remove.
      }
    }
  }

  /** The guest's state on both hosts (running/paused wins; `incomplete` = a host could not be asked). */
  private async locate(): Promise<{
    location: MigrationJob['location'];
    message: MigrationMessage;
    incomplete: boolean;
    onSource: boolean;
  }> {
    const look = async (hostId: string): Promise<string | null | 'unreachable'> => {
      const host = this.hosts.host(hostId);
      if (!host) return 'unreachable';
      try {
        const state = await host.libvirt.domain.getState({ uuid: this.init.uuid });
        return STATE_NAMES[state.state] ?? 'nostate';
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if (code === 42 /* VIR_ERR_NO_DOMAIN */) return null;
        return host.libvirt.state === 'connected' ? null : 'unreachable';
      }
    };
    const [src, dst] = await Promise.all([look(this.init.sourceHostId), look(this.init.destinationHostId)]);
    const incomplete = src === 'unreachable' || dst === 'unreachable';
    const active = (s: string | null | 'unreachable') => s !== null && s !== 'unreachable' && s !== 'shutoff';
    const srcName = this.init.sourceHostId;
    const dstName = this.init.destinationHostId;
    if (active(dst) && !active(src))
      return { location: { hostId: dstName, state: dst as string }, message: { key: 'outcome.onDestination', values: { state: dst as string } }, incomplete, onSource: false };
    if (active(src) && !active(dst))
      return { location: { hostId: srcName, state: src as string }, message: { key: 'outcome.onSource', values: { state: src as string } }, incomplete, onSource: true };
    if (active(src) && active(dst))
      return { location: { hostId: srcName, state: src as string }, message: { key: 'outcome.onBoth', values: { source: src as string, destination: dst as string } }, incomplete, onSource: true };
    // Shut off (offline migration) or nowhere.
    if (dst === 'shutoff') return { location: { hostId: dstName, state: 'shutoff' }, message: { key: 'outcome.definedOnDestination' }, incomplete, onSource: src !== null && src !== 'unreachable' };
    if (src === 'shutoff') return { location: { hostId: srcName, state: 'shutoff' }, message: { key: 'outcome.definedOnSource' }, incomplete, onSource: true };
    return { location: null, message: { key: incomplete ? 'outcome.unknown' : 'outcome.nowhere' }, incomplete, onSource: false };
  }
}
