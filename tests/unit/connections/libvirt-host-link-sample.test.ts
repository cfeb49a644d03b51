/**
 * LibvirtHostLink's fleet sample asks for the host's CPU and memory in the same turn as the guests' bulk
 * stats, so all of a tick's requests leave in one write to the connection (asked after the stats came
 * back, they were a second round trip per host and tick). The client is a stand-in that records the
 * order of the calls and answers when the test says.
 */
import { describe, expect, it } from 'vitest';
import type { LibvirtClient } from '../../../main/libvirt/client';
import { LibvirtHostLink } from '../../../main/services/connections/libvirt-host-link';

function standIn() {
  const asked: string[] = [];
  const answers: (() => void)[] = [];
  const later = <T>(name: string, value: T) => {
    asked.push(name);
    return new Promise<T>((resolve) => answers.push(() => resolve(value)));
  };
  const libvirt = {
    on: () => undefined,
    domain: {
      allStats: () => later('allStats', []),
      list: () => later('list', []),
    },
    host: {
      cpuStats: () => later('cpuStats', [{ field: 'user', type: 'ullong', value: 1n }]),
      memoryStats: () => later('memoryStats', [{ field: 'total', type: 'ullong', value: 1024n }]),
    },
    onDomainEvent: () => Promise.resolve({ unsubscribe: async () => undefined }),
  } as unknown as LibvirtClient;
  const link = new LibvirtHostLink('h', null, libvirt, { hostname: 'h', libvirtVersion: '9.0.0', hypervisorVersion: '7.2.0', transport: 'local-socket' });
  return { link, asked, answerAll: () => answers.splice(0).forEach((answer) => answer()) };
}

describe('LibvirtHostLink fleet sample', () => {
  it("asks for the guests' stats and the host's CPU and memory in one turn", async () => {
    const host = standIn();
    const samples: number[] = [];
    host.link.onHostSample((sample) => samples.push(sample.at));
    const sampling = host.link.fleet.sampleDomains({ full: false });
    // Nothing answered yet, and no turn has passed: every request of the tick is already asked.
    expect(host.asked).toEqual(expect.arrayContaining(['allStats', 'cpuStats', 'memoryStats']));
    host.answerAll();
    await sampling;
    await new Promise((resolve) => setImmediate(resolve));
    expect(samples).toHaveLength(1);
  });
});
