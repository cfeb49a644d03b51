/**
 * What the console benches (VNC and SPICE) share: the command line, the lab host reached through the
 * main services (optionally behind a delay proxy), a warm-up, N timed sessions and the printed summary
 * (median, min and max of each stage, one JSON line).
 */
import { parseArgs } from 'node:util';
import type { AppServices } from '../../main/app-services';
import { readLabInfo } from '../support/lab';
import { openLabApp } from '../support/lab-app';
import { startDelayProxy, type DelayProxy } from './delay-proxy';

export type Router = AppServices['router'];

export interface ConsoleBenchSpec<Stage extends string> {
  name: string;
  defaultGuest: string;
  graphics: 'vnc' | 'spice';
  stages: readonly Stage[];
  /** Pause between sessions, so the server has let go of the last one. */
  pauseMs: number;
  session(router: Router, hostId: string, domainUuid: string): Promise<Record<Stage, number> & Record<string, number>>;
  /** Extra fields for the summary from the first sample (e.g. the frame's size). */
  extra?(first: Record<string, number> | undefined): Record<string, number>;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

export async function runConsoleBench<Stage extends string>(
  spec: ConsoleBenchSpec<Stage>,
  argv: readonly string[],
): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      runs: { type: 'string', default: '10' },
      guest: { type: 'string', default: spec.defaultGuest },
      port: { type: 'string' },
      'delay-ms': { type: 'string', default: '0' },
    },
  });
  const runs = Number(values.runs);
  const delayMs = Number(values['delay-ms']);
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs takes a positive whole number');
  if (!Number.isFinite(delayMs) || delayMs < 0) throw new Error('--delay-ms takes a number ≥ 0');
  const lab = readLabInfo();
  const guest = lab.guests.find((g) => g.name === values.guest);
  if (!guest?.uuid || !guest.running || guest.graphics !== spec.graphics) {
    throw new Error(`${values.guest} is not a running ${spec.graphics.toUpperCase()} guest of the lab`);
  }
  let proxy: DelayProxy | null = null;
  let port = values.port === undefined ? lab.ssh.port : Number(values.port);
  if (delayMs > 0 && values.port === undefined) {
    proxy = await startDelayProxy({
      listenHost: '127.0.0.1',
      listenPort: 0,
      targetHost: lab.ssh.host,
      targetPort: lab.ssh.port,
      delayMs,
    });
    port = proxy.port;
  }
  const labApp = await openLabApp(lab, { displayName: `${spec.name}-bench`, port, tags: ['bench'] }).catch(async (error: unknown) => {
    await proxy?.close();
    throw error;
  });
  try {
    const { app, connectMs } = labApp;
    const host = { id: labApp.hostId };
    // Warm-up: the first channel, the XML parse code paths, and the listener hint the VM page would
    // have left (the UI reads the live XML when the page opens).
    await spec.session(app.router, host.id, guest.uuid);
    const samples: Array<Record<string, number>> = [];
    for (let i = 0; i < runs; i++) {
      samples.push(await spec.session(app.router, host.id, guest.uuid));
      await new Promise((resolve) => setTimeout(resolve, spec.pauseMs));
    }
    const summary: Record<string, number | string> = {
      guest: guest.name,
      ssh_port: port,
      delay_ms_each_way: proxy ? delayMs : values.port === undefined ? 0 : 'external',
      runs,
      connect_ms: Math.round(connectMs),
      ...spec.extra?.(samples[0]),
    };
    for (const stage of spec.stages) {
      const list = samples.map((sample) => sample[stage] ?? Number.NaN);
      summary[stage] = Math.round(median(list) * 10) / 10;
      summary[`${stage}_min`] = Math.round(Math.min(...list) * 10) / 10;
      summary[`${stage}_max`] = Math.round(Math.max(...list) * 10) / 10;
    }
    console.log(JSON.stringify(summary));
    return 0;
  } finally {
    await labApp.close();
    await proxy?.close();
  }
}
