import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { HostEntry, HostPrompt, HostStatus } from '../../../preload/api-contract';
import {
  ConnectFailure,
  HostConnections,
  type HostConnector,
  type HostLink,
} from '../../../main/services/connections/host-connections';
import { HostPromptBroker, type HostPrompter } from '../../../main/services/connections/host-prompts';

/** A link whose loss the test triggers; records whether it was closed. */
class ScriptedLink implements HostLink {
  readonly info = { hostname: 'kvm1', libvirtVersion: '9.0.0', hypervisorVersion: '7.2.0', transport: 'ssh-socket' as const };
  closed = false;
  private lost: ((reason: string) => void) | null = null;
  onLost(listener: (reason: string) => void): void {
    this.lost = listener;
  }
  drop(reason: string): void {
    this.lost?.(reason);
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

type Step = (prompter: HostPrompter, signal: AbortSignal) => Promise<ScriptedLink>;

/** The state machine's test double for SSH + libvirt: each attempt runs the next scripted step. */
class ScriptedConnector implements HostConnector<ScriptedLink> {
  attempts = 0;
  constructor(private readonly steps: Step[]) {}
  async connect(_host: HostEntry, prompter: HostPrompter, signal: AbortSignal, progress: (step: 'ssh' | 'libvirt') => void) {
    const step = this.steps[Math.min(this.attempts++, this.steps.length - 1)];
    if (!step) throw new Error('no step');
    progress('libvirt');
    return step(prompter, signal);
  }
}

const host: HostEntry = {
  id: 'h1',
  displayName: 'kvm1',
  ssh: { user: 'root', host: 'kvm1.example', port: 22 },
  libvirtUri: 'qemu:///system',
  transport: 'auto',
  tags: [],
};

function setup(steps: Step[]) {
  const statuses: HostStatus[] = [];
  const prompts: Array<HostPrompt | { kind: 'closed'; promptId: string }> = [];
  const ups: string[] = [];
  const downs: string[] = [];
  const broker = new HostPromptBroker((prompt) => prompts.push(prompt));
  const connector = new ScriptedConnector(steps);
  const connections = new HostConnections(connector, broker, {
    status: (status) => statuses.push(status),
    linkUp: (id) => ups.push(id),
    linkDown: (id) => downs.push(id),
  });
  connections.syncHosts([host]);
  const kinds = () => statuses.map((s) => s.state.kind);
  return { statuses, prompts, ups, downs, broker, connector, connections, kinds };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('HostConnections', () => {
  it('goes connecting → connected and hands the link to the services', async () => {
    const link = new ScriptedLink();
    const t = setup([async () => link]);
    t.connections.connect('h1');
    await vi.advanceTimersByTimeAsync(0);
    expect(t.kinds()).toEqual(['disconnected', 'connecting', 'connecting', 'connected']);
    expect(t.statuses.at(-1)?.state).toEqual({ kind: 'connected', ...link.info });
    expect(t.connections.link('h1')).toBe(link);
    expect(t.ups).toEqual(['h1']);
  });

  it('reports a failed first attempt as unreachable with the reason, and does not retry by itself', async () => {
    const t = setup([async () => Promise.reject(new Error('connect ECONNREFUSED 10.0.0.1:22'))]);
    t.connections.connect('h1');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(t.statuses.at(-1)?.state).toEqual({ kind: 'unreachable', reason: 'connect ECONNREFUSED 10.0.0.1:22', hostKeyChanged: false });
    expect(t.connector.attempts).toBe(1);
  });

  it('marks a changed host key so the UI can stop the user', async () => {
    const t = setup([async () => Promise.reject(new ConnectFailure('HOST KEY CHANGED', { retryable: false, hostKeyChanged: true }))]);
    t.connections.connect('h1');
    await vi.advanceTimersByTimeAsync(0);
    expect(t.statuses.at(-1)?.state).toMatchObject({ kind: 'unreachable', hostKeyChanged: true });
  });

  it('after a lost link retries with backoff until it is back', async () => {
    const first = new ScriptedLink();
    const second = new ScriptedLink();
    const t = setup([
      async () => first,
      async () => Promise.reject(new Error('connect ETIMEDOUT')),
      async () => second,
    ]);
    t.connections.connect('h1');
    await vi.advanceTimersByTimeAsync(0);
    first.drop('keepalive timeout');
    expect(first.closed).toBe(true);
    expect(t.downs).toEqual(['h1']);
    expect(t.statuses.at(-1)?.state).toMatchObject({ kind: 'lost', reason: 'keepalive timeout', attempt: 1 });
    await vi.advanceTimersByTimeAsync(999);
    expect(t.connector.attempts).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.connector.attempts).toBe(2);
    expect(t.statuses.at(-1)?.state).toMatchObject({ kind: 'lost', reason: 'connect ETIMEDOUT', attempt: 2 });
    await vi.advanceTimersByTimeAsync(2_000);
    expect(t.connector.attempts).toBe(3);
    expect(t.statuses.at(-1)?.state.kind).toBe('connected');
    expect(t.connections.link('h1')).toBe(second);
    expect(t.ups).toEqual(['h1', 'h1']);
  });

  it('asks the user through a prompt, shows needs-input meanwhile, and continues with the answer', async () => {
    const link = new ScriptedLink();
    const t = setup([
      async (prompter) => {
        const decision = await prompter.confirmHostKey({ host: 'kvm1.example', port: 22, keyType: 'ssh-ed25519', fingerprint: 'SHA256:abc' });
        if (decision === 'reject') throw new ConnectFailure('host key rejected', { retryable: false });
        return link;
      },
    ]);
    t.connections.connect('h1');
    await vi.advanceTimersByTimeAsync(0);
    const prompt = t.prompts[0];
    expect(prompt).toMatchObject({ kind: 'host-key', hostId: 'h1', fingerprint: 'SHA256:abc' });
    expect(t.statuses.at(-1)?.state).toEqual({ kind: 'needs-input', promptId: prompt?.promptId });
    expect(t.broker.open()).toHaveLength(1);
    t.broker.answer({ promptId: prompt?.promptId ?? '', kind: 'host-key', decision: 'accept-once' });
    await vi.advanceTimersByTimeAsync(0);
    expect(t.statuses.at(-1)?.state.kind).toBe('connected');
    expect(t.prompts.at(-1)).toMatchObject({ kind: 'closed' });
    expect(() => t.broker.answer({ promptId: prompt?.promptId ?? '', kind: 'host-key', decision: 'reject' })).toThrow(/already answered/);
  });

  it('asks a secret once per host per session, and again after it proved wrong', async () => {
    const seen: Array<string | null> = [];
    const step: Step = async (prompter) => {
      seen.push(await prompter.askSecret({ secret: 'passphrase', message: 'Passphrase for id_ed25519', echo: false }));
      return new ScriptedLink();
    };
    const t = setup([step]);
    t.connections.connect('h1');
    await vi.advanceTimersByTimeAsync(0);
    t.broker.answer({ promptId: t.broker.open()[0]?.promptId ?? '', kind: 'secret', value: 'hunter2' });
    await vi.advanceTimersByTimeAsync(0);
    await t.connections.disconnect('h1');
    t.connections.connect('h1');
    await vi.advanceTimersByTimeAsync(0);
    expect(seen).toEqual(['hunter2', 'hunter2']);
    expect(t.prompts.filter((p) => p.kind === 'secret')).toHaveLength(1);
    t.broker.forgetSecret('h1', 'passphrase', 'Passphrase for id_ed25519');
    await t.connections.disconnect('h1');
    t.connections.connect('h1');
    await vi.advanceTimersByTimeAsync(0);
    expect(t.broker.open()).toHaveLength(1);
  });

  it('disconnecting during a prompt withdraws it and closes a link that arrives late', async () => {
    let finish: (() => void) | null = null;
    const late = new ScriptedLink();
    const t = setup([
      async (prompter) => {
        await prompter.askSecret({ secret: 'password', message: 'Password:', echo: false });
        await new Promise<void>((resolve) => (finish = resolve));
        return late;
      },
    ]);
    t.connections.connect('h1');
    await vi.advanceTimersByTimeAsync(0);
    expect(t.broker.open()).toHaveLength(1);
    await t.connections.disconnect('h1');
    expect(t.broker.open()).toHaveLength(0);
    expect(t.statuses.at(-1)?.state.kind).toBe('disconnected');
    await vi.advanceTimersByTimeAsync(0);
    (finish as (() => void) | null)?.();
    await vi.advanceTimersByTimeAsync(0);
    expect(late.closed).toBe(true);
    expect(t.connections.link('h1')).toBeNull();
    expect(t.statuses.at(-1)?.state.kind).toBe('disconnected');
  });

  it('forgets a removed host: link closed, secrets dropped', async () => {
    const link = new ScriptedLink();
    const t = setup([async () => link]);
    t.connections.connect('h1');
    await vi.advanceTimersByTimeAsync(0);
    t.connections.syncHosts([]);
    await vi.advanceTimersByTimeAsync(0);
    expect(link.closed).toBe(true);
    expect(t.connections.statuses()).toEqual([]);
  });

  it('a host key trusted "this time" is trusted again for the session, but not a different key', async () => {
    const decisions: string[] = [];
    let fingerprint = 'SHA256:abc';
    const step: Step = async (prompter) => {
      decisions.push(await prompter.confirmHostKey({ host: 'kvm1.example', port: 22, keyType: 'ssh-ed25519', fingerprint }));
      return new ScriptedLink();
    };
    const t = setup([step]);
    t.connections.connect('h1');
    await vi.advanceTimersByTimeAsync(0);
    t.broker.answer({ promptId: t.broker.open()[0]?.promptId ?? '', kind: 'host-key', decision: 'accept-once' });
    await vi.advanceTimersByTimeAsync(0);
    await t.connections.disconnect('h1');
    t.connections.connect('h1');
    await vi.advanceTimersByTimeAsync(0);
    expect(decisions).toEqual(['accept-once', 'accept-once']);
    expect(t.prompts.filter((p) => p.kind === 'host-key')).toHaveLength(1);
    // Another key for the same host is a new question.
    fingerprint = 'SHA256:other';
    await t.connections.disconnect('h1');
    t.connections.connect('h1');
    await vi.advanceTimersByTimeAsync(0);
    expect(t.broker.open()).toHaveLength(1);
  });
});
