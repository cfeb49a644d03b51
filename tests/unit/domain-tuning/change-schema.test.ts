import { describe, expect, it } from 'vitest';
import { tuningChangeSchema } from '../../../main/services/domain-tuning/change-schema';
import { readTuningState } from '../../../main/services/domain-tuning/transform';
import { domainFixture } from './helpers';

describe('tuning change request schema', () => {
  it('accepts every form as read from a real definition', () => {
    const state = readTuningState(domainFixture('workstation-rich.xml'));
    const changes = [state.cpu, state.pinning, state.memory, state.numa, state.disks[0], state.nics[0], { form: 'boot', order: state.boot.order }, state.graphics[0], state.tpm];
    for (const change of changes) expect(tuningChangeSchema.safeParse(change).success).toBe(true);
  });

  it.each([
    [{ form: 'nic', mac: 'not-a-mac', model: 'virtio', queues: null }],
    [{ form: 'disk', target: 'vda', bus: 'floppy', cache: null, io: null, discard: null, detectZeroes: null, iothread: null }],
    [{ form: 'cpu', vcpus: -1, maxVcpus: 2, mode: 'custom', model: 'qemu64', topology: null }],
    [{ form: 'boot', order: ['hd', 'usb'] }],
    [{ form: 'shell', command: 'rm -rf /' }],
  ])('refuses %j', (change) => {
    expect(tuningChangeSchema.safeParse(change).success).toBe(false);
  });
});
