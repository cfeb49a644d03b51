/**
 * A host that hangs never delays the others (issue 16, scale): host entries pointing at a black-hole
 * TCP port (a listener that accepts and never says a word) come FIRST in the queue, more of them than
 * there are start-up slots, and behind them real hosts (the lab's sshd, over real SSH and libvirt RPC)
 * must all be connected and inventoried on time while the black holes are still hanging.
 *
 * Without the start-up gate's slot limit (slotMs: a start-up that makes no progress for that long gives
 * its slot up) the real hosts would wait for the black holes' SSH timeout (60 s here); the test allows
 * them 25 s in all. While they wait for a slot, the real hosts show as "queued".
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { FleetHostDomains, HostEntry, HostStatus } from '../../preload/api-contract';
import { HostConnections } from '../../main/services/connections/host-connections';
import { HostPromptBroker } from '../../main/services/connections/host-prompts';
import type { LibvirtHostLink } from '../../main/services/connections/libvirt-host-link';
import { createSshLibvirtConnector } from '../../main/services/connections/ssh-libvirt-connector';
import { SshConnectionPool } from '../../main/services/connections/ssh-pool';
import { FleetService } from '../../main/services/fleet/fleet-service';
import { readLabInfo } from '../support/lab';

const availability = inject('lab');
const SKIP = !availability.available;
const SKIP_REASON = availability.available ? '' : ` (skipped: ${availability.reason})`;

const BLACK_HOLES = 6;
const SLOTS = 4;
const SLOT_MS = 1_500;
const REAL_HOSTS = 16;

describe.skipIf(SKIP)(`a hanging host never delays the others${SKIP_REASON}`, () => {
  let blackHole: net.Server;
  const held: net.Socket[] = [];
  let blackHolePort = 0;

  beforeAll(async () => {
    blackHole = net.createServer((socket) => {
      held.push(socket); // accepted, never answered, never closed by us
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    blackHolePort = (blackHole.address() as net.AddressInfo).port;
  });

  afterAll(async () => {
    for (const socket of held) socket.destroy();
    await new Promise<void>((resolve) => blackHole.close(() => resolve()));
  });

  it(`${REAL_HOSTS} real hosts queued behind ${BLACK_HOLES} black holes (${SLOTS} start-up slots) are inventoried on time`, async () => {
    const lab = readLabInfo();
    const pool = new SshConnectionPool({
      knownHostsFiles: [lab.ssh.knownHostsFile],
      sshConfigFile: null,
      connectTimeoutMs: 60_000,
      startup: { concurrency: SLOTS, slotMs: SLOT_MS },
    });
    const statuses = new Map<string, HostStatus>();
    // Hosts seen waiting for a start-up slot ("queued", not failed).
    const queued = new Set<string>();
    const inventoried = new Map<string, number>();
    const started = performance.now();
    const fleet = new FleetService(
      (update: FleetHostDomains) => {
        if (update.domains.length > 0 && !inventoried.has(update.hostId)) inventoried.set(update.hostId, performance.now() - started);
      },
      () => undefined,
    );
    const connections = new HostConnections<LibvirtHostLink>(
      createSshLibvirtConnector({}, pool),
      new HostPromptBroker(() => undefined),
      {
        status: (status) => {
          statuses.set(status.hostId, status);
          if (status.state.kind === 'connecting' && status.state.step === 'queued') queued.add(status.hostId);
        },
        linkUp: (hostId, link) => fleet.attach(hostId, link.fleet),
        linkDown: (hostId) => fleet.detach(hostId),
      },
    );
    const entry = (id: string, port: number): HostEntry => ({
      id,
      displayName: id,
      ssh: { user: lab.accounts.operator.user, host: '127.0.0.1', port, identityFile: lab.accounts.operator.identityFile },
      libvirtUri: lab.libvirtUri,
      transport: 'auto',
      tags: [],
    });
    const hosts = [
      ...Array.from({ length: BLACK_HOLES }, (_, i) => entry(`vd-test-scale-hole-${i}`, blackHolePort)),
      ...Array.from({ length: REAL_HOSTS }, (_, i) => entry(`vd-test-scale-real-${i}`, lab.ssh.port)),
    ];
    try {
      connections.syncHosts(hosts);
      for (const host of hosts) connections.connect(host.id); // black holes first in the queue
      const deadline = started + 25_000;
      while (inventoried.size < REAL_HOSTS && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const elapsed = performance.now() - started;
      const times = [...inventoried.values()].sort((a, b) => a - b);
      console.info(
        `[fleet-scale] ${inventoried.size}/${REAL_HOSTS} real hosts inventoried in ${Math.round(elapsed)} ms ` +
          `(first ${Math.round(times[0] ?? 0)} ms, last ${Math.round(times.at(-1) ?? 0)} ms) behind ${BLACK_HOLES} black holes; ` +
          `black holes accepted ${held.length} connections`,
      );
      expect(inventoried.size).toBe(REAL_HOSTS);
      expect(elapsed).toBeLessThan(25_000);
      // The black holes were really tried (they got the first slots) and are still hanging, not failed.
      expect(held.length).toBe(BLACK_HOLES);
      for (let i = 0; i < BLACK_HOLES; i++) {
        expect(statuses.get(`vd-test-scale-hole-${i}`)?.state.kind).toBe('connecting');
      }
      for (let i = 0; i < REAL_HOSTS; i++) {
        expect(statuses.get(`vd-test-scale-real-${i}`)?.state.kind).toBe('connected');
        // Behind the black holes every real host waited for a slot, and said so.
        expect(queued.has(`vd-test-scale-real-${i}`)).toBe(true);
      }
      // The black holes each got a slot at once.
      for (let i = 0; i < SLOTS; i++) expect(queued.has(`vd-test-scale-hole-${i}`)).toBe(false);
    } finally {
      fleet.dispose();
      await connections.dispose();
      await pool.dispose();
    }
  }, 60_000);
});
