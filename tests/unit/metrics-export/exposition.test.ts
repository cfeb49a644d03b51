import { spawnSync } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DomainSample } from '../../../main/services/fleet/fleet-port';
import { escapeLabel, renderExposition, type HostMetricsInput } from '../../../main/services/metrics-export/exposition';
import { MetricsExportService } from '../../../main/services/metrics-export/metrics-export-service';

/** A guest as a real tick reports it: the params are what libvirt 9.0's bulk stats return for a lab guest. */
function guest(name: string, uuid: string, state: DomainSample['state'] = 'running'): DomainSample {
  return {
    uuid,
    name,
    state,
    persistent: true,
    autostart: false,
    vcpus: 2,
    memoryKiB: 131_072,
    maxMemoryKiB: 262_144,
    cpuTimeNs: 9_007_199_254_740_993_123n, // beyond 2^53 ns: must not lose the seconds
    params: [
      { field: 'net.count', type: 'uint', value: 1 },
      { field: 'net.0.name', type: 'string', value: 'vnet3' },
      { field: 'net.0.rx.bytes', type: 'ullong', value: 1234n },
      { field: 'net.0.rx.pkts', type: 'ullong', value: 12n },
      { field: 'net.0.rx.errs', type: 'ullong', value: 0n },
      { field: 'net.0.rx.drop', type: 'ullong', value: 1n },
      { field: 'net.0.tx.bytes', type: 'ullong', value: 4321n },
      { field: 'net.0.tx.pkts', type: 'ullong', value: 21n },
      { field: 'net.0.tx.errs', type: 'ullong', value: 0n },
      { field: 'net.0.tx.drop', type: 'ullong', value: 0n },
      { field: 'block.count', type: 'uint', value: 2 },
      { field: 'block.0.name', type: 'string', value: 'vda' },
      { field: 'block.0.path', type: 'string', value: '/var/lib/virtdeck-lab/images/"odd"\\name.qcow2' },
      { field: 'block.0.rd.reqs', type: 'ullong', value: 100n },
      { field: 'block.0.rd.bytes', type: 'ullong', value: 409_600n },
      { field: 'block.0.rd.times', type: 'ullong', value: 1_500_000_000n },
      { field: 'block.0.wr.reqs', type: 'ullong', value: 10n },
      { field: 'block.0.wr.bytes', type: 'ullong', value: 40_960n },
      { field: 'block.0.wr.times', type: 'ullong', value: 20_000_000n },
      { field: 'block.0.fl.reqs', type: 'ullong', value: 3n },
      { field: 'block.0.fl.times', type: 'ullong', value: 3_000_000n },
      { field: 'block.0.allocation', type: 'ullong', value: 1n },
      { field: 'block.1.name', type: 'string', value: 'hdc' },
    ],
  };
}

const hosts: HostMetricsInput[] = [
  {
    host: 'lab',
    up: true,
    domains: [guest('vd-vnc-1', '11111111-2222-3333-4444-555555555555'), guest('vd-off-1', '21111111-2222-3333-4444-555555555555', 'shutoff')],
    cpuPercent: 12.5,
    memoryUsedKiB: 1024,
    memoryTotalKiB: 4096,
    disks: [{ device: 'vda', rAwaitMs: 0.5, wAwaitMs: 2.5, utilPercent: 12, queueSize: 0.25 }],
    bridges: new Map([['vnet3', 'virbr-lab']]),
  },
  { host: 'down "host"\nx', up: false, domains: [], cpuPercent: null, memoryUsedKiB: null, memoryTotalKiB: null, disks: [] },
];

function promtool(text: string): { status: number | null; output: string } {
  const run = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (run.error) throw new Error(`promtool is needed (Debian package prometheus): ${run.error.message}`);
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe('metrics exposition', () => {
  it("passes Prometheus's own promtool check metrics (format and lint), with no complaint", () => {
    const result = promtool(renderExposition(hosts));
    expect(result.output).toBe('');
    expect(result.status).toBe(0);
  });

  it('promtool is a real check: it fails a counter without _total and a malformed line', () => {
    expect(promtool('# HELP x_bytes A counter.\n# TYPE x_bytes counter\nx_bytes 1\n').status).not.toBe(0);
    expect(promtool('# HELP y Y.\n# TYPE y gauge\ny{a="b} 1\n').status).not.toBe(0);
  });

  it("uses the libvirt exporter's names and labels, plus host and uuid; shut-off guests have none", () => {
    const text = renderExposition(hosts);
    const labels = 'host="lab",domain="vd-vnc-1",uuid="11111111-2222-3333-4444-555555555555"';
    expect(text).toContain('libvirt_up{host="lab"} 1\n');
    expect(text).toContain('libvirt_up{host="down \\"host\\"\\nx"} 0\n');
    expect(text).toContain(`libvirt_domain_info_virtual_cpus{${labels}} 2\n`);
    expect(text).toContain(`libvirt_domain_info_memory_usage_bytes{${labels}} 134217728\n`);
    expect(text).toContain(`libvirt_domain_info_maximum_memory_bytes{${labels}} 268435456\n`);
    expect(text).toContain(`libvirt_domain_info_cpu_time_seconds_total{${labels}} 9007199254.740993\n`);
    const disk = `${labels},source_file="/var/lib/virtdeck-lab/images/\\"odd\\"\\\\name.qcow2",target_device="vda"`;
    expect(text).toContain(`libvirt_domain_block_stats_read_requests_total{${disk}} 100\n`);
    expect(text).toContain(`libvirt_domain_block_stats_read_seconds_total{${disk}} 1.5\n`);
    expect(text).toContain(`libvirt_domain_block_stats_write_bytes_total{${disk}} 40960\n`);
    expect(text).toContain(`libvirt_domain_block_stats_flush_seconds_total{${disk}} 0.003\n`);
    expect(text).toContain(`libvirt_domain_interface_stats_receive_drops_total{${labels},source_bridge="virbr-lab",target_device="vnet3"} 1\n`);
    expect(text).toContain('virtdeck_host_disk_write_await_seconds{host="lab",device="vda"} 0.0025\n');
    expect(text).toContain('virtdeck_host_cpu_utilization_ratio{host="lab"} 0.125\n');
    expect(text).not.toContain('vd-off-1');
    // The CD-ROM without counters has no series (the exporter reports only what libvirt set).
    expect(text).not.toContain('target_device="hdc"');
  });

  it('escapes label values', () => {
    expect(escapeLabel('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
  });
});

/** A port free on loopback right now (the saved configuration needs a real one). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address ? address.port : 0;
}

/** GET with an arbitrary Host header (fetch does not let one set it). */
function getWithHost(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers: { Host: host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('metrics endpoint', () => {
  const services: MetricsExportService[] = [];
  afterEach(async () => {
    for (const service of services.splice(0)) await service.dispose();
  });

  const make = (configDir: string) => {
    const service = new MetricsExportService({
      configDir,
      hosts: async () => [{ id: 'h1', name: 'lab' }],
      connected: () => true,
      hostFigures: () => ({ cpuPercent: 50, memoryUsedKiB: 1, memoryTotalKiB: 2 }),
      hostDisks: () => [],
      staleMs: async () => 10_000,
    });
    services.push(service);
    return service;
  };

  it('is off by default, serves /metrics on loopback when enabled, and refuses a foreign Host header', async () => {
    const configDir = mkdtempSync(join(tmpdir(), 'vd-metrics-'));
    const service = make(configDir);
    expect((await service.state()).url).toBeNull();
    service.record('h1', [guest('g', '11111111-2222-3333-4444-555555555555')], Date.now());
    const state = await service.configure({ enabled: true, address: '127.0.0.1', port: await freePort() });
    expect(state.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const response = await fetch(state.url ?? '');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('version=0.0.4');
    expect(await response.text()).toContain('libvirt_up{host="lab"} 1');
    expect(await getWithHost(state.url ?? '', 'evil.example:9177')).toBe(421);
    expect((await service.state()).scrapes).toBe(1);
  });

  it('keeps no tick of guest samples while it is off: after switching on, the guests come with the next tick', async () => {
    const configDir = mkdtempSync(join(tmpdir(), 'vd-metrics-'));
    const service = make(configDir);
    const uuid = '11111111-2222-3333-4444-555555555555';
    service.record('h1', [guest('g', uuid)], Date.now());
    const state = await service.configure({ enabled: true, address: '127.0.0.1', port: await freePort() });
    const first = await (await fetch(state.url ?? '')).text();
    expect(first).toContain('libvirt_up{host="lab"} 1');
    expect(first).not.toContain(uuid);
    service.record('h1', [guest('g', uuid)], Date.now());
    const next = await (await fetch(state.url ?? '')).text();
    expect(next).toContain(`libvirt_domain_info_virtual_cpus{host="lab",domain="g",uuid="${uuid}"} 2`);
    await service.configure({ enabled: false, address: '127.0.0.1', port: 9177 });
    service.record('h1', [guest('g', uuid)], Date.now());
    const again = await service.configure({ enabled: true, address: '127.0.0.1', port: await freePort() });
    expect(await (await fetch(again.url ?? '')).text()).not.toContain(uuid);
  });

  it('needs a token for a non-loopback address, keeps only its hash, and checks the bearer token', async () => {
    const configDir = mkdtempSync(join(tmpdir(), 'vd-metrics-'));
    const service = make(configDir);
    await expect(service.configure({ enabled: true, address: '0.0.0.0', port: await freePort() })).rejects.toThrow(/bearer token/);
    expect((await service.state()).url).toBeNull();
    const { token } = await service.newToken();
    const stored = readFileSync(join(configDir, 'metrics-export.json'), 'utf8');
    expect(stored).not.toContain(token);
    expect(JSON.parse(stored).tokenSha256).toMatch(/^[0-9a-f]{64}$/);
    const state = await service.configure({ enabled: true, address: '0.0.0.0', port: await freePort() });
    const url = (state.url ?? '').replace('0.0.0.0', '127.0.0.1');
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { Authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await fetch(url, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);
    await expect(service.clearToken()).rejects.toThrow(/needs its token/);
    // A restart reads the hash back: the same token still works.
    await service.dispose();
    const again = make(configDir);
    const restarted = await again.state();
    expect(restarted.tokenSet).toBe(true);
    expect((await fetch((restarted.url ?? '').replace('0.0.0.0', '127.0.0.1'), { headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);
  });
});
