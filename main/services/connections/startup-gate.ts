/**
 * How many connection start-ups (SSH handshakes: TCP, key exchange, authentication) run at once, in a
 * fair first-come queue. With 1000 saved hosts, starting every handshake at the same instant costs the
 * workstation a burst of key exchanges and, where many hosts share one sshd (a jump host, a lab), runs
 * into sshd's MaxStartups (default 10:30:100), which drops connections at random.
 *
 * A host that hangs (a black-hole address, an sshd that never answers) must never delay the others: a
 * start-up that makes no progress for `slotMs` gives its slot up; it goes on outside the limit (its own
 * connect timeout ends it) and the next one in the queue starts. So at worst `concurrency` hung hosts
 * delay the queue by `slotMs` once (`answeredSlotMs` once the server has answered). A start-up that does progress (bytes from the server, a new stage of
 * the handshake) keeps its slot until it settles: with many hosts behind one slow sshd, the slots stay
 * a real limit instead of letting every queued handshake in after `slotMs` — which piled 1000
 * concurrent handshakes onto the lab's sshd and ran them into their authentication timeout.
 */
export interface StartupGateOptions {
  /** Start-ups at once (default 64). */
  concurrency?: number;
  /** Longest a start-up holds its slot without progress, in ms (default 3000). */
  slotMs?: number;
  /**
   * The same once the server has answered (bytes from it), in ms (default 15 000, under the 20 s connect
   * timeout): an sshd busy with many logins may take seconds per stage, and giving its slot up then would
   * only pile more handshakes onto it (measured: 1000 hosts on the lab's sshd, 448 authentication
   * timeouts with 3 s).
   */
  answeredSlotMs?: number;
}

export const DEFAULT_STARTUP_CONCURRENCY = 64;
export const DEFAULT_STARTUP_SLOT_MS = 3_000;
export const DEFAULT_STARTUP_ANSWERED_SLOT_MS = 15_000;

interface Waiter {
  grant(): void;
}

export class StartupGate {
  private active = 0;
  private readonly queue: Waiter[] = [];
  readonly concurrency: number;
  readonly slotMs: number;
  readonly answeredSlotMs: number;

  constructor(options: StartupGateOptions = {}) {
    this.concurrency = Math.max(1, options.concurrency ?? DEFAULT_STARTUP_CONCURRENCY);
    this.slotMs = Math.max(0, options.slotMs ?? DEFAULT_STARTUP_SLOT_MS);
    this.answeredSlotMs = Math.max(this.slotMs, options.answeredSlotMs ?? DEFAULT_STARTUP_ANSWERED_SLOT_MS);
  }

  get running(): number {
    return this.active;
  }

  get waiting(): number {
    return this.queue.length;
  }

  /**
   * Runs `start` when a slot is free (first come, first served). The slot is given back when `start`
   * settles or once it has not called `progress` for `slotMs`, whichever is first. `events.queued` is
   * called when it has to wait for a slot, `events.started` when it gets one. Rejects with the signal's
   * reason if aborted while waiting (the queue moves on without it).
   */
  async run<T>(
    start: (progress: (serverAnswered?: boolean) => void) => Promise<T>,
    signal?: AbortSignal,
    events: { queued?(): void; started?(): void } = {},
  ): Promise<T> {
    if (this.active >= this.concurrency || this.queue.length > 0) events.queued?.();
    const release = await this.acquire(signal);
    events.started?.();
    let timer: NodeJS.Timeout | null = null;
    let released = false;
    let answered = false;
    const giveUp = () => {
      released = true;
      release();
    };
    const progress = (serverAnswered = false) => {
      if (released || this.slotMs <= 0) return;
      answered ||= serverAnswered;
      if (timer) clearTimeout(timer);
      timer = setTimeout(giveUp, answered ? this.answeredSlotMs : this.slotMs);
    };
    progress();
    try {
      return await start(progress);
    } finally {
      released = true;
      if (timer) clearTimeout(timer);
      release();
    }
  }

  private acquire(signal?: AbortSignal): Promise<() => void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason ?? new Error('aborted'));
        return;
      }
      const onAbort = () => {
        const index = this.queue.indexOf(waiter);
        if (index >= 0) this.queue.splice(index, 1);
        reject(signal?.reason ?? new Error('aborted'));
      };
      const waiter: Waiter = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          this.active += 1;
          let released = false;
          resolve(() => {
            if (released) return;
            released = true;
            this.active -= 1;
            this.dispatch();
          });
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(waiter);
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.active < this.concurrency && this.queue.length > 0) this.queue.shift()?.grant();
  }
}
