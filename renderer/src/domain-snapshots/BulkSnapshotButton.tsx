import { useState } from 'react';
import { Alert, Badge, Button, Group, Modal, Stack, Table, Text, TextInput, Textarea } from '@mantine/core';
import { IconCamera } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { BulkSnapshotItem, FleetDomain } from '../../../preload/api-contract';
import { errorMessage } from '../api';
import { useApi } from '../api/api-context';

/**
 * The fleet's "Snapshot…" for the selected VMs: one name for all; each VM gets an internal snapshot (with
 * memory when running) where its host allows, else an external one; a result per VM, with libvirt's reason.
 */
export function BulkSnapshotButton({ domains }: { domains: FleetDomain[] }) {
  const { t } = useTranslation();
  const api = useApi();
  const [open, setOpen] = useState(false);
  const [targets, setTargets] = useState<FleetDomain[]>([]);
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [results, setResults] = useState<BulkSnapshotItem[] | null>(null);
  const close = () => {
    setOpen(false);
    setResults(null);
    setError(null);
  };
  return (
    <>
      <Button
        size="xs"
        variant="light"
        disabled={domains.length === 0}
        leftSection={<IconCamera size={14} />}
        onClick={() => {
          setTargets(domains);
          setOpen(true);
        }}
      >
        {t('domainSnapshots.bulk.button')}
      </Button>
      <Modal opened={open} onClose={close} title={t('domainSnapshots.bulk.title', { count: targets.length })} size="lg">
        <Stack gap="sm">
          <Text size="sm">{targets.map((d) => d.name).join(', ')}</Text>
          <TextInput label={t('domainSnapshots.name')} value={name} onChange={(e) => setName(e.currentTarget.value)} disabled={busy || results !== null} data-autofocus required />
          <Textarea label={t('domainSnapshots.description')} value={description} onChange={(e) => setDescription(e.currentTarget.value)} disabled={busy || results !== null} autosize minRows={2} />
          <Text size="xs" c="dimmed">
            {t('domainSnapshots.bulk.help')}
          </Text>
          {error && <Alert color="red">{error}</Alert>}
          {results && (
            <Table data-testid="bulk-snapshot-results">
              <Table.Tbody>
                {results.map((item) => (
                  <Table.Tr key={`${item.hostId}/${item.uuid}`} data-testid={`bulk-result-${item.vmName}`}>
                    <Table.Td>{item.vmName}</Table.Td>
                    <Table.Td>
                      {item.ok ? (
                        <Badge color="green">{t('domainSnapshots.bulk.ok', { kind: t(`domainSnapshots.location.${item.kind}`), memory: item.withMemory ? t('domainSnapshots.withMemory') : t('domainSnapshots.diskOnly') })}</Badge>
                      ) : (
                        <Badge color="red">{t('domainSnapshots.bulk.failed')}</Badge>
                      )}
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm">{item.ok ? '' : item.error.message}</Text>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              {results ? t('domainSnapshots.close') : t('domainSnapshots.cancel')}
            </Button>
            {!results && (
              <Button
                loading={busy}
                disabled={!name.trim()}
                onClick={() => {
                  setBusy(true);
                  setError(null);
                  api
                    .call('domainSnapshots.bulkCreate', { targets: targets.map((d) => ({ hostId: d.hostId, uuid: d.uuid })), name: name.trim(), description })
                    .then(
                      (value) => (setResults(value.items), setBusy(false)),
                      (e: unknown) => (setError(errorMessage(e)), setBusy(false)),
                    );
                }}
              >
                {t('domainSnapshots.bulk.run', { count: targets.length })}
              </Button>
            )}
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
