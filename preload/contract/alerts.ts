/**
 * Alerts: threshold rules over the metrics (evaluated in main on every sample), host reachability and
 * libvirt lifecycle events; the alert centre's list, acknowledgement and notifications.
 */

import type { AssertNever } from './channel-names';
import type { MetricName } from './metrics-history';

/** Conditions that are not a sampled metric: a host's reachability (with a duration) and events (at once). */
export const ALERT_CONDITIONS = ['host.unreachable', 'vm.event.crashed', 'vm.event.io_error'] as const;
export type AlertCondition = (typeof ALERT_CONDITIONS)[number];
export type AlertMetric = MetricName | AlertCondition;

export type AlertComparison = '>' | '>=' | '<' | '<=';
export type AlertSeverity = 'info' | 'warning' | 'critical';

export type AlertScope =
  | { kind: 'all' }
  | { kind: 'host'; hostId: string }
  | { kind: 'tag'; tag: string }
  | { kind: 'vm'; hostId: string; uuid: string };

export interface AlertRule {
  id: string;
  name: string;
  enabled: boolean;
  metric: AlertMetric;
  comparison: AlertComparison;
  threshold: number;
  /** How long the condition must hold before the alert fires (0 = at once). */
  durationSec: number;
  scope: AlertScope;
  severity: AlertSeverity;
  /** One of the built-in rules (editable; "restore defaults" brings it back). */
  builtIn?: boolean;
}

export type AlertTarget = { kind: 'host'; hostId: string } | { kind: 'vm'; hostId: string; uuid: string };

export interface AlertValue {
  at: number;
  value: number;
}

export interface Alert {
  id: string;
  ruleId: string;
  ruleName: string;
  metric: AlertMetric;
  comparison: AlertComparison;
  threshold: number;
  durationSec: number;
  severity: AlertSeverity;
  target: AlertTarget;
  /** The VM's or host's name when it fired. */
  targetName: string;
  status: 'open' | 'acknowledged' | 'resolved';
  /** When the condition began to hold. */
  conditionSince: number;
  /** When it had held for the duration (the alert fired). */
  startedAt: number;
  endedAt: number | null;
  acknowledgedAt: number | null;
  /** The samples that made it fire (the last ones of the duration, at most 30), and the peak while open. */
  values: AlertValue[];
  peak: number | null;
  /** Extra words for events (e.g. the libvirt event and reason). */
  detail?: string;
}

export interface AlertsCalls {
  'alerts.list': { request: { includeResolved: boolean }; response: Alert[] };
  'alerts.acknowledge': { request: { ids: string[] }; response: Alert[] };
  'alerts.rules': { request: null; response: AlertRule[] };
  'alerts.saveRule': { request: AlertRule; response: AlertRule[] };
  'alerts.deleteRule': { request: { id: string }; response: AlertRule[] };
  'alerts.restoreDefaults': { request: null; response: AlertRule[] };
}

export const ALERTS_CALLS = [
  'alerts.list',
  'alerts.acknowledge',
  'alerts.rules',
  'alerts.saveRule',
  'alerts.deleteRule',
  'alerts.restoreDefaults',
] as const satisfies readonly (keyof AlertsCalls)[];
export type _AlertsCallsListed = AssertNever<Exclude<keyof AlertsCalls, (typeof ALERTS_CALLS)[number]>>;

export interface AlertsEvents {
  /** An alert opened, changed state or resolved. */
  'alerts.changed': Alert;
  /** An alert fired: notify (the browser in serve mode; the desktop shell shows its own). */
  'alerts.fired': Alert;
  /** The user clicked a desktop notification: open this VM or host. */
  'alerts.open': AlertTarget;
}

export const ALERTS_EVENTS = ['alerts.changed', 'alerts.fired', 'alerts.open'] as const satisfies readonly (keyof AlertsEvents)[];
export type _AlertsEventsListed = AssertNever<Exclude<keyof AlertsEvents, (typeof ALERTS_EVENTS)[number]>>;
