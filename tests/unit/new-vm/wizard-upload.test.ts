import { describe, expect, it } from 'vitest';
import type { TransferStatus } from '../../../preload/api-contract';
import { ApiFailure } from '../../../main/services/api-failure';
import { discardWizardUpload, type WizardUploadStorage } from '../../../main/services/new-vm/wizard-upload';

const ID = '6f1c4f7e-8a4b-4d7e-9d3c-0b8f2e1a9c11';

function status(patch: Partial<TransferStatus>): TransferStatus {
  return {
    id: ID,
    kind: 'upload',
    hostId: 'h1',
    pool: 'isos',
    volume: 'boot.iso',
    fileName: 'boot.iso',
    totalBytes: 10,
    doneBytes: 10,
    holeBytes: 0,
    wireBytes: 10,
    bytesPerSecond: 1,
    secondsLeft: 0,
    state: 'done',
    startedAt: 0,
    ...patch,
  };
}

function storage(transfer: TransferStatus | null, remove: (pool: string, name: string, confirm: string) => Promise<void>) {
  const deleted: string[] = [];
  const s: WizardUploadStorage = {
    transfers: { get: (id) => (transfer && id === transfer.id ? transfer : null) },
    deleteVolume: async (_host, pool, name, confirm) => {
      await remove(pool, name, confirm);
      deleted.push(`${pool}/${name}`);
    },
  };
  return { s, deleted };
}

describe('discardWizardUpload', () => {
  it("deletes the finished upload's volume, confirmed by its own name", async () => {
    const { s, deleted } = storage(status({}), async (_p, name, confirm) => expect(confirm).toBe(name));
    expect(await discardWizardUpload(s, 'h1', ID)).toEqual({ deleted: true, reason: null });
    expect(deleted).toEqual(['isos/boot.iso']);
  });

  it('refuses transfers of another host, downloads and unknown ids', async () => {
    for (const transfer of [status({ hostId: 'h2' }), status({ kind: 'download' }), null]) {
      const { s, deleted } = storage(transfer, async () => undefined);
      await expect(discardWizardUpload(s, 'h1', ID)).rejects.toThrow('No such upload on this host');
      expect(deleted).toEqual([]);
    }
  });

  it('leaves a running, failed or cancelled upload to the transfer (it deletes its own volume)', async () => {
    for (const state of ['running', 'failed', 'cancelled'] as const) {
      const { s, deleted } = storage(status({ state }), async () => undefined);
      expect(await discardWizardUpload(s, 'h1', ID)).toEqual({ deleted: false, reason: null });
      expect(deleted).toEqual([]);
    }
  });

  it('keeps a volume a guest uses, and says why', async () => {
    const { s } = storage(status({}), async () => {
      throw new ApiFailure('conflict', 'Cannot delete boot.iso: it is used by vm1');
    });
    expect(await discardWizardUpload(s, 'h1', ID)).toEqual({ deleted: false, reason: 'Cannot delete boot.iso: it is used by vm1' });
  });
});
