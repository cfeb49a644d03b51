import { describe, expect, it } from 'vitest';
import type { Alert, AlertRule } from '../../../preload/api-contract';
import { AlertEngine, type AlertSubject } from '../../../main/services/alerts/alert-engine';

const CPU: AlertRule = {
  id: 'cpu',
  name: 'CPU > 50 % for 20 s',
  enabled: true,
  metric: 'vm.cpu.percent',
  comparison: '>',
  threshold: 50,
  durationSec: 20,
  scope: { kind: 'all' },
  severity: 'warning',
};
const VM: AlertSubject = { target: { kind: 'vm', hostId: 'host-1', uuid: '00000000-0000-0000-0000-000000000001' }, name: 'vm1', tags: ['prod'] };

function setup(rules: AlertRule[]) {
  const changes: Array<{ alert: Alert; fired: boolean }> = [];
  const engine = new AlertEngine(() => rules, { changed: (alert, fired) => changes.push({ alert, fired }) });
  return { engine, changes, fired: () => changes.filter((c) => c.fired).map((c) => c.alert) };
}

describe('AlertEngine', () => {
  it('a spike shorter than the duration does not fire', () => {
    const { engine, fired } = setup([CPU]);
    for (let s = 0; s <= 18; s += 2) engine.evaluate(VM, s * 1000, { 'vm.cpu.percent': 95 });
    engine.evaluate(VM, 20_000, { 'vm.cpu.percent': 10 });
    for (let s = 22; s <= 40; s += 2) engine.evaluate(VM, s * 1000, { 'vm.cpu.percent': 95 });
    expect(fired()).toEqual([]);
  });

  it('a condition that holds for the duration fires once, with the values that triggered it; recovery resolves it', () => {
    const { engine, fired, changes } = setup([CPU]);
    for (let s = 0; s <= 30; s += 2) engine.evaluate(VM, s * 1000, { 'vm.cpu.percent': 60 + s });
    expect(fired()).toHaveLength(1);
    const alert = fired()[0];
    expect(alert?.startedAt).toBe(20_000);
    expect(alert?.conditionSince).toBe(0);
    expect(alert?.values.map((v) => v.value)).toEqual([60, 62, 64, 66, 68, 70, 72, 74, 76, 78, 80]);
    expect(alert?.status).toBe('open');
    engine.evaluate(VM, 32_000, { 'vm.cpu.percent': 49 });
    const last = changes[changes.length - 1]?.alert;
    expect(last?.status).toBe('resolved');
    expect(last?.endedAt).toBe(32_000);
    expect(engine.openAlerts()).toEqual([]);
  });

  it('a missing value (guest stopped, no sample) neither fires nor resolves', () => {
    const { engine, fired } = setup([{ ...CPU, durationSec: 4 }]);
    engine.evaluate(VM, 0, { 'vm.cpu.percent': 90 });
    engine.evaluate(VM, 2000, { 'vm.cpu.percent': null });
    engine.evaluate(VM, 4000, { 'vm.cpu.percent': 90 });
    expect(fired()).toHaveLength(1);
    engine.evaluate(VM, 6000, {});
    expect(engine.openAlerts()).toHaveLength(1);
  });

  it('scopes: a host, a tag, one VM; host metrics never apply to VMs', () => {
    const other: AlertSubject = { target: { kind: 'vm', hostId: 'host-2', uuid: '00000000-0000-0000-0000-000000000002' }, name: 'vm2', tags: [] };
    const rules: AlertRule[] = [
      { ...CPU, id: 'h', durationSec: 0, scope: { kind: 'host', hostId: 'host-2' } },
      { ...CPU, id: 't', durationSec: 0, scope: { kind: 'tag', tag: 'prod' } },
      { ...CPU, id: 'v', durationSec: 0, scope: { kind: 'vm', hostId: 'host-1', uuid: '00000000-0000-0000-0000-000000000001' } },
      { ...CPU, id: 'm', durationSec: 0, metric: 'host.memory.used_percent' },
    ];
    const { engine, fired } = setup(rules);
    engine.evaluate(VM, 0, { 'vm.cpu.percent': 99, 'host.memory.used_percent': 99 });
    engine.evaluate(other, 0, { 'vm.cpu.percent': 99 });
    expect(fired().map((a) => `${a.ruleId}:${a.targetName}`).sort()).toEqual(['h:vm2', 't:vm1', 'v:vm1']);
  });

  it('events fire at once and resolve when the guest runs again; acknowledging keeps an alert until it resolves', () => {
    const crashed: AlertRule = { ...CPU, id: 'crash', metric: 'vm.event.crashed', durationSec: 0 };
    const { engine, fired, changes } = setup([crashed]);
    engine.event(VM, 5, 'vm.event.crashed', 'crashed: panicked');
    engine.event(VM, 6, 'vm.event.crashed', 'crashed: panicked');
    expect(fired()).toHaveLength(1);
    const id = fired()[0]?.id ?? '';
    expect(engine.acknowledge(id, 7)?.status).toBe('acknowledged');
    expect(engine.openAlerts()).toHaveLength(1);
    engine.recovered(VM.target, 9);
    expect(changes[changes.length - 1]?.alert).toMatchObject({ status: 'resolved', endedAt: 9, acknowledgedAt: 7 });
  });

  it('an alert adopted from an earlier run resolves when its condition is seen false, and does not fire again while true', () => {
    const { engine, fired, changes } = setup([CPU]);
    const earlier: Alert = {
      id: 'a1', ruleId: 'cpu', ruleName: CPU.name, metric: CPU.metric, comparison: '>', threshold: 50, durationSec: 20, severity: 'warning',
      target: VM.target, targetName: 'vm1', status: 'open', conditionSince: 0, startedAt: 20_000, endedAt: null, acknowledgedAt: null, values: [], peak: 80,
    };
    engine.adopt([earlier]);
    engine.evaluate(VM, 100_000, { 'vm.cpu.percent': 90 });
    expect(fired()).toEqual([]);
    engine.evaluate(VM, 102_000, { 'vm.cpu.percent': 10 });
    expect(changes[changes.length - 1]?.alert).toMatchObject({ id: 'a1', status: 'resolved' });
  });
});
