/**
 * Bulk domain statistics (CONNECT_GET_ALL_DOMAIN_STATS) and the inventory summary built from them.
 */
import { enumName, virDomainState } from '../protocol';
import { paramBigint, paramNumber, type TypedParam } from './typed-params';
import type { Domain } from './types';

export interface DomainStatsRecord {
  readonly domain: Domain;
  /** In the daemon's order; keys are unique per record in practice but kept as a list. */
  readonly params: TypedParam[];
}

/** The fields an inventory view needs, read from one stats record. */
export interface DomainSummary {
  readonly domain: Domain;
  /** virDomainState (1 running, 3 paused, 5 shut off, …); null if STATE was not requested. */
  readonly state: number | null;
  /** e.g. 'VIR_DOMAIN_RUNNING'. */
  readonly stateName: string | null;
  readonly reason: number | null;
  readonly vcpus: { readonly current: number; readonly maximum: number } | null;
  /** balloon.current / balloon.maximum, KiB. */
  readonly memory: { readonly currentKiB: number; readonly maximumKiB: number } | null;
  /** cpu.time in nanoseconds (only for running domains). */
  readonly cpuTimeNs: bigint | null;
}

export function summarizeDomainStats(record: DomainStatsRecord): DomainSummary {
  // One pass over the record for the seven fields (the first of each, as a search would find it):
  // this runs for every guest of every host on every tick, and a search per field was seven.
  const found: (TypedParam | undefined)[] = [undefined, undefined, undefined, undefined, undefined, undefined, undefined];
  for (const param of record.params) {
    const index = SUMMARY_FIELDS.get(param.field);
    if (index !== undefined && found[index] === undefined) found[index] = param;
  }
  const state = numberOf(found[0]) ?? null;
  const vcur = numberOf(found[2]);
  const vmax = numberOf(found[3]);
  const mcur = numberOf(found[4]);
  const mmax = numberOf(found[5]);
  return {
    domain: record.domain,
    state,
    stateName: state === null ? null : (enumName(virDomainState, state) ?? null),
    reason: numberOf(found[1]) ?? null,
    vcpus:
      vcur === undefined && vmax === undefined
        ? null
        : { current: vcur ?? vmax ?? 0, maximum: vmax ?? vcur ?? 0 },
    memory:
      mcur === undefined && mmax === undefined
        ? null
        : { currentKiB: mcur ?? mmax ?? 0, maximumKiB: mmax ?? mcur ?? 0 },
    cpuTimeNs: bigintOf(found[6]) ?? null,
  };
}

const SUMMARY_FIELDS = new Map(
  ['state.state', 'state.reason', 'vcpu.current', 'vcpu.maximum', 'balloon.current', 'balloon.maximum', 'cpu.time'].map((field, i) => [field, i]),
);

/** As {@link paramNumber} reads a parameter. */
function numberOf(param: TypedParam | undefined): number | undefined {
  return param === undefined ? undefined : paramNumber([param], param.field);
}

/** As {@link paramBigint} reads a parameter. */
function bigintOf(param: TypedParam | undefined): bigint | undefined {
  return param === undefined ? undefined : paramBigint([param], param.field);
}

/**
 * A bulk-stats field name split into its device group, index and key: `block.2.rd.bytes` →
 * `{ group: 'block', index: 2, key: 'rd.bytes' }`, `net.0.tx.pkts` → `{ group: 'net', … }`; every other
 * field (`cpu.time`, `balloon.current`, `vcpu.0.time`, `block.count`) has group `null`.
 */
export interface StatField {
  readonly group: 'block' | 'net' | null;
  readonly index: number;
  readonly key: string;
}

const OTHER_FIELD: StatField = Object.freeze({ group: null, index: -1, key: '' });
const DEVICE_FIELD = /^(block|net)\.(\d+)\.(.+)$/;
const STAT_FIELDS_MAX = 4_096;
const statFields = new Map<string, StatField>();

/**
 * {@link StatField} of a field name, remembered: the same names come back for every guest on every
 * tick, and each of the tick's readers (I/O totals, history counters, per-device stats) matched each
 * field against a regular expression, a match array and substrings per field (with hundreds of hosts a
 * large share of the tick's allocations). Bounded; past the bound names are split each time.
 */
export function statField(field: string): StatField {
  const known = statFields.get(field);
  if (known) return known;
  const match = DEVICE_FIELD.exec(field);
  const parsed: StatField = match
    ? Object.freeze({ group: match[1] as 'block' | 'net', index: Number(match[2]), key: match[3] ?? '' })
    : OTHER_FIELD;
  if (statFields.size < STAT_FIELDS_MAX) statFields.set(field, parsed);
  return parsed;
}
