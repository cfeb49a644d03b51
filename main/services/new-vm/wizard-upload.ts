/**
 * The ISO a wizard uploaded from the user's computer (through the storage area's upload engine) is the
 * wizard's until a guest is made from it: when the wizard is cancelled or closed without one, it is
 * deleted again (unless the user chose to keep it). Only the volume of a finished upload of that host
 * is touched, never a volume a guest uses.
 */
import type { TransferStatus } from '../../../preload/api-contract';
import { ApiFailure } from '../api-failure';

export interface WizardUploadStorage {
  transfers: { get(id: string): TransferStatus | null };
  deleteVolume(hostId: string, pool: string, name: string, confirmName: string): Promise<void>;
}

export async function discardWizardUpload(
  storage: WizardUploadStorage,
  hostId: string,
  transferId: string,
): Promise<{ deleted: boolean; reason: string | null }> {
  const transfer = storage.transfers.get(transferId);
  if (!transfer || transfer.kind !== 'upload' || transfer.hostId !== hostId) {
    throw new ApiFailure('not-found', 'No such upload on this host');
  }
  // A running, failed or cancelled upload deletes its own volume (storage transfers).
  if (transfer.state !== 'done') return { deleted: false, reason: null };
  try {
    await storage.deleteVolume(hostId, transfer.pool, transfer.volume, transfer.volume);
    return { deleted: true, reason: null };
  } catch (error) {
    if (error instanceof ApiFailure && (error.code === 'conflict' || error.code === 'not-found')) {
      return { deleted: false, reason: error.message };
    }
    throw error;
  }
}
