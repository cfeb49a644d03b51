/**
 * HostIoService on the fleet tick: the disks are read when the tick's sample is asked for (`begin`, so the
 * SFTP reads leave with the libvirt requests), and `tick` takes that reading instead of reading again; a
 * tick with nothing begun reads itself; a slow host's reads never stack. The files are a stand-in that
 * answers when the test says, with two readings recorded on the lab machine.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HostIoSample } from '../../../preload/api-contract';
import { HostIoService, type HostFiles } from '../../../main/services/host-io/host-io-service';

const fixtures = join(__dirname, '../../fixtures/host-io');
const recorded = (file: string) => {
  const [uptime = '', diskstats = ''] = readFileSync(join(fixtures, file), 'utf8').split('---\n');
  return { '/proc/uptime': uptime, '/proc/diskstats': diskstats };
};
const READINGS = [recorded('pair1-before.txt'), recorded('pair1-after.txt')];

/** A HostIoService on files whose reads wait until `answer()`; each answer serves the next recorded reading. */
function standIn() {
  const reads: string[] = [];
  const waiting: (() => void)[] = [];
  let served = 0;
  const files: HostFiles = {
    readdir: async () => ['vda', 'sda'],
    readFile: (path) => {
      reads.push(path);
      return new Promise((resolve) => {
        waiting.push(() => {
          const reading = READINGS[Math.min(served, READINGS.length - 1)] as Record<string, string>;
          resolve(reading[path] ?? '');
        });
      });
    },
  };
  const published: HostIoSample[] = [];
  return {
    service: new HostIoService(() => files, (sample) => published.push(sample)),
    published,
    reads,
    /** Answers the reads asked so far (one reading: /proc/uptime and /proc/diskstats). */
    answer: async () => {
      for (const resolve of waiting.splice(0)) resolve();
      served++;
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('HostIoService on the fleet tick', () => {
  it('reads the disks when the tick begins, and the tick takes that reading', async () => {
    const host = standIn();
    const { service, published } = host;

    service.begin('h');
    await settle();
    // Both reads are on their way before the tick's samples are back.
    expect(host.reads).toEqual(['/proc/uptime', '/proc/diskstats']);
    const first = service.tick('h', [], 1_000);
    await host.answer();
    await first;
    expect(host.reads).toHaveLength(2); // the tick did not read again
    expect(published).toEqual([]); // a first reading has nothing to compare with

    service.begin('h');
    await settle();
    const second = service.tick('h', [], 3_000);
    await host.answer();
    await second;
    expect(host.reads).toHaveLength(4);
    expect(published).toHaveLength(1);
    expect(published[0]?.intervalMs).toBeGreaterThan(0);
    expect(published[0]?.devices.length).toBeGreaterThan(0);
  });

  it('reads itself on a tick with nothing begun', async () => {
    const host = standIn();
    const { service } = host;
    const tick = service.tick('h', [], 1_000);
    await settle();
    expect(host.reads).toEqual(['/proc/uptime', '/proc/diskstats']);
    await host.answer();
    await tick;
  });

  it('never stacks reads on a slow host: a begin or tick while a read runs adds none', async () => {
    const host = standIn();
    const { service } = host;
    service.begin('h');
    await settle();
    const first = service.tick('h', [], 1_000);
    service.begin('h'); // the next tick began; the host has not answered yet
    const second = service.tick('h', [], 3_000);
    await settle();
    expect(host.reads).toHaveLength(2);
    await second; // skipped: the read in flight belongs to the first tick
    await host.answer();
    await first;
    // Answered: the next begin reads again.
    service.begin('h');
    await settle();
    expect(host.reads).toHaveLength(4);
    await host.answer();
  });

  it('drops a reading whose tick never came (its sample failed) and reads afresh at the next begin', async () => {
    const host = standIn();
    const { service, published } = host;
    service.begin('h');
    await settle();
    await host.answer(); // read, but the sample failed: no tick
    service.begin('h');
    await settle();
    expect(host.reads).toHaveLength(4);
    const tick = service.tick('h', [], 3_000);
    await host.answer();
    await tick;
    // Compared with the reading before it, which is the one whose tick never came.
    expect(published).toHaveLength(1);
  });
});
