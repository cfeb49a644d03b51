import { isFleetHostDelta, type FleetDomain, type FleetHostDelta, type FleetHostDomains } from '../../../preload/api-contract';
import { domainKey, keepUnchangedRows } from './fleet-query';

/** Points kept per guest for the table's sparklines (the VM page charts the metrics history). */
export const SPARKLINE_POINTS = 30;

/**
 * The fleet as the host updates leave it: each update is merged when it arrives (`add`, a host's rows
 * and sparkline points, a few milliseconds per message), and `take` hands the table the whole state at
 * most once per apply interval (a list of the rows and a map of the points, built from the merged
 * hosts). Merging per message spreads the tick's work over the messages instead of putting it all in
 * the frame that applies them. Rows that did not change keep their objects; sparkline arrays are
 * replaced, never mutated, so a row whose history did not change keeps its array.
 */
export class FleetUpdates {
  private readonly byHost = new Map<string, FleetHostDomains>();
  /** Sparkline points per host, then per domain key. */
  private readonly history = new Map<string, Map<string, readonly number[]>>();
  private changed = false;
  /** Per host, the newest delta that could not be applied (its base update is not here). */
  private readonly missed = new Map<string, number>();

  /**
   * Merges one host's update, in full or as a delta; an update older than the host's last one is
   * ignored, and so is a delta on an update that is not here (this listener subscribed after it was
   * sent, or missed it): `needsSnapshot` then says so.
   */
  add(update: FleetHostDomains | FleetHostDelta): void {
    const previous = this.byHost.get(update.hostId);
    if (previous && previous.sampledAt > update.sampledAt) return;
    let domains: FleetDomain[];
    if (isFleetHostDelta(update)) {
      if (!previous || previous.sampledAt !== update.since) {
        if (!previous || previous.sampledAt < update.sampledAt) this.missed.set(update.hostId, update.sampledAt);
        return;
      }
      domains = applyChanged(previous.domains, update.changed);
    } else {
      // Unchanged rows keep their objects, so their search text and rendered rows are reused.
      domains = keepUnchangedRows(previous?.domains, update.domains);
    }
    this.byHost.set(update.hostId, { hostId: update.hostId, sampledAt: update.sampledAt, domains });
    this.changed = true;
    if (previous?.sampledAt === update.sampledAt) return;
    const before = this.history.get(update.hostId);
    const after = new Map<string, readonly number[]>();
    for (const domain of domains) {
      // Most guests are shut off (no CPU figure, no history): no key made for them.
      if (domain.cpuPercent === null && !before?.size) continue;
      const key = domainKey(domain);
      const points = before?.get(key);
      if (domain.cpuPercent === null) {
        if (points) after.set(key, points);
        continue;
      }
      const next = points ? points.slice(Math.max(0, points.length + 1 - SPARKLINE_POINTS)) : [];
      next.push(domain.cpuPercent);
      after.set(key, next);
    }
    if (after.size > 0) this.history.set(update.hostId, after);
    else this.history.delete(update.hostId);
  }

  /**
   * True when a delta was left out for a host that has not caught up with it since (by a later update
   * in full or a snapshot): the rows of that host are behind until a snapshot is added.
   */
  needsSnapshot(): boolean {
    for (const [hostId, sampledAt] of this.missed) {
      if ((this.byHost.get(hostId)?.sampledAt ?? -Infinity) >= sampledAt) this.missed.delete(hostId);
    }
    return this.missed.size > 0;
  }

  /** Every row and sparkline after the updates added since the last call, or null when none changed anything. */
  take(): { domains: FleetDomain[]; cpuHistory: Map<string, readonly number[]> } | null {
    if (!this.changed) return null;
    this.changed = false;
    const cpuHistory = new Map<string, readonly number[]>();
    for (const perHost of this.history.values()) for (const [key, points] of perHost) cpuHistory.set(key, points);
    const domains: FleetDomain[] = [];
    for (const host of this.byHost.values()) for (const domain of host.domains) domains.push(domain);
    return { domains, cpuHistory };
  }
}

/** A host's rows with the changed ones (same UUID) replaced; every other row keeps its object. */
function applyChanged(rows: readonly FleetDomain[], changed: readonly FleetDomain[]): FleetDomain[] {
  if (changed.length === 0) return rows as FleetDomain[];
  const byUuid = new Map(changed.map((row) => [row.uuid, row]));
  return rows.map((row) => byUuid.get(row.uuid) ?? row);
}

/** Host updates wait while the user types, sorts or scrolls, until this long after the last of it… */
export const FLEET_QUIET_MS = 300;
/** …but never leave the table more than this long without the updates that came. */
export const FLEET_MAX_HOLD_MS = 3000;

/**
 * How long to wait before applying the updates that came (0: now), at `now`, the last apply at
 * `lastApplied` and the user's last keystroke, sort or scroll at `lastInteraction`: an update applied
 * while typing renders every row list again in the middle of the keystrokes, so it waits for a pause
 * of FLEET_QUIET_MS, or at most FLEET_MAX_HOLD_MS after the last apply.
 */
export function applyDelay(now: number, lastApplied: number, lastInteraction: number): number {
  const quietAt = lastInteraction + FLEET_QUIET_MS;
  if (now >= quietAt) return 0;
  const latest = lastApplied + FLEET_MAX_HOLD_MS;
  if (now >= latest) return 0;
  return Math.min(quietAt, latest) - now;
}
