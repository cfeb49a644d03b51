/**
 * The opt-in /metrics endpoint: an HTTP server in main (Electron and serve mode alike) that renders the
 * latest stats tick of every host in the Prometheus text format. Off by default; loopback by default;
 * any other address needs a bearer token. The token is shown once when generated: only its SHA-256 is
 * kept (metrics-export.json, mode 0600), so neither the settings nor the logs ever hold it.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { z } from 'zod';
import type { MetricsExportConfig, MetricsExportState } from '../../../preload/api-contract';
import { writeFileAtomic } from '../../platform/atomic-file';
import { ApiFailure } from '../api-failure';
import type { DomainSample } from '../fleet/fleet-port';
import { EXPOSITION_CONTENT_TYPE, renderExposition, type HostMetricsInput } from './exposition';

export const DEFAULT_METRICS_EXPORT: MetricsExportConfig = { enabled: false, address: '127.0.0.1', port: 9177 };

export const metricsExportConfigSchema = z.object({
  enabled: z.boolean(),
  address: z.string().refine((value) => isIP(value) !== 0, 'is not an IP address'),
  port: z.number().int().min(1).max(65_535),
});

const storedSchema = z.object({
  config: metricsExportConfigSchema,
  tokenSha256: z.string().regex(/^[0-9a-f]{64}$/).nullable(),
});

export function isLoopback(address: string): boolean {
  return address === '::1' || /^127\.\d+\.\d+\.\d+$/.test(address);
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/** What the service reads from the rest of the app at scrape time. */
export interface MetricsExportDeps {
  configDir: string;
  /** Saved hosts in the user's order: id and display name. */
  hosts(): Promise<Array<{ id: string; name: string }>>;
  /** Whether the host is connected now. */
  connected(hostId: string): boolean;
  /** The host's latest CPU and memory figures (from its link's history), when connected. */
  hostFigures(hostId: string): { cpuPercent: number | null; memoryUsedKiB: number | null; memoryTotalKiB: number | null };
  /** The host's block devices' latest iostat figures, when sampled. */
  hostDisks(hostId: string): HostMetricsInput['disks'];
  /** How long a sample stays current (a few ticks). */
  staleMs(): Promise<number>;
  now?(): number;
}

export class MetricsExportService {
  private config: MetricsExportConfig = DEFAULT_METRICS_EXPORT;
  private tokenSha256: Buffer | null = null;
  private loaded: Promise<void> | null = null;
  private server: Server | null = null;
  private url: string | null = null;
  private error: string | null = null;
  private scrapes = 0;
  private lastScrapeAt: number | null = null;
  /**
   * Per host, when its last tick came and, only while the endpoint is serving, that tick's samples (every
   * guest's bulk stats): with the export off (the default) nothing of a tick is kept past it.
   */
  private readonly latest = new Map<string, { samples: DomainSample[] | null; at: number }>();
  /** Serialises start/stop so concurrent changes never leave two servers. */
  private applying: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: MetricsExportDeps) {}

  private get file(): string {
    return join(this.deps.configDir, 'metrics-export.json');
  }

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }

  /** Loads the saved configuration and starts the endpoint if it is enabled. */
  start(): Promise<void> {
    this.loaded ??= (async () => {
      try {
        const parsed = storedSchema.safeParse(JSON.parse(await readFile(this.file, 'utf8')));
        if (parsed.success) {
          this.config = parsed.data.config;
          this.tokenSha256 = parsed.data.tokenSha256 ? Buffer.from(parsed.data.tokenSha256, 'hex') : null;
        }
      } catch {
        // no file yet: the defaults (off)
      }
      await this.apply();
    })();
    return this.loaded;
  }

  /**
   * The stats tick's raw samples of one host (FleetService.onSamples). Kept only while the endpoint serves:
   * a scrape in the first tick after it is switched on finds the hosts up and their guests' series not yet
   * there (they come with the host's next tick).
   */
  record(hostId: string, samples: DomainSample[], at: number): void {
    this.latest.set(hostId, { samples: this.server ? samples : null, at });
  }

  /** Drops the hosts no longer saved. */
  retain(hostIds: ReadonlySet<string>): void {
    for (const id of [...this.latest.keys()]) if (!hostIds.has(id)) this.forget(id);
  }

  forget(hostId: string): void {
    this.latest.delete(hostId);
  }

  async state(): Promise<MetricsExportState> {
    await this.start();
    return {
      config: { ...this.config },
      tokenSet: this.tokenSha256 !== null,
      url: this.url,
      error: this.error,
      scrapes: this.scrapes,
      lastScrapeAt: this.lastScrapeAt,
    };
  }

  async configure(config: MetricsExportConfig): Promise<MetricsExportState> {
    await this.start();
    if (config.enabled && !isLoopback(config.address) && this.tokenSha256 === null) {
      throw new ApiFailure('invalid-request', 'Listening on a non-loopback address needs a bearer token: generate one first.', { field: 'address' });
    }
    const previous = this.config;
    this.config = { ...config };
    try {
      await this.save();
    } catch (error) {
      this.config = previous;
      throw error;
    }
    await this.apply();
    return this.state();
  }

  async newToken(): Promise<{ token: string; state: MetricsExportState }> {
    await this.start();
    const token = randomBytes(32).toString('base64url');
    const previous = this.tokenSha256;
    this.tokenSha256 = sha256(token);
    try {
      await this.save();
    } catch (error) {
      this.tokenSha256 = previous;
      throw error;
    }
    return { token, state: await this.state() };
  }

  async clearToken(): Promise<MetricsExportState> {
    await this.start();
    if (this.config.enabled && !isLoopback(this.config.address)) {
      throw new ApiFailure('conflict', 'The endpoint listens on a non-loopback address: it needs its token. Switch it to loopback or off first.');
    }
    const previous = this.tokenSha256;
    this.tokenSha256 = null;
    try {
      await this.save();
    } catch (error) {
      this.tokenSha256 = previous;
      throw error;
    }
    return this.state();
  }

  private async save(): Promise<void> {
    await writeFileAtomic(
      this.file,
      `${JSON.stringify({ config: this.config, tokenSha256: this.tokenSha256?.toString('hex') ?? null }, null, 2)}\n`,
    );
  }

  private apply(): Promise<void> {
    const run = this.applying.then(async () => {
      await this.stopServer();
      this.error = null;
      if (!this.config.enabled) return;
      const { address, port } = this.config;
      if (!isLoopback(address) && this.tokenSha256 === null) {
        this.error = 'A non-loopback address needs a bearer token.';
        return;
      }
      const server = createServer((request, response) => void this.handle(request, response));
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(port, address, () => {
            server.off('error', reject);
            resolve();
          });
        });
      } catch (error) {
        this.error = error instanceof Error ? error.message : String(error);
        return;
      }
      this.server = server;
      const bound = server.address();
      const shownPort = typeof bound === 'object' && bound ? bound.port : port;
      this.url = `http://${address.includes(':') ? `[${address}]` : address}:${shownPort}/metrics`;
      this.scrapes = 0;
      this.lastScrapeAt = null;
    });
    this.applying = run.catch(() => undefined);
    return run;
  }

  private async stopServer(): Promise<void> {
    const server = this.server;
    this.server = null;
    this.url = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Decides whether a request may read the metrics; null = yes. */
  private refuse(request: IncomingMessage): { status: number; text: string; headers?: Record<string, string> } | null {
    if (this.tokenSha256) {
      const header = request.headers.authorization ?? '';
      const match = /^Bearer\s+(\S+)$/i.exec(header);
      const presented = match?.[1] ? sha256(match[1]) : null;
      if (!presented || !timingSafeEqual(presented, this.tokenSha256)) {
        return { status: 401, text: 'A valid bearer token is required.\n', headers: { 'WWW-Authenticate': 'Bearer realm="virtdeck-metrics"' } };
      }
      return null;
    }
    // Loopback without a token: only loopback names in Host (defeats DNS rebinding from a web page).
    const host = (request.headers.host ?? '').toLowerCase().replace(/:\d+$/, '');
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(host) && !/^127\.\d+\.\d+\.\d+$/.test(host)) {
      return { status: 421, text: `This endpoint does not answer to host "${host}".\n` };
    }
    return null;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('Method not allowed\n');
      return;
    }
    const refused = this.refuse(request);
    if (refused) {
      response.writeHead(refused.status, { 'Content-Type': 'text/plain', ...refused.headers }).end(refused.text);
      return;
    }
    if (path !== '/metrics') {
      response.writeHead(404, { 'Content-Type': 'text/plain' }).end('VirtDeck exports its metrics at /metrics\n');
      return;
    }
    try {
      const body = await this.render();
      this.scrapes++;
      this.lastScrapeAt = this.now();
      response.writeHead(200, { 'Content-Type': EXPOSITION_CONTENT_TYPE, 'Cache-Control': 'no-store' });
      response.end(request.method === 'HEAD' ? undefined : body);
    } catch (error) {
      response.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${error instanceof Error ? error.message : String(error)}\n`);
    }
  }

  /** The exposition of every saved host now (what /metrics serves). */
  async render(): Promise<string> {
    const now = this.now();
    const staleMs = await this.deps.staleMs();
    const inputs: HostMetricsInput[] = [];
    for (const host of await this.deps.hosts()) {
      const latest = this.latest.get(host.id);
      const up = this.deps.connected(host.id) && latest !== undefined && now - latest.at <= staleMs;
      const figures = up ? this.deps.hostFigures(host.id) : { cpuPercent: null, memoryUsedKiB: null, memoryTotalKiB: null };
      inputs.push({
        host: host.name,
        up,
        domains: up ? (latest?.samples ?? []) : [],
        ...figures,
        disks: up ? this.deps.hostDisks(host.id) : [],
      });
    }
    return renderExposition(inputs);
  }

  async dispose(): Promise<void> {
    await this.applying;
    await this.stopServer();
  }
}
