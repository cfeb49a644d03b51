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
 *
 * The number at once adapts (`targetMs`): when handshakes slow down (servers, or this computer, busy
 * with logins and with the hosts already connected), fewer start at once, so each one finishes well
 * inside the connect timeout instead of all of them stalling together; when they are quick again, more.
 * Only start-ups whose server answered count: a host that never answers (a black hole) says nothing
 * about load and still just gives its slot up after `slotMs`.
 *
 * A start-up that gave its slot up goes on, and once its server has answered it is work that server is
 * still doing: such start-ups count against a second bound (`overflow`), so an overloaded sshd does not
 * get one more handshake every `answeredSlotMs` per slot on top of those it is already too slow for
 * (measured: 1000 hosts on the lab's sshd, 283 ms of its CPU per login at load 30–50 against 45–82 ms
 * at 100–300 hosts). Black holes never answer and never count there either.
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
  /**
   * Adaptive limit: the median time of recent start-ups (slot granted → settled, counted only where the
   * server answered and nobody was asked a question) above this shrinks the number of start-ups at once
   * (×0.7, down to `minConcurrency`) — unless the previous decrease did not make them at least 20 %
   * faster, which means the slowness comes from elsewhere (then the limit goes back up to where it
   * was: fewer at once would only connect fewer per second); below half of it, while start-ups wait,
   * the number grows again (×1.25, up to `concurrency`). Default 5000 ms: a handshake takes a few round trips, under 2 s even
   * at 300 ms round-trip time, so a median above 5 s means the servers (or this computer) are busy, and
   * more handshakes at once would only slow all of them further, into the 20 s connect timeout.
   * 0 turns adaptation off.
   */
  targetMs?: number;
  /** The adaptive limit never goes below this (default 4). */
  minConcurrency?: number;
  /**
   * Start-ups that gave their slot up but whose server has answered (still handshaking with it) may run
   * beyond the limit by at most this share of it (default 0.5, at least 1 start-up): while they are
   * more, no new start-up begins; each one that settles lets the next in.
   */
  overflow?: number;
}

export const DEFAULT_STARTUP_CONCURRENCY = 64;
export const DEFAULT_STARTUP_SLOT_MS = 3_000;
export const DEFAULT_STARTUP_ANSWERED_SLOT_MS = 15_000;
export const DEFAULT_STARTUP_TARGET_MS = 5_000;
export const DEFAULT_STARTUP_MIN_CONCURRENCY = 4;
export const DEFAULT_STARTUP_OVERFLOW = 0.5;

const DECREASE = 0.7;
const INCREASE = 1.25;

interface Waiter {
  grant(): void;
}

/** What a start-up can tell the gate besides progress. */
export interface StartupSlot {
  /** The start-up waited for the user (a prompt): its time says nothing about the servers' load. */
  unmeasured(): void;
}

/** The adaptive limit's history, for diagnostics and the fleet bench. */
export interface StartupGateStats {
  /** Start-ups allowed at once now. */
  limit: number;
  /** The lowest it went. */
  lowestLimit: number;
  decreases: number;
  increases: number;
  /** Start-ups measured (server answered, no prompt) and the median of the last window, ms. */
  measured: number;
  lastMedianMs: number | null;
  /** How long a start-up without an answer keeps its slot now, ms. */
  unansweredSlotMs: number;
  /** Start-ups that gave their slot up (stalled), and how many of those had an answer from their server. */
  gaveUp: number;
  gaveUpAnswered: number;
  /** Most answered start-ups running outside their slot at once (bounded by the overflow). */
  peakOutside: number;
  /** Times a free slot stayed empty because of the start-ups running outside the limit. */
  heldBack: number;
}

export class StartupGate {
  private active = 0;
  /** Start-ups that gave their slot up, whose server has answered, not settled yet. */
  private outside = 0;
  private readonly queue: Waiter[] = [];
  readonly concurrency: number;
  readonly slotMs: number;
  readonly answeredSlotMs: number;
  readonly targetMs: number;
  readonly minConcurrency: number;
  readonly overflow: number;
  /** Start-ups allowed at once now (adaptive, between minConcurrency and concurrency). */
  private currentLimit: number;
  /**
   * Bumped at every change of the limit: a start-up measures the limit it was granted under, so the
   * slow ones still finishing from before a decrease do not shrink the limit again.
   */
  private epoch = 0;
  private window: number[] = [];
  /** The last decrease and the median that caused it: did it help? */
  private lastDecrease: { fromLimit: number; medianMs: number } | null = null;
  /** Time from slot to the server's first bytes, last 16 start-ups that got an answer. */
  private answerTimes: number[] = [];
  private readonly counts = {
    lowestLimit: 0,
    decreases: 0,
    increases: 0,
    measured: 0,
    lastMedianMs: null as number | null,
    gaveUp: 0,
    gaveUpAnswered: 0,
    peakOutside: 0,
    heldBack: 0,
  };

  constructor(
    options: StartupGateOptions = {},
    private readonly now: () => number = () => performance.now(),
  ) {
    this.concurrency = Math.max(1, options.concurrency ?? DEFAULT_STARTUP_CONCURRENCY);
    this.slotMs = Math.max(0, options.slotMs ?? DEFAULT_STARTUP_SLOT_MS);
    this.answeredSlotMs = Math.max(this.slotMs, options.answeredSlotMs ?? DEFAULT_STARTUP_ANSWERED_SLOT_MS);
    this.targetMs = Math.max(0, options.targetMs ?? DEFAULT_STARTUP_TARGET_MS);
    this.minConcurrency = Math.min(this.concurrency, Math.max(1, options.minConcurrency ?? DEFAULT_STARTUP_MIN_CONCURRENCY));
    this.overflow = Math.max(0, options.overflow ?? DEFAULT_STARTUP_OVERFLOW);
    this.currentLimit = this.concurrency;
    this.counts.lowestLimit = this.concurrency;
  }

  get running(): number {
    return this.active;
  }

  /** Start-ups that gave their slot up after their server answered and still run. */
  get runningOutside(): number {
    return this.outside;
  }

  /** Unfinished answered start-ups allowed at once: the limit plus its overflow. */
  get unfinishedLimit(): number {
    return this.currentLimit + Math.max(1, Math.ceil(this.currentLimit * this.overflow));
  }

  /** Start-ups allowed at once now. */
  get limit(): number {
    return this.currentLimit;
  }

  get stats(): StartupGateStats {
    return { limit: this.currentLimit, ...this.counts, unansweredSlotMs: this.unansweredSlotMs };
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
    start: (progress: (serverAnswered?: boolean) => void, slot: StartupSlot) => Promise<T>,
    signal?: AbortSignal,
    events: { queued?(): void; started?(): void } = {},
  ): Promise<T> {
    if (this.active >= this.currentLimit || this.active + this.outside >= this.unfinishedLimit || this.queue.length > 0) {
      events.queued?.();
    }
    const release = await this.acquire(signal);
    events.started?.();
    const grantedAt = this.now();
    const epoch = this.epoch;
    let timer: NodeJS.Timeout | null = null;
    let released = false;
    let gaveUp = false;
    let countedOutside = false;
    let answered = false;
    let measured = true;
    let sampled = false;
    const sample = () => {
      if (sampled || !answered || !measured) return;
      sampled = true;
      this.measure(this.now() - grantedAt, epoch);
    };
    const countOutside = () => {
      if (countedOutside) return;
      countedOutside = true;
      this.outside += 1;
      this.counts.peakOutside = Math.max(this.counts.peakOutside, this.outside);
    };
    const giveUp = () => {
      released = true;
      gaveUp = true;
      this.counts.gaveUp += 1;
      if (answered) {
        this.counts.gaveUpAnswered += 1;
        countOutside();
      }
      release();
      // Stalled for answeredSlotMs after the server answered: the slowest kind of start-up there is.
      sample();
    };
    const progress = (serverAnswered = false) => {
      if (serverAnswered && !answered) {
        answered = true;
        // Also after its slot was given up: a server that answers late was busy, not hung.
        this.firstAnswer(this.now() - grantedAt);
        // …and it now does this start-up's work outside the limit.
        if (gaveUp) countOutside();
      }
      if (released || this.slotMs <= 0) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(giveUp, answered ? this.answeredSlotMs : this.unansweredSlotMs);
    };
    progress();
    const slot: StartupSlot = { unmeasured: () => void (measured = false) };
    try {
      return await start(progress, slot);
    } finally {
      // Also one whose slot went for lack of an early answer: it took this long all the same.
      sample();
      released = true;
      if (timer) clearTimeout(timer);
      if (countedOutside) {
        this.outside -= 1;
        this.dispatch();
      }
      release();
    }
  }

  /**
   * How long a start-up whose server has not answered yet keeps its slot: slotMs, or twice the median
   * time to the servers' first answer lately when that is longer (at most answeredSlotMs). A black hole
   * never answers, so it never lengthens this; a busy sshd that takes 4 s to send its banner does, and
   * its handshakes then keep their slots instead of each letting one more handshake in after slotMs —
   * which piled every queued handshake onto that sshd at once.
   */
  get unansweredSlotMs(): number {
    if (this.answerTimes.length < 4) return this.slotMs;
    const sorted = [...this.answerTimes].sort((a, b) => a - b);
    const median = sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
    return Math.max(this.slotMs, Math.min(this.answeredSlotMs, Math.round(2 * median)));
  }

  private firstAnswer(ms: number): void {
    this.answerTimes.push(ms);
    if (this.answerTimes.length > 16) this.answerTimes.shift();
  }

  /**
   * One start-up's time, granted under `epoch`. Every `window` start-ups of the current epoch, their
   * median decides: above targetMs fewer at once, under half of it (while others wait) more.
   */
  private measure(ms: number, epoch: number): void {
    if (this.targetMs <= 0 || epoch !== this.epoch) return;
    this.counts.measured += 1;
    this.window.push(ms);
    // A few start-ups are enough to see a trend, and the answer must come long before the connect timeout.
    const size = Math.max(2, Math.min(8, Math.ceil(this.currentLimit / 4)));
    if (this.window.length < size) return;
    const sorted = [...this.window].sort((a, b) => a - b);
    const median = sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
    this.counts.lastMedianMs = Math.round(median);
    this.window = [];
    const previous = this.lastDecrease;
    if (median > this.targetMs && previous && median > previous.medianMs * 0.8) {
      // The last decrease did not make them faster: the slowness is not the number at once (a
      // computer or server busy with other work). Fewer at once would only connect fewer per second.
      this.lastDecrease = null;
      if (previous.fromLimit > this.currentLimit) {
        this.setLimit(previous.fromLimit);
        this.counts.increases += 1;
      }
    } else if (median > this.targetMs && this.currentLimit > this.minConcurrency) {
      this.lastDecrease = { fromLimit: this.currentLimit, medianMs: median };
      this.setLimit(Math.max(this.minConcurrency, Math.floor(this.currentLimit * DECREASE)));
      this.counts.decreases += 1;
    } else if (median <= this.targetMs) {
      this.lastDecrease = null;
      if (median < this.targetMs / 2 && this.currentLimit < this.concurrency && this.queue.length > 0) {
        this.setLimit(Math.min(this.concurrency, Math.max(this.currentLimit + 1, Math.floor(this.currentLimit * INCREASE))));
        this.counts.increases += 1;
      }
    }
  }

  private setLimit(limit: number): void {
    this.currentLimit = limit;
    this.counts.lowestLimit = Math.min(this.counts.lowestLimit, limit);
    this.epoch += 1;
    this.window = [];
    this.dispatch();
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
    while (this.active < this.currentLimit && this.queue.length > 0) {
      if (this.active + this.outside >= this.unfinishedLimit) {
        this.counts.heldBack += 1;
        return;
      }
      this.queue.shift()?.grant();
    }
  }
}
