import { randomUUID } from 'node:crypto';
import type { Alert, AlertComparison, AlertRule, AlertTarget, AlertValue } from '../../../preload/api-contract';

/** What a rule is evaluated against: a host or VM with what its scope needs to know. */
export interface AlertSubject {
  target: AlertTarget;
  name: string;
  /** The host's tags and group (a VM inherits its host's). */
  tags: readonly string[];
}

export function subjectKey(target: AlertTarget): string {
  return target.kind === 'host' ? `host/${target.hostId}` : `vm/${target.hostId}/${target.uuid}`;
}

export function compare(value: number, comparison: AlertComparison, threshold: number): boolean {
  switch (comparison) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
  }
}

export function ruleApplies(rule: AlertRule, subject: AlertSubject): boolean {
  if (!rule.enabled) return false;
  const kind = rule.metric.startsWith('host.') ? 'host' : 'vm';
  if (kind !== subject.target.kind) return false;
  const scope = rule.scope;
  switch (scope.kind) {
    case 'all':
      return true;
    case 'host':
      return subject.target.hostId === scope.hostId;
    case 'tag':
      return subject.tags.includes(scope.tag);
    case 'vm':
      return subject.target.kind === 'vm' && subject.target.hostId === scope.hostId && subject.target.uuid === scope.uuid;
  }
}

const KEPT_VALUES = 30;

interface Pending {
  since: number;
  values: AlertValue[];
}

export interface AlertEngineHooks {
  /** A new alert (fired) or a change of one (peak, resolved, acknowledged). */
  changed(alert: Alert, fired: boolean): void;
}

/**
 * Rule evaluation with durations: a condition must hold on every sample for `durationSec` before its
 * alert fires (a shorter spike never does); the first sample where it no longer holds resolves it.
 * Event conditions (`vm.event.*`) fire at once and resolve when the guest runs again.
 */
export class AlertEngine {
  private readonly pending = new Map<string, Pending>();
  /** Open (or acknowledged) alerts by rule and subject. */
  private readonly active = new Map<string, Alert>();

  constructor(
    private readonly rules: () => readonly AlertRule[],
    private readonly hooks: AlertEngineHooks,
  ) {}

  /** Alerts still open from an earlier run: they resolve when their condition is next seen false. */
  adopt(alerts: readonly Alert[]): void {
    for (const alert of alerts) {
      if (alert.status !== 'resolved') this.active.set(`${alert.ruleId}|${subjectKey(alert.target)}`, alert);
    }
  }

  openAlerts(): Alert[] {
    return [...this.active.values()];
  }

  /** One sample of a subject's metrics (a missing metric leaves its rules as they are). */
  evaluate(subject: AlertSubject, at: number, values: Readonly<Record<string, number | null | undefined>>): void {
    for (const rule of this.rules()) {
      if (rule.metric.startsWith('vm.event.')) continue;
      const value = values[rule.metric];
      if (value === undefined || value === null || !Number.isFinite(value)) continue;
      if (!ruleApplies(rule, subject)) continue;
      this.step(rule, subject, at, value, compare(value, rule.comparison, rule.threshold));
    }
  }

  private step(rule: AlertRule, subject: AlertSubject, at: number, value: number, holds: boolean): void {
    const key = `${rule.id}|${subjectKey(subject.target)}`;
    const active = this.active.get(key);
    if (!holds) {
      this.pending.delete(key);
      if (active) this.resolve(key, active, at);
      return;
    }
    if (active) {
      if (active.peak === null || Math.abs(value - rule.threshold) > Math.abs(active.peak - rule.threshold)) {
        const updated = { ...active, peak: value };
        this.active.set(key, updated);
        this.hooks.changed(updated, false);
      }
      return;
    }
    let pending = this.pending.get(key);
    if (!pending) {
      pending = { since: at, values: [] };
      this.pending.set(key, pending);
    }
    pending.values.push({ at, value });
    if (pending.values.length > KEPT_VALUES) pending.values.splice(0, pending.values.length - KEPT_VALUES);
    if (at - pending.since >= rule.durationSec * 1000) {
      this.pending.delete(key);
      const peak = pending.values.reduce(
        (best, v) => (Math.abs(v.value - rule.threshold) > Math.abs(best - rule.threshold) ? v.value : best),
        value,
      );
      this.fire(key, rule, subject, pending.since, at, pending.values, peak);
    }
  }

  /** A libvirt lifecycle event of a VM: crashed, or paused on an I/O error. */
  event(subject: AlertSubject, at: number, condition: 'vm.event.crashed' | 'vm.event.io_error', detail: string): void {
    for (const rule of this.rules()) {
      if (rule.metric !== condition || !ruleApplies(rule, subject)) continue;
      const key = `${rule.id}|${subjectKey(subject.target)}`;
      if (this.active.has(key)) continue;
      this.fire(key, rule, subject, at, at, [{ at, value: 1 }], 1, detail);
    }
  }

  /** The VM runs again (started or resumed): its event alerts are over. */
  recovered(target: AlertTarget, at: number): void {
    const suffix = `|${subjectKey(target)}`;
    for (const [key, alert] of this.active) {
      if (key.endsWith(suffix) && alert.metric.startsWith('vm.event.')) this.resolve(key, alert, at);
    }
  }

  /** A VM or host that is gone (undefined, removed): what was open about it resolves. */
  gone(target: AlertTarget, at: number): void {
    const suffix = `|${subjectKey(target)}`;
    for (const [key, alert] of this.active) if (key.endsWith(suffix)) this.resolve(key, alert, at);
    for (const key of [...this.pending.keys()]) if (key.endsWith(suffix)) this.pending.delete(key);
  }

  /** A rule was deleted or changed: its open alerts resolve, its pending conditions start over. */
  ruleChanged(ruleId: string, at: number): void {
    for (const [key, alert] of this.active) if (alert.ruleId === ruleId) this.resolve(key, alert, at);
    for (const key of [...this.pending.keys()]) if (key.startsWith(`${ruleId}|`)) this.pending.delete(key);
  }

  acknowledge(id: string, at: number): Alert | null {
    for (const [key, alert] of this.active) {
      if (alert.id !== id) continue;
      const updated: Alert = { ...alert, status: 'acknowledged', acknowledgedAt: at };
      this.active.set(key, updated);
      this.hooks.changed(updated, false);
      return updated;
    }
    return null;
  }

  private fire(
    key: string,
    rule: AlertRule,
    subject: AlertSubject,
    since: number,
    at: number,
    values: AlertValue[],
    peak: number,
    detail?: string,
  ): void {
    const alert: Alert = {
      id: randomUUID(),
      ruleId: rule.id,
      ruleName: rule.name,
      metric: rule.metric,
      comparison: rule.comparison,
      threshold: rule.threshold,
      durationSec: rule.durationSec,
      severity: rule.severity,
      target: subject.target,
      targetName: subject.name,
      status: 'open',
      conditionSince: since,
      startedAt: at,
      endedAt: null,
      acknowledgedAt: null,
      values: [...values],
      peak,
      ...(detail ? { detail } : {}),
    };
    this.active.set(key, alert);
    this.hooks.changed(alert, true);
  }

  private resolve(key: string, alert: Alert, at: number): void {
    this.active.delete(key);
    this.hooks.changed({ ...alert, status: 'resolved', endedAt: at }, false);
  }
}
