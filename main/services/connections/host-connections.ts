import type { HostConnectionState, HostEntry, HostStatus } from '../../../preload/api-contract';
import type { HostPromptBroker, HostPrompter } from './host-prompts';

/** What a connected host reports about itself (shown in its status). */
export type HostLinkInfo = Omit<Extract<HostConnectionState, { kind: 'connected' }>, 'kind'>;

/** An established connection to one host: what the fleet, console and editor services use. */
export interface HostLink {
  readonly info: HostLinkInfo;
  /** Called once when the link drops by itself (network, keepalive, host restart). */
  onLost(listener: (reason: string) => void): void;
  close(): Promise<void>;
}

/** Why an attempt failed, and whether trying again could help. */
export class ConnectFailure extends Error {
  constructor(
    message: string,
    readonly options: { retryable: boolean; hostKeyChanged?: boolean },
  ) {
    super(message);
    this.name = 'ConnectFailure';
  }
}

/** Opens links; the real one is SSH + libvirt RPC, tests may use anything that keeps the contract. */
export interface HostConnector<L extends HostLink> {
  connect(
    host: HostEntry,
    prompter: HostPrompter,
    signal: AbortSignal,
    /** 'queued': waiting for a start-up slot (shown as such, not as failed); 'ssh', 'libvirt': connecting. */
    progress: (step: 'queued' | 'ssh' | 'libvirt') => void,
  ): Promise<L>;
  /** Closes what the connector keeps for a host beyond its links (its SSH connection). */
  release?(hostId: string): Promise<void>;
}

/** Backoff between reconnect attempts after a link was lost. */
export const RECONNECT_DELAYS_MS = [1_000, 2_000, 5_000, 10_000, 30_000] as const;

interface Entry<L> {
  host: HostEntry;
  status: HostStatus;
  link: L | null;
  attempt: AbortController | null;
  retryTimer: ReturnType<typeof setTimeout> | null;
  lostAttempts: number;
  /** The user wants this host connected (connect on launch or on demand; cleared by disconnect). */
  wanted: boolean;
}

export interface HostConnectionEvents<L> {
  status(status: HostStatus): void;
  linkUp(hostId: string, link: L): void;
  linkDown(hostId: string): void;
}

/**
 * One connection per host, all hosts in parallel. Tracks each host's state, asks the user through the
 * prompt broker, and after a lost link retries with backoff until it is back or the user disconnects.
 * A failed first attempt is "unreachable" with the real reason and waits for the user, since retrying
 * a wrong password or a changed host key would only repeat the failure.
 */
export class HostConnections<L extends HostLink> {
  private readonly entries = new Map<string, Entry<L>>();

  constructor(
    private readonly connector: HostConnector<L>,
    private readonly prompts: HostPromptBroker,
    private readonly events: HostConnectionEvents<L>,
    private readonly now: () => number = Date.now,
  ) {}

  statuses(): HostStatus[] {
    return [...this.entries.values()].map((entry) => entry.status);
  }

  status(hostId: string): HostStatus | null {
    return this.entries.get(hostId)?.status ?? null;
  }

  link(hostId: string): L | null {
    return this.entries.get(hostId)?.link ?? null;
  }

  /** Keeps the set of known hosts in step with the saved hosts. */
  syncHosts(hosts: readonly HostEntry[]): void {
    const ids = new Set(hosts.map((host) => host.id));
    for (const [id] of this.entries) if (!ids.has(id)) void this.remove(id);
    for (const host of hosts) {
      const entry = this.entries.get(host.id);
      if (!entry) {
        const created: Entry<L> = {
          host,
          status: { hostId: host.id, state: { kind: 'disconnected' }, since: this.now() },
          link: null,
          attempt: null,
          retryTimer: null,
          lostAttempts: 0,
          wanted: false,
        };
        this.entries.set(host.id, created);
        this.events.status(created.status);
      } else if (JSON.stringify(entry.host) !== JSON.stringify(host)) {
        // Connection settings changed: reconnect with the new ones if it was wanted.
        entry.host = host;
        if (entry.wanted) {
          void this.disconnect(host.id).then(() => this.connect(host.id));
        }
      }
    }
  }

  connect(hostId: string): void {
    const entry = this.entries.get(hostId);
    if (!entry) return;
    entry.wanted = true;
    if (entry.link || entry.attempt) return;
    this.clearRetry(entry);
    void this.attempt(entry, false);
  }

  async disconnect(hostId: string): Promise<void> {
    const entry = this.entries.get(hostId);
    if (!entry) return;
    entry.wanted = false;
    this.clearRetry(entry);
    entry.attempt?.abort();
    entry.attempt = null;
    this.prompts.forgetHost(hostId, true);
    const link = entry.link;
    entry.link = null;
    entry.lostAttempts = 0;
    if (link) {
      this.events.linkDown(hostId);
      await link.close().catch(() => undefined);
    }
    await this.connector.release?.(hostId).catch(() => undefined);
    this.setState(entry, { kind: 'disconnected' });
  }

  async dispose(): Promise<void> {
    await Promise.all([...this.entries.keys()].map((id) => this.disconnect(id)));
  }

  private async remove(hostId: string): Promise<void> {
    await this.disconnect(hostId);
    this.prompts.forgetHost(hostId);
    this.entries.delete(hostId);
  }

  private setState(entry: Entry<L>, state: HostConnectionState): void {
    entry.status = { hostId: entry.host.id, state, since: this.now() };
    this.events.status(entry.status);
  }

  private clearRetry(entry: Entry<L>): void {
    if (entry.retryTimer) clearTimeout(entry.retryTimer);
    entry.retryTimer = null;
  }

  private async attempt(entry: Entry<L>, reconnecting: boolean): Promise<void> {
    const controller = new AbortController();
    entry.attempt = controller;
    const lostReason = entry.status.state.kind === 'lost' ? entry.status.state.reason : '';
    if (!reconnecting) this.setState(entry, { kind: 'connecting', step: 'ssh' });
    const prompter = this.prompts.prompterFor(entry.host.id, (promptId) => {
      if (controller.signal.aborted) return;
      this.setState(entry, promptId ? { kind: 'needs-input', promptId } : { kind: 'connecting', step: 'ssh' });
    });
    try {
      const link = await this.connector.connect(entry.host, prompter, controller.signal, (step) => {
        if (!controller.signal.aborted && !reconnecting) this.setState(entry, { kind: 'connecting', step });
      });
      if (controller.signal.aborted || entry.attempt !== controller) {
        await link.close().catch(() => undefined);
        return;
      }
      entry.attempt = null;
      entry.link = link;
      entry.lostAttempts = 0;
      link.onLost((reason) => this.onLost(entry, link, reason));
      this.setState(entry, { kind: 'connected', ...link.info });
      this.events.linkUp(entry.host.id, link);
    } catch (error) {
      if (controller.signal.aborted || entry.attempt !== controller) return;
      entry.attempt = null;
      const reason = error instanceof Error ? error.message : String(error);
      const failure = error instanceof ConnectFailure ? error.options : { retryable: true };
      if (reconnecting && failure.retryable) {
        this.scheduleReconnect(entry, reason || lostReason);
      } else {
        this.setState(entry, { kind: 'unreachable', reason, hostKeyChanged: failure.hostKeyChanged === true });
      }
    }
  }

  private onLost(entry: Entry<L>, link: L, reason: string): void {
    if (entry.link !== link) return;
    entry.link = null;
    this.events.linkDown(entry.host.id);
    void link.close().catch(() => undefined);
    if (!entry.wanted) {
      this.setState(entry, { kind: 'disconnected' });
      return;
    }
    this.scheduleReconnect(entry, reason);
  }

  private scheduleReconnect(entry: Entry<L>, reason: string): void {
    const delay = RECONNECT_DELAYS_MS[Math.min(entry.lostAttempts, RECONNECT_DELAYS_MS.length - 1)] ?? 30_000;
    entry.lostAttempts += 1;
    this.setState(entry, { kind: 'lost', reason, attempt: entry.lostAttempts, retryAt: this.now() + delay });
    this.clearRetry(entry);
    entry.retryTimer = setTimeout(() => {
      entry.retryTimer = null;
      if (entry.wanted && !entry.link && !entry.attempt) void this.attempt(entry, true);
    }, delay);
  }
}
