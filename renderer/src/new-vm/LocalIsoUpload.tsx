import { useState } from 'react';
import { Alert, Button, FileInput, Group, Select, Stack, Switch, Text, TextInput } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { NewVmPool } from '../../../preload/api-contract';
import { errorMessage } from '../api';
import { useApi } from '../api/api-context';
import { formatBytes } from '../format';
import { startUpload, TransfersList, useTransfers } from '../storage';

/** The wizard's upload of an ISO from this computer: the storage area's upload (a volume of a pool). */
export interface WizardUpload {
  transferId: string;
  pool: string;
  name: string;
  state: 'running' | 'done';
  /** Keep the volume when the wizard ends without a guest made from it. */
  keep: boolean;
}

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,254}$/;

/**
 * Picks an ISO on this computer (a browser file in serve mode; in Electron the same file input, the
 * bytes going over the upload stream's MessagePort) and uploads it into a file-based pool with
 * progress (bytes, rate, time left) and cancel. `onUploaded` gets the volume once it is complete.
 */
export function LocalIsoUpload({
  hostId,
  pools,
  takenNames,
  upload,
  onChange,
  onUploaded,
}: {
  hostId: string;
  pools: NewVmPool[];
  /** `pool/name` of the volumes the host has now. */
  takenNames: ReadonlySet<string>;
  upload: WizardUpload | null;
  onChange(upload: WizardUpload | null): void;
  onUploaded(upload: WizardUpload): void;
}) {
  const { t } = useTranslation();
  const api = useApi();
  const transfers = useTransfers(hostId);
  const fileBased = pools.filter((p) => p.fileBased);
  const [file, setFile] = useState<File | null>(null);
  const [pool, setPool] = useState<string | null>(fileBased[0]?.name ?? null);
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [starting, setStarting] = useState(false);

  const nameError =
    name === ''
      ? null
      : !NAME_PATTERN.test(name)
        ? t('newVm.upload.badName')
        : pool && takenNames.has(`${pool}/${name}`)
          ? t('newVm.upload.nameTaken', { pool, name })
          : null;

  const start = async () => {
    if (!file || !pool || !name || nameError) return;
    setError(null);
    setStarting(true);
    try {
      const running = await startUpload(api, { hostId, pool, name }, file);
      const started: WizardUpload = { transferId: running.transferId, pool, name, state: 'running', keep: false };
      onChange(started);
      running.done.then(
        () => onUploaded({ ...started, state: 'done' }),
        (failure: unknown) => {
          onChange(null);
          setError(errorMessage(failure));
        },
      );
    } catch (failure) {
      setError(errorMessage(failure));
    } finally {
      setStarting(false);
    }
  };

  const transfer = upload ? transfers.find((status) => status.id === upload.transferId) : undefined;
  return (
    <Stack gap="xs" data-testid="new-vm-upload">
      <Text size="sm" fw={500}>
        {t('newVm.upload.title')}
      </Text>
      {upload === null ? (
        <>
          <Group grow align="flex-start">
            <FileInput
              label={t('newVm.upload.file')}
              accept=".iso,application/x-iso9660-image"
              value={file}
              onChange={(picked) => {
                setFile(picked);
                if (picked && !name) setName(picked.name.replace(/[^A-Za-z0-9._+-]/g, '-').replace(/^[^A-Za-z0-9]+/, ''));
              }}
              clearable
            />
            <Select
              label={t('newVm.upload.pool')}
              data={fileBased.map((p) => ({ value: p.name, label: `${p.name} (${formatBytes(p.availableBytes)} ${t('newVm.free')})` }))}
              value={pool}
              onChange={setPool}
              allowDeselect={false}
              placeholder={fileBased.length === 0 ? t('newVm.upload.noPool') : undefined}
              disabled={fileBased.length === 0}
            />
            <TextInput label={t('newVm.upload.name')} value={name} error={nameError} onChange={(e) => setName(e.currentTarget.value)} />
          </Group>
          <Group justify="flex-end">
            <Button variant="light" loading={starting} disabled={!file || !pool || !name || !!nameError} onClick={() => void start()}>
              {t('newVm.upload.start')}
            </Button>
          </Group>
        </>
      ) : (
        <>
          {transfer && <TransfersList transfers={[transfer]} />}
          {upload.state === 'done' && (
            <>
              <Text size="sm" data-testid="new-vm-uploaded">
                {t('newVm.upload.done', { pool: upload.pool, name: upload.name })}
              </Text>
              <Switch
                label={t('newVm.upload.keep')}
                checked={upload.keep}
                onChange={(e) => onChange({ ...upload, keep: e.currentTarget.checked })}
              />
            </>
          )}
        </>
      )}
      {error && (
        <Alert color="red" py={6} data-testid="new-vm-upload-error">
          {error}
        </Alert>
      )}
    </Stack>
  );
}
