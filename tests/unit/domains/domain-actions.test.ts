import { describe, expect, it } from 'vitest';
import type { DomainAction, DomainActionProgress } from '../../../preload/api-contract';
import { DomainActions, type DomainLifecyclePort } from '../../../main/services/domains/domain-actions';
import { ApiFailure } from '../../../main/services/api-failure';

/** A host that records what ran and fails where the test says; counts concurrency. */
class RecordingHost implements DomainLifecyclePort {
  ran: string[] = [];
  running = 0;
  maxRunning = 0;
  constructor(private readonly failing: Record<string, string> = {}) {}
  async domainName(uuid: string) {
    if (uuid === 'missing') throw new ApiFailure('libvirt', "Domain not found: no domain with matching uuid 'missing'");
    return `vm-${uuid}`;
  }
  async run(uuid: string, action: Exclude<DomainAction, 'delete'>) {
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    await new Promise((resolve) => setTimeout(resolve, 5));
    this.running--;
    const failure = this.failing[uuid];
    if (failure) throw new ApiFailure('libvirt', failure);
    this.ran.push(`${action}:${uuid}`);
  }
  async deletionPlan(uuid: string) {
    return { name: `vm-${uuid}`, running: false, hasManagedSave: false, snapshots: 0, hasNvram: false, hasTpm: false, volumes: [] };
  }
  async delete(uuid: string, paths: readonly string[]) {
    this.ran.push(`delete:${uuid}:${paths.join(',')}`);
  }
}

describe('DomainActions', () => {
  it('runs on many guests across hosts; one failure does not stop the others and says why', async () => {
    const a = new RecordingHost({ a2: 'Requested operation is not valid: domain is not running' });
    const b = new RecordingHost();
    const events: DomainActionProgress[] = [];
    const refreshed: string[] = [];
    const actions = new DomainActions((id) => ({ A: a, B: b })[id] ?? null, (e) => events.push(e), (id) => refreshed.push(id));
    const results = await actions.run({
      actionId: 'x1',
      action: 'shutdown',
      targets: [
        { hostId: 'A', uuid: 'a1' },
        { hostId: 'A', uuid: 'a2' },
        { hostId: 'B', uuid: 'b1' },
        { hostId: 'C', uuid: 'c1' },
      ],
    });
    expect(results.map((r) => [r.uuid, r.ok])).toEqual([
      ['a1', true],
      ['a2', false],
      ['b1', true],
      ['c1', false],
    ]);
    expect(results[1]).toMatchObject({ name: 'vm-a2', error: { code: 'libvirt', message: /domain is not running/ } });
    expect(results[3]).toMatchObject({ error: { code: 'not-found', message: 'The host is not connected' } });
    expect([...a.ran, ...b.ran].sort()).toEqual(['shutdown:a1', 'shutdown:b1']);
    expect(events.filter((e) => e.status === 'done').map((e) => e.item.name).sort()).toEqual(['vm-a1', 'vm-b1']);
    expect(events.filter((e) => e.status === 'failed')).toHaveLength(2);
    expect(refreshed.sort()).toEqual(['A', 'B', 'C']);
  });

  it('never runs the same request twice: a resent actionId gets the first result', async () => {
    const host = new RecordingHost();
    const actions = new DomainActions(() => host, () => undefined);
    const request = { actionId: 'same', action: 'start' as const, targets: [{ hostId: 'A', uuid: 'a1' }] };
    const [first, second] = await Promise.all([actions.run(request), actions.run(request)]);
    expect(first).toBe(second);
    expect(await actions.run(request)).toBe(first);
    expect(host.ran).toEqual(['start:a1']);
  });

  it('limits how many actions run at once on one host', async () => {
    const host = new RecordingHost();
    const actions = new DomainActions(() => host, () => undefined);
    const targets = Array.from({ length: 12 }, (_, i) => ({ hostId: 'A', uuid: `a${i}` }));
    await actions.run({ actionId: 'many', action: 'reboot', targets });
    expect(host.ran).toHaveLength(12);
    expect(host.maxRunning).toBe(3);
  });

  it('passes the confirmed storage paths to delete, and nothing else', async () => {
    const host = new RecordingHost();
    const actions = new DomainActions(() => host, () => undefined);
    await actions.run({ actionId: 'd', action: 'delete', targets: [{ hostId: 'A', uuid: 'a1' }], removeStoragePaths: ['/var/lib/libvirt/images/a1.qcow2'] });
    await actions.run({ actionId: 'd2', action: 'delete', targets: [{ hostId: 'A', uuid: 'a2' }] });
    expect(host.ran).toEqual(['delete:a1:/var/lib/libvirt/images/a1.qcow2', 'delete:a2:']);
  });
});
