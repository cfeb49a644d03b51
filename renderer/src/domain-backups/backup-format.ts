import { useTranslation } from 'react-i18next';
import type { BackupJob, BackupMessage } from '../../../preload/api-contract';

export const jobEnded = (job: BackupJob) => job.state === 'done' || job.state === 'failed' || job.state === 'cancelled';

/** Translates a message from main: `domainBackups.messages.<key>`. */
export function useMessage() {
  const { t } = useTranslation();
  return (m: BackupMessage | null) => (m ? String(t(`domainBackups.messages.${m.key}` as never, m.values ?? {})) : '');
}
