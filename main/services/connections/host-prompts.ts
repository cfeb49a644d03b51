import { randomUUID } from 'node:crypto';
import type { HostPrompt, HostPromptAnswer } from '../../../preload/api-contract';
import { ApiFailure } from '../api-failure';

/** What a connection attempt may ask the user; resolved by the UI through hosts.answerPrompt. */
export interface HostPrompter {
  confirmHostKey(question: {
    host: string;
    port: number;
    keyType: string;
    fingerprint: string;
  }): Promise<'accept-once' | 'accept-and-save' | 'reject'>;
  /** null = the user declined to answer. */
  askSecret(question: {
    secret: 'passphrase' | 'password' | 'keyboard-interactive';
    message: string;
    echo: boolean;
  }): Promise<string | null>;
}

type Distribute<T> = T extends unknown ? Omit<T, 'promptId' | 'hostId'> : never;
type Pending = { prompt: HostPrompt; resolve(answer: HostPromptAnswer): void };

/**
 * Routes questions from connection attempts to the UI and answers back. Secrets the user typed are
 * remembered in memory for the rest of the session, per host and question, so a reconnect does not ask
 * again; they are never written anywhere and are forgotten when the host is removed or the app quits.
 */
export class HostPromptBroker {
  private readonly pending = new Map<string, Pending>();
  private readonly rememberedSecrets = new Map<string, string>();
  /** Host keys the user trusted "this time": trusted again for the rest of the session, same key only. */
  private readonly trustedOnce = new Set<string>();

  constructor(private readonly publish: (prompt: HostPrompt | { promptId: string; hostId: string; kind: 'closed' }) => void) {}

  /** The prompts still waiting for an answer (for a window that opens late). */
  open(): HostPrompt[] {
    return [...this.pending.values()].map((p) => p.prompt);
  }

  answer(answer: HostPromptAnswer): void {
    const pending = this.pending.get(answer.promptId);
    if (!pending) throw new ApiFailure('not-found', 'That question was already answered or withdrawn');
    if (pending.prompt.kind !== answer.kind) {
      throw new ApiFailure('invalid-request', `Expected an answer of kind ${pending.prompt.kind}`, { field: 'kind' });
    }
    this.pending.delete(answer.promptId);
    pending.resolve(answer);
    this.publish({ promptId: answer.promptId, hostId: pending.prompt.hostId, kind: 'closed' });
  }

  /** Withdraws a host's open questions (attempt cancelled, host removed) and forgets its secrets. */
  forgetHost(hostId: string, keepSecrets = false): void {
    for (const [id, pending] of this.pending) {
      if (pending.prompt.hostId !== hostId) continue;
      this.pending.delete(id);
      pending.resolve(
        pending.prompt.kind === 'host-key'
          ? { promptId: id, kind: 'host-key', decision: 'reject' }
          : { promptId: id, kind: 'secret', value: null },
      );
      this.publish({ promptId: id, hostId, kind: 'closed' });
    }
    if (!keepSecrets) {
      for (const key of [...this.rememberedSecrets.keys()]) if (key.startsWith(`${hostId}\n`)) this.rememberedSecrets.delete(key);
      for (const key of [...this.trustedOnce]) if (key.startsWith(`${hostId}\n`)) this.trustedOnce.delete(key);
    }
  }

  /** A prompter bound to one host, for one connection attempt; `onAsk` reports which prompt is open. */
  prompterFor(hostId: string, onAsk: (promptId: string | null) => void): HostPrompter {
    const ask = (question: Distribute<HostPrompt>): Promise<HostPromptAnswer> =>
      new Promise((resolve) => {
        const prompt = { ...question, promptId: randomUUID(), hostId } as HostPrompt;
        this.pending.set(prompt.promptId, {
          prompt,
          resolve: (answer) => {
            onAsk(null);
            resolve(answer);
          },
        });
        onAsk(prompt.promptId);
        this.publish(prompt);
      });
    return {
      confirmHostKey: async (question) => {
        const key = `${hostId}\n${question.host}:${question.port}\n${question.fingerprint}`;
        if (this.trustedOnce.has(key)) return 'accept-once';
        const answer = await ask({ kind: 'host-key', ...question });
        const decision = answer.kind === 'host-key' ? answer.decision : 'reject';
        if (decision === 'accept-once') this.trustedOnce.add(key);
        return decision;
      },
      askSecret: async (question) => {
        const key = `${hostId}\n${question.secret}\n${question.message}`;
        const remembered = this.rememberedSecrets.get(key);
        if (remembered !== undefined) return remembered;
        const answer = await ask({ kind: 'secret', ...question });
        const value = answer.kind === 'secret' ? answer.value : null;
        if (value !== null) this.rememberedSecrets.set(key, value);
        return value;
      },
    };
  }

  /** A remembered secret turned out wrong (auth failed with it): ask again next time. */
  forgetSecret(hostId: string, secret: string, message: string): void {
    this.rememberedSecrets.delete(`${hostId}\n${secret}\n${message}`);
  }
}
