import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import {
  ALERT_CONDITIONS,
  HOST_METRICS,
  VM_METRICS,
  type Alert,
  type AlertRule,
  type AlertTarget,
  type HostConnectionState,
} from '../../../preload/api-contract';
import { writeFileAtomic } from '../../platform/atomic-file';
import { ApiFailure } from '../api-failure';
import { AlertEngine, type AlertSubject } from './alert-engine';

/** The built-in rules (editable; "restore defaults" brings them back as they were). */
export const DEFAULT_RULES: AlertRule[] = [
  { id: 'default-vm-cpu', name: 'VM CPU above 90 %', enabled: true, metric: 'vm.cpu.percent', comparison: '>', threshold: 90, durationSec: 300, scope: { kind: 'all' }, severity: 'warning', builtIn: true },
  { id: 'default-host-memory', name: 'Host memory above 90 %', enabled: true, metric: 'host.memory.used_percent', comparison: '>', threshold: 90, durationSec: 300, scope: { kind: 'all' }, severity: 'warning', builtIn: true },
  { id: 'default-host-disk-wait', name: 'Host disk I/O wait above 2 ms', enabled: true, metric: 'host.disk.await_ms', comparison: '>', threshold: 2, durationSec: 300, scope: { kind: 'all' }, severity: 'warning', builtIn: true },
  { id: 'default-host-unreachable', name: 'Host unreachable', enabled: true, metric: 'host.unreachable', comparison: '>=', threshold: 1, durationSec: 60, scope: { kind: 'all' }, severity: 'critical', builtIn: true },
  { id: 'default-vm-crashed', name: 'Guest crashed', enabled: true, metric: 'vm.event.crashed', comparison: '>=', threshold: 1, durationSec: 0, scope: { kind: 'all' }, severity: 'critical', builtIn: true },
  { id: 'default-vm-io-error', name: 'Guest paused on an I/O error', enabled: true, metric: 'vm.event.io_error', comparison: '>=', threshold: 1, durationSec: 0, scope: { kind: 'all' }, severity: 'critical', builtIn: true },
];

const ALERT_METRICS = [...HOST_METRICS, ...VM_METRICS, ...ALERT_CONDITIONS] as const;
const HOST_ID = z.string().regex(/^[a-z0-9-]{1,64}$/);
const UUID = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

export const alertRuleSchema: z.ZodType<AlertRule> = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
    name: z.string().trim().min(1).max(120),
    enabled: z.boolean(),
    metric: z.enum(ALERT_METRICS),
    comparison: z.enum(['>', '>=', '<', '<=']),
    threshold: z.number().finite(),
    durationSec: z.number().int().min(0).max(7 * 24 * 3600),
    scope: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('all') }),
      z.object({ kind: z.literal('host'), hostId: HOST_ID }),
      z.object({ kind: z.literal('tag'), tag: z.string().min(1).max(64) }),
      z.object({ kind: z.literal('vm'), hostId: HOST_ID, uuid: UUID }),
    ]),
    severity: z.enum(['info', 'warning', 'critical']),
    builtIn: z.boolean().optional(),
  })
  .superRefine((rule, ctx) => {
    if (rule.scope.kind === 'vm' && rule.metric.startsWith('host.')) {
      ctx.addIssue({ code: 'custom', path: ['scope'], message: 'A host metric cannot be scoped to one VM' });
    }
  });

/** How long resolved alerts are kept (with the metrics: 30 days). */
const ALERT_RETENTION_MS = 30 * 24 * 3600_000;
const UNREACHABLE_STATES = new Set<HostConnectionState['kind']>(['unreachable', 'lost']);

export interface AlertsServiceOptions {
  /** alert-rules.json lives here (beside settings.json). */
  configDir: string;
  /** alerts.jsonl lives here (with the metrics history). */
  historyDir: string;
  publishChanged(alert: Alert): void;
  publishFired(alert: Alert): void;
  now?: () => number;
}

/**
 * Alert rules (alert-rules.json), the engine that evaluates them on every sample in main, and the
 * alerts' history (alerts.jsonl: one line per change, compacted at start to 30 days).
 */
export class AlertsService {
  private ruleList: AlertRule[] = DEFAULT_RULES;
  private readonly alerts = new Map<string, Alert>();
  readonly engine: AlertEngine;
  private readonly now: () => number;
  private readonly hostInfo = new Map<string, { name: string; tags: string[] }>();
  private readonly unreachableSince = new Map<string, boolean>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private writes: Promise<void> = Promise.resolve();
  readonly ready: Promise<void>;

  constructor(private readonly options: AlertsServiceOptions) {
    this.now = options.now ?? Date.now;
    this.engine = new AlertEngine(
      () => this.ruleList,
      {
        changed: (alert, fired) => {
          this.alerts.set(alert.id, alert);
          this.persist(alert);
          options.publishChanged(alert);
          if (fired) options.publishFired(alert);
        },
      },
    );
    this.ready = this.load();
  }

  private get rulesPath(): string {
    return join(this.options.configDir, 'alert-rules.json');
  }

  private get logPath(): string {
    return join(this.options.historyDir, 'alerts.jsonl');
  }

  private async load(): Promise<void> {
    try {
      const parsed = z.array(alertRuleSchema).safeParse(JSON.parse(await readFile(this.rulesPath, 'utf8')));
      if (parsed.success) this.ruleList = parsed.data;
    } catch {
      this.ruleList = DEFAULT_RULES;
    }
    const text = await readFile(this.logPath, 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        const alert = JSON.parse(line) as Alert;
        if (typeof alert.id === 'string') this.alerts.set(alert.id, alert);
      } catch {
        // a torn last line after a crash
      }
    }
    const cutoff = this.now() - ALERT_RETENTION_MS;
    for (const [id, alert] of this.alerts) if (alert.status === 'resolved' && (alert.endedAt ?? 0) < cutoff) this.alerts.delete(id);
    // Compact: one line per alert still kept.
    await mkdir(dirname(this.logPath), { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.logPath, [...this.alerts.values()].map((a) => `${JSON.stringify(a)}\n`).join(''));
    this.engine.adopt([...this.alerts.values()]);
    // Reachability has a duration but no samples while a host is away: look again every 5 s.
    this.timer = setInterval(() => this.tickReachability(), 5_000);
    this.timer.unref?.();
  }

  private persist(alert: Alert): void {
    this.writes = this.writes
      .then(() => appendFile(this.logPath, `${JSON.stringify(alert)}\n`, { mode: 0o600 }))
      .catch((error: unknown) => console.warn(`[alerts] writing the alert history failed: ${error instanceof Error ? error.message : String(error)}`));
  }

  // ---- inputs ---------------------------------------------------------------------------------------

  setHosts(hosts: ReadonlyArray<{ id: string; displayName: string; tags: string[]; group?: string }>): void {
    const ids = new Set(hosts.map((h) => h.id));
    for (const host of hosts) this.hostInfo.set(host.id, { name: host.displayName, tags: [...host.tags, ...(host.group ? [host.group] : [])] });
    for (const id of [...this.hostInfo.keys()]) {
      if (!ids.has(id)) {
        this.hostInfo.delete(id);
        this.unreachableSince.delete(id);
        this.engine.gone({ kind: 'host', hostId: id }, this.now());
      }
    }
  }

  subject(target: AlertTarget, vmName?: string): AlertSubject {
    const host = this.hostInfo.get(target.hostId);
    return { target, name: target.kind === 'vm' ? (vmName ?? target.uuid) : (host?.name ?? target.hostId), tags: host?.tags ?? [] };
  }

  /** A sample of a host's or VM's metrics. */
  evaluate(target: AlertTarget, at: number, values: Record<string, number | null | undefined>, vmName?: string): void {
    this.engine.evaluate(this.subject(target, vmName), at, values);
  }

  hostStatus(hostId: string, state: HostConnectionState): void {
    const unreachable = UNREACHABLE_STATES.has(state.kind);
    if (state.kind === 'disconnected') {
      // Disconnected on purpose: not "unreachable", and nothing to wait for.
      this.unreachableSince.delete(hostId);
      this.engine.evaluate(this.subject({ kind: 'host', hostId }), this.now(), { 'host.unreachable': 0 });
      return;
    }
    this.unreachableSince.set(hostId, unreachable);
    this.engine.evaluate(this.subject({ kind: 'host', hostId }), this.now(), { 'host.unreachable': unreachable ? 1 : 0 });
  }

  private tickReachability(): void {
    const at = this.now();
    for (const [hostId, unreachable] of this.unreachableSince) {
      if (unreachable) this.engine.evaluate(this.subject({ kind: 'host', hostId }), at, { 'host.unreachable': 1 });
    }
  }

  /** A libvirt lifecycle event (type and detail as libvirt numbers them). */
  lifecycle(hostId: string, uuid: string, name: string, event: number, detail: number): void {
    const target: AlertTarget = { kind: 'vm', hostId, uuid };
    const at = this.now();
    // virDomainEventType: 2 STARTED, 4 RESUMED, 3 SUSPENDED (detail 2 = IOERROR), 8 CRASHED; 1 UNDEFINED.
    if (event === 8) this.engine.event(this.subject(target, name), at, 'vm.event.crashed', crashedDetail(detail));
    else if (event === 3 && detail === 2) this.engine.event(this.subject(target, name), at, 'vm.event.io_error', 'paused: I/O error');
    else if (event === 2 || event === 4) this.engine.recovered(target, at);
    else if (event === 1) this.engine.gone(target, at);
  }

  vmGone(hostId: string, uuid: string): void {
    this.engine.gone({ kind: 'vm', hostId, uuid }, this.now());
  }

  // ---- calls ----------------------------------------------------------------------------------------

  async list(includeResolved: boolean): Promise<Alert[]> {
    await this.ready;
    return [...this.alerts.values()]
      .filter((alert) => includeResolved || alert.status !== 'resolved')
      .sort((a, b) => b.startedAt - a.startedAt);
  }

  async acknowledge(ids: string[]): Promise<Alert[]> {
    await this.ready;
    const at = this.now();
    for (const id of ids) {
      const alert = this.alerts.get(id);
      if (!alert) throw new ApiFailure('not-found', `No alert ${id}`);
      if (alert.status === 'open') this.engine.acknowledge(id, at);
    }
    return this.list(true);
  }

  async rules(): Promise<AlertRule[]> {
    await this.ready;
    return this.ruleList;
  }

  private async setRules(rules: AlertRule[]): Promise<AlertRule[]> {
    await writeFileAtomic(this.rulesPath, `${JSON.stringify(rules, null, 2)}\n`);
    this.ruleList = rules;
    return rules;
  }

  async saveRule(rule: AlertRule): Promise<AlertRule[]> {
    await this.ready;
    const existing = this.ruleList.find((r) => r.id === rule.id);
    const saved = { ...rule, ...(existing?.builtIn ? { builtIn: true } : { builtIn: undefined }) };
    const next = existing ? this.ruleList.map((r) => (r.id === rule.id ? saved : r)) : [...this.ruleList, saved];
    const result = await this.setRules(next.map((r) => JSON.parse(JSON.stringify(r)) as AlertRule));
    if (existing) this.engine.ruleChanged(rule.id, this.now());
    return result;
  }

  async deleteRule(id: string): Promise<AlertRule[]> {
    await this.ready;
    if (!this.ruleList.some((r) => r.id === id)) throw new ApiFailure('not-found', `No rule ${id}`);
    const result = await this.setRules(this.ruleList.filter((r) => r.id !== id));
    this.engine.ruleChanged(id, this.now());
    return result;
  }

  async restoreDefaults(): Promise<AlertRule[]> {
    await this.ready;
    const custom = this.ruleList.filter((r) => !r.builtIn);
    const result = await this.setRules([...DEFAULT_RULES, ...custom]);
    for (const rule of DEFAULT_RULES) this.engine.ruleChanged(rule.id, this.now());
    return result;
  }

  async dispose(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.writes;
  }
}

function crashedDetail(detail: number): string {
  // virDomainEventCrashedDetailType
  return ['crashed: panicked', 'crashed: crash loaded'][detail] ?? 'crashed';
}
