/**
 * LibvirtHostLink's guest addresses when libvirt's answer about the agent races a lifecycle event: an
 * "agent not configured" answer that crossed an event (the guest may have been redefined with a channel
 * meanwhile) is not taken as lasting. The lab test (tests/integration/fleet-addresses.test.ts) covers the
 * calls against real libvirt; the crossing cannot be timed there, so the client here is a stand-in that
 * answers when the test says.
 */
import { describe, expect, it } from 'vitest';
import { LibvirtError, type LibvirtClient } from '../../../main/libvirt/client';
import { virDomainInterfaceAddressesSource as Source, virErrorNumber } from '../../../main/libvirt/protocol';
import { LibvirtHostLink } from '../../../main/services/connections/libvirt-host-link';

const UUID = '6f1c8e3a-1b2c-4d5e-8f90-0a1b2c3d4e5f';

function notConfigured(): LibvirtError {
  return new LibvirtError(
    { code: virErrorNumber.VIR_ERR_ARGUMENT_UNSUPPORTED, domain: 10, message: 'argument unsupported: QEMU guest agent is not configured', level: 2, dom: null, str1: null, str2: null, str3: null, int1: 0, int2: 0, net: null },
    'REMOTE_PROC_DOMAIN_INTERFACE_ADDRESSES',
  );
}

function standIn() {
  const asked: number[] = [];
  let answerAgent: ((error: Error) => void) | null = null;
  let lifecycle: ((event: { domain: { uuid: string }; data: { event: number } }) => void) | null = null;
  const libvirt = {
    on: () => undefined,
    domain: {
      interfaceAddresses: (_ref: unknown, source: number) => {
        asked.push(source);
        if (source === Source.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE) return Promise.resolve([]);
        return new Promise((_resolve, reject) => (answerAgent = reject));
      },
    },
    onDomainEvent: (_name: string, callback: typeof lifecycle) => {
      lifecycle = callback;
      return Promise.resolve({ unsubscribe: async () => undefined });
    },
  } as unknown as LibvirtClient;
  const link = new LibvirtHostLink('h', null, libvirt, { hostname: 'h', libvirtVersion: '9.0.0', hypervisorVersion: '7.2.0', transport: 'local-socket' });
  link.fleet.onDomainEvent(() => undefined);
  return {
    link,
    asked,
    answerAgent: (error: Error) => answerAgent!(error),
    event: (code: number) => lifecycle!({ domain: { uuid: UUID }, data: { event: code } }),
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('LibvirtHostLink guest addresses', () => {
  it('takes "agent not configured" as lasting when no lifecycle event crossed it', async () => {
    const host = standIn();
    const first = host.link.fleet.domainAddresses!(UUID);
    await tick();
    host.answerAgent(notConfigured());
    await first;
    host.asked.length = 0;
    await host.link.fleet.domainAddresses!(UUID);
    expect(host.asked).toEqual([Source.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE]);
  });

  it('asks the agent again when a lifecycle event came while its answer was on the way', async () => {
    const host = standIn();
    const first = host.link.fleet.domainAddresses!(UUID);
    await tick();
    host.event(0); // VIR_DOMAIN_EVENT_DEFINED: redefined, perhaps with a channel now
    host.answerAgent(notConfigured());
    await first;
    host.asked.length = 0;
    const second = host.link.fleet.domainAddresses!(UUID);
    await tick();
    expect(host.asked).toEqual([Source.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT]);
    host.answerAgent(notConfigured());
    await second;
  });
});
