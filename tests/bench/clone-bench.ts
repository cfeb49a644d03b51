/**
 * Clone benchmark (a measurement, not a test): clones a throwaway lab guest whose disk is N MiB of random
 * data (qcow2), through the clone service on the app's own SSH connection and libvirt client, and
 * measures while libvirt copies:
 *
 *   copy_s            start → job done (temporary pool, the copy, define)
 *   mib_per_s         bytes copied / copy_s
 *   first_progress_ms start → first progress event with bytes > 0
 *   progress_events   progress events published during the job
 *   call_idle_ms      median latency of a small call (virConnectGetHostname) and of the fleet's bulk stats
 *   call_busy_ms      the same calls, on the same connection, while the copy runs (median / max)
 *
 *   npm run bench -- clone [--mib 1024] [--runs 3] [--delay-ms 0]
 *
 * The copy holds one of the connection's four call slots for its whole duration (virStorageVolCreateXMLFrom
 * returns only at the end); this shows whether the other calls notice. Everything it makes is named
 * vd-test-clone-bench… and removed; run it under the lab lock (flock /tmp/virtdeck-lab-tests.lock).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { CloneJob } from '../../preload/api-contract';
import { DomainCloneService } from '../../main/services/domain-clone/clone-service';
import { readPersistent } from '../../main/services/domain-xml/domain-xml-store';
import { TEST_DIR, cleanUpTestObjects, connectLabAsApp, ensureTestDir, throwawayXml } from '../support/clone-lab';
import { ensureLab, randomQcow2, virsh } from '../support/lab';
import { startDelayProxy, type DelayProxy } from './delay-proxy';

const SOURCE = 'vd-test-clone-bench';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : (sorted[Math.floor(sorted.length / 2)] as number);
}
const round = (n: number) => Math.round(n * 10) / 10;

export async function cloneBenchMain(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: { mib: { type: 'string', default: '1024' }, runs: { type: 'string', default: '3' }, 'delay-ms': { type: 'string', default: '0' } },
  });
  const mib = Number(values.mib);
  const runs = Number(values.runs);
  const delayMs = Number(values['delay-ms']);
  const found = ensureLab(() => undefined);
  if (!found.available) {
    console.error(`clone bench: no lab (${found.reason})`);
    return 1;
  }
  const lab = found.lab;
  cleanUpTestObjects();
  ensureTestDir();
  const disk = `${TEST_DIR}/${SOURCE}.qcow2`;
  randomQcow2(disk, mib);
  writeFileSync(
    `${TEST_DIR}/bench.xml`,
    throwawayXml(virsh('dumpxml', '--inactive', 'vd-off-1'), SOURCE, `    <disk type='file' device='disk'>\n      <driver name='qemu' type='qcow2'/>\n      <source file='${disk}'/>\n      <target dev='vda' bus='virtio'/>\n    </disk>`),
  );
  virsh('define', `${TEST_DIR}/bench.xml`);

  let proxy: DelayProxy | null = null;
  const tmp = mkdtempSync(join(tmpdir(), 'virtdeck-clone-bench-'));
  let port = lab.ssh.port;
  if (delayMs > 0) {
    proxy = await startDelayProxy({ listenHost: '127.0.0.1', listenPort: 0, targetHost: lab.ssh.host, targetPort: lab.ssh.port, delayMs });
    port = proxy.port;
  }
  writeFileSync(join(tmp, 'known_hosts'), `[${lab.ssh.host}]:${port} ${lab.ssh.hostKey}\n`);
  const { ssh, libvirt } = await connectLabAsApp(lab, { port, knownHostsFile: join(tmp, 'known_hosts') });
  const events: Array<{ at: number; job: CloneJob }> = [];
  const service = new DomainCloneService({ libvirt: () => libvirt, ssh: () => ssh }, (job) => events.push({ at: performance.now(), job }));
  const uuid = virsh('domuuid', SOURCE).trim();
  const timed = async (call: () => Promise<unknown>) => {
    const t0 = performance.now();
    await call();
    return performance.now() - t0;
  };
  const small = () => libvirt.host.connectInfo();
  const stats = () => libvirt.domain.allStats();
  try {
    for (let run = 1; run <= runs; run++) {
      const idleSmall: number[] = [];
      const idleStats: number[] = [];
      for (let i = 0; i < 15; i++) {
        idleSmall.push(await timed(small));
        idleStats.push(await timed(stats));
      }
      const name = `${SOURCE}-${run}`;
      events.length = 0;
      const jobId = `bench-${run}-${Date.now()}`;
      const t0 = performance.now();
      await service.start({ hostId: 'lab', uuid, name, disks: [{ target: 'vda', mode: 'copy', volumeName: `${name}.qcow2` }], basedOn: await readPersistent(libvirt, uuid), jobId });
      const busySmall: number[] = [];
      const busyStats: number[] = [];
      let job = events.at(-1)?.job;
      while (!job || !['done', 'failed', 'cancelled'].includes(job.state)) {
        if (job?.state === 'running' && job.steps[job.stepIndex ?? 0]?.kind === 'copyVolume') {
          busySmall.push(await timed(small));
          busyStats.push(await timed(stats));
        }
        await new Promise((r) => setTimeout(r, 100));
        job = events.at(-1)?.job;
      }
      const seconds = (performance.now() - t0) / 1000;
      if (job.state !== 'done') throw new Error(`clone ${job.state}: ${job.error?.message ?? ''}`);
      const firstProgress = events.find((e) => e.job.bytesDone > 0);
      console.log(
        JSON.stringify({
          run,
          mib,
          delay_ms: delayMs,
          copy_s: round(seconds),
          mib_per_s: round((job.bytesTotal ?? 0) / 1048576 / seconds),
          first_progress_ms: firstProgress ? Math.round(firstProgress.at - t0) : null,
          progress_events: events.length,
          call_idle_ms: { hostname: round(median(idleSmall)), all_stats: round(median(idleStats)) },
          call_busy_ms: {
            samples: busySmall.length,
            hostname: round(median(busySmall)),
            hostname_max: round(Math.max(...busySmall)),
            all_stats: round(median(busyStats)),
            all_stats_max: round(Math.max(...busyStats)),
          },
        }),
      );
      virsh('undefine', name);
      rmSync(`${TEST_DIR}/${name}.qcow2`, { force: true });
      rmSync(`/var/lib/virtdeck-lab/logs/${name}.serial.log`, { force: true });
    }
  } finally {
    await libvirt.close().catch(() => undefined);
    await ssh.close().catch(() => undefined);
    await proxy?.close();
    rmSync(tmp, { recursive: true, force: true });
    cleanUpTestObjects();
  }
  return 0;
}
