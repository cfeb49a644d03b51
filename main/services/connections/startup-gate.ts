/**
 * How many connection start-ups (SSH handshakes: TCP, key exchange, authentication) run at once, in a
 * fair first-come queue. With 1000 saved hosts, starting every handshake at the same instant costs the
 * workstation a burst of key exchanges and, where many hosts share one sshd (a jump host, a lab), runs
 * into sshd's MaxStartups (default 10:30:100), which drops connections at random.
 *
 * A host that hangs (a black-hole address, an sshd that never answers) must never delay the others: a
 * start-up holds its slot only for `slotMs`; after that it goes on outside the limit and the next one
 * in the queue starts. So at worst `concurrency` hung hosts delay the queue by `slotMs` once.
 */
export interface StartupGateOptions {
  /** Start-ups at once (default 64). */
  concurrency?: number;
  /** Longest a start-up holds its slot, in ms (default 3000). */
  slotMs?: number;
}

export const DEFAULT_STARTUP_CONCURRENCY = 64;
export const DEFAULT_STARTUP_SLOT_MS = 3_000;

interface Waiter {
  grant(): void;
}

export class StartupGate {
  private active = 0;
  private readonly queue: Waiter[] = [];
  readonly concurrency: number;
  readonly slotMs: number;

  constructor(options: StartupGateOptions = {}) {
    this.concurrency = Math.max(1, options.concurrency ?? DEFAULT_STARTUP_CONCURRENCY);
    this.slotMs = Math.max(0, options.slotMs ?? DEFAULT_STARTUP_SLOT_MS);
  }

  get running(): number {
    return this.active;
  }

  get waiting(): number {
    return this.queue.length;
  }

  /**
   * Runs `start` when a slot is free (first come, first served). The slot is given back when `start`
   * settles or after `slotMs`, whichever is first. Rejects with the signal's reason if aborted while
   * waiting (the queue moves on without it).
   */
  async run<T>(start: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const release = await this.acquire(signal);
    const timer = this.slotMs > 0 ? setTimeout(release, this.slotMs) : null;
    try {
      return await start();
    } finally {
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
