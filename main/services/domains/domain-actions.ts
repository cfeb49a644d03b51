import type {
  DomainAction,
  DomainActionItemResult,
  DomainActionProgress,
  DomainActionRequest,
  DomainDeletionPlan,
  DomainRef,
} from '../../../preload/api-contract';
import { ApiFailure, toApiError } from '../api-failure';

/** What the actions need from one host's libvirt connection. */
export interface DomainLifecyclePort {
  domainName(uuid: string): Promise<string>;
  run(uuid: string, action: Exclude<DomainAction, 'delete'>): Promise<void>;
  deletionPlan(uuid: string): Promise<Omit<DomainDeletionPlan, 'ref'>>;
  /** Forces off if running, undefines with the flags the plan calls for, removes the chosen volumes. */
  delete(uuid: string, removeStoragePaths: readonly string[]): Promise<void>;
}

/** How many actions run at once on one host (libvirt allows 5 calls in flight per client). */
const PER_HOST_CONCURRENCY = 3;
/** How long a finished action's result answers a repeated request with the same id. */
const REMEMBER_MS = 10 * 60_000;

/**
 * Runs lifecycle actions on guests across hosts: hosts in parallel, a few at a time per host, every
 * item reported as it runs and ends; one failure never stops the others. A request whose actionId was
 * already seen (a client resending after a dropped connection) gets the first run's result and is not
 * run again.
 */
export class DomainActions {
  private readonly seen = new Map<string, { result: Promise<DomainActionItemResult[]>; at: number }>();

  constructor(
    private readonly portFor: (hostId: string) => DomainLifecyclePort | null,
    private readonly progress: (event: DomainActionProgress) => void,
    private readonly afterHost: (hostId: string) => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {}

  run(request: DomainActionRequest): Promise<DomainActionItemResult[]> {
    this.forgetOld();
    const known = this.seen.get(request.actionId);
    if (known) return known.result;
    const result = this.execute(request);
    this.seen.set(request.actionId, { result, at: this.now() });
    return result;
  }

  async deletionPlans(targets: readonly DomainRef[]): Promise<DomainDeletionPlan[]> {
    return Promise.all(
      targets.map(async (ref) => ({ ref, ...(await this.port(ref.hostId).deletionPlan(ref.uuid)) })),
    );
  }

  private forgetOld(): void {
    const cutoff = this.now() - REMEMBER_MS;
    for (const [id, entry] of this.seen) if (entry.at < cutoff) this.seen.delete(id);
  }

  private port(hostId: string): DomainLifecyclePort {
    const port = this.portFor(hostId);
    if (!port) throw new ApiFailure('not-found', 'The host is not connected');
    return port;
  }

  private async execute(request: DomainActionRequest): Promise<DomainActionItemResult[]> {
    const byHost = new Map<string, DomainRef[]>();
    for (const target of request.targets) {
      const list = byHost.get(target.hostId);
      if (list) list.push(target);
      else byHost.set(target.hostId, [target]);
    }
    const results = new Map<string, DomainActionItemResult>();
    await Promise.all(
      [...byHost].map(async ([hostId, targets]) => {
        const queue = [...targets];
        const worker = async () => {
          for (let target = queue.shift(); target; target = queue.shift()) {
            results.set(`${target.hostId}/${target.uuid}`, await this.one(request, target));
          }
        };
        await Promise.all(Array.from({ length: Math.min(PER_HOST_CONCURRENCY, targets.length) }, worker));
        this.afterHost(hostId);
      }),
    );
    return request.targets.map((target) => results.get(`${target.hostId}/${target.uuid}`) as DomainActionItemResult);
  }

  private async one(request: DomainActionRequest, target: DomainRef): Promise<DomainActionItemResult> {
    let name = target.uuid;
    const report = (status: DomainActionProgress['status'], error?: DomainActionProgress['error']) =>
      this.progress({ actionId: request.actionId, item: { ...target, name }, status, ...(error ? { error } : {}) });
    try {
      const port = this.port(target.hostId);
      name = await port.domainName(target.uuid);
      report('running');
      if (request.action === 'delete') await port.delete(target.uuid, request.removeStoragePaths ?? []);
      else await port.run(target.uuid, request.action);
      report('done');
      return { ...target, name, ok: true };
    } catch (thrown) {
      const error = toApiError(thrown);
      report('failed', error);
      return { ...target, name, ok: false, error };
    }
  }
}
