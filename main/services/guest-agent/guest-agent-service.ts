/**
 * The guest agent on the VM page: what it reports (OS, host name, users, file systems, interfaces) and
 * what it can do (freeze/thaw file systems, set the clock). When the agent does not answer, the page
 * says why — no channel in the domain, or libvirt's own words for a channel nobody answers on.
 */
import type { GuestAgentInfo, GuestFreezeState } from '../../../preload/api-contract';
import type { LibvirtClient } from '../../libvirt/client';
import { virDomainGetHostnameFlags, virDomainInterfaceAddressesSource, virDomainSetTimeFlags } from '../../libvirt/protocol';
import { ApiFailure } from '../api-failure';
import { AGENT_CHANNEL_NAME, agentChannel, parseGuestInfo } from './guest-info';

const RUNNING = 1;
const PAUSED = 3;

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
/** How long one agent command may take (seconds; libvirt's agent timeout). */
const AGENT_TIMEOUT_S = 5;

/** guest-fsfreeze-status's reply, `{"return":"frozen"}` or `{"return":"thawed"}`; null for anything else. */
export function parseFreezeStatus(reply: string): GuestFreezeState | null {
  try {
    const value = (JSON.parse(reply) as { return?: unknown }).return;
    return value === 'frozen' || value === 'thawed' ? value : null;
  } catch {
    return null;
  }
}

export class GuestAgentService {
  constructor(private readonly libvirt: (hostId: string) => LibvirtClient | null) {}

  private client(hostId: string): LibvirtClient {
    const client = this.libvirt(hostId);
    if (!client) throw new ApiFailure('not-found', 'The host is not connected');
    return client;
  }

  async info(hostId: string, uuid: string): Promise<GuestAgentInfo> {
    const client = this.client(hostId);
    const ref = { uuid };
    const empty: GuestAgentInfo = {
      hostId,
      uuid,
      available: false,
      channel: 'absent',
      reason: null,
      os: null,
      hostname: null,
      timezone: null,
      users: [],
      filesystems: [],
      interfaces: [],
      freeze: null,
      clock: null,
      partial: null,
    };
    const [state, xml] = await Promise.all([client.domain.getState(ref), client.domain.getXml(ref, 0)]);
    const channel = agentChannel(xml);
    if (state.state !== RUNNING && state.state !== PAUSED) {
      return { ...empty, channel, reason: 'The guest is not running: its agent can only answer while it runs.' };
    }
    if (channel === 'absent') {
      return {
        ...empty,
        channel,
        reason: `This VM has no guest agent channel (virtio-serial "${AGENT_CHANNEL_NAME}"): add one and install qemu-guest-agent in the guest.`,
      };
    }
    // guest-fsfreeze-status first: the agent answers it even while frozen, when it refuses the rest.
    let freeze: GuestFreezeState | null;
    try {
      freeze = parseFreezeStatus(await client.domain.agentCommand(ref, '{"execute":"guest-fsfreeze-status"}', AGENT_TIMEOUT_S));
    } catch (error) {
      const hint = channel === 'disconnected' ? ' The channel is there but nothing in the guest has opened it: is qemu-guest-agent installed and running?' : '';
      return { ...empty, channel, reason: `The guest agent does not answer: ${messageOf(error)}.${hint}` };
    }
    if (freeze === 'frozen') {
      // A frozen agent refuses everything but status and thaw (libvirt's guest info then comes back
      // empty): say so, in the agent's own words from one refused command.
      const words = await client.domain.getTime(ref).then(
        () => null,
        (error: unknown) => messageOf(error),
      );
      const partial = `The file systems are frozen: until they are thawed the agent reports nothing else${words ? ` (${words})` : ''}.`;
      return { ...empty, channel, available: true, freeze, partial };
    }
    let params;
    try {
      params = await client.domain.getGuestInfo(ref, 0);
    } catch (error) {
      // The agent answered the status: it is there, but would not report (its words, through libvirt).
      return { ...empty, channel, available: true, freeze, partial: messageOf(error) };
    }
    const parsed = parseGuestInfo(params);
    const clock = await client.domain.getTime(ref).then(
      ({ seconds, nseconds }) => ({ guestMs: Number(seconds) * 1000 + Math.floor(nseconds / 1_000_000), readAtMs: Date.now() }),
      () => null,
    );
    // Interfaces: from the guest info when the daemon reports them (libvirt ≥ 8.4), else the AGENT source.
    let interfaces = parsed.interfaces;
    if (interfaces.length === 0) {
      interfaces = await client.domain
        .interfaceAddresses(ref, virDomainInterfaceAddressesSource.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT)
        .then((list) => list.map((nic) => ({ name: nic.name, hwaddr: nic.hwaddr, addresses: nic.addrs.map((a) => ({ ...a })) })))
        .catch(() => []);
    }
    const hostname =
      parsed.hostname ??
      (await client.domain.getHostname(ref, virDomainGetHostnameFlags.VIR_DOMAIN_GET_HOSTNAME_AGENT).catch(() => null));
    return { ...empty, ...parsed, interfaces, hostname, channel, available: true, freeze, clock };
  }

  private async agentCall<T>(hostId: string, uuid: string, what: string, call: (client: LibvirtClient) => Promise<T>): Promise<T> {
    const client = this.client(hostId);
    try {
      return await call(client);
    } catch (error) {
      throw new ApiFailure('conflict', `${what} needs the guest agent, which did not do it: ${messageOf(error)}`);
    }
  }

  freeze(hostId: string, uuid: string, mountpoints: string[]): Promise<number> {
    return this.agentCall(hostId, uuid, 'Freezing file systems', (c) => c.domain.fsFreeze({ uuid }, mountpoints));
  }

  thaw(hostId: string, uuid: string, mountpoints: string[]): Promise<number> {
    return this.agentCall(hostId, uuid, 'Thawing file systems', (c) => c.domain.fsThaw({ uuid }, mountpoints));
  }

  /** This computer's clock into the guest, or (sync) the guest's own RTC into its system clock. */
  async setTime(hostId: string, uuid: string, sync: boolean, now: () => number = Date.now): Promise<void> {
    await this.agentCall(hostId, uuid, "Setting the guest's clock", (c) => {
      if (sync) return c.domain.setTime({ uuid }, 0n, 0, virDomainSetTimeFlags.VIR_DOMAIN_TIME_SYNC);
      const ms = now();
      return c.domain.setTime({ uuid }, BigInt(Math.floor(ms / 1000)), (ms % 1000) * 1_000_000, 0);
    });
  }
}
