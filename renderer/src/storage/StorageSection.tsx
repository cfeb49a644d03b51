import { useCallback, useEffect, useMemo, useState } from 'react';
import { ActionIcon, Alert, Badge, Button, Card, Checkbox, Group, Menu, Progress, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { IconDots, IconDownload, IconPlus, IconRefresh, IconSearch, IconUpload } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { StoragePoolSummary, StorageVolumeDetails } from '../../../preload/api-contract';
import { errorMessage } from '../api';
import { useApi } from '../api/api-context';
import { formatBytes } from '../format';
import {
  ConfirmNameDialog,
  PoolCreateDialog,
  ResizeDialog,
  UploadDialog,
  VolumeCreateDialog,
  XmlDialog,
} from './StorageDialogs';
import { TransfersList } from './TransfersList';
import { startUpload } from './upload';
import { useTransfers } from './use-transfers';
import { useVolumes } from './use-volumes';
import { VolumeTable, type VolumeSort } from './VolumeTable';

const STATE_COLORS: Record<StoragePoolSummary['state'], string> = {
  running: 'teal',
  inactive: 'gray',
  building: 'blue',
  degraded: 'yellow',
  inaccessible: 'red',
};

type Dialog =
  | { kind: 'createPool' }
  | { kind: 'deletePool'; pool: StoragePoolSummary }
  | { kind: 'poolXml'; pool: string; xml: string }
  | { kind: 'createVolume' }
  | { kind: 'resize'; volume: StorageVolumeDetails }
  | { kind: 'wipe' | 'delete'; name: string }
  | { kind: 'upload' };

function compare(sort: VolumeSort, a: string, b: string, details: ReadonlyMap<string, StorageVolumeDetails>, users: Record<string, { name: string }[]>): number {
  const da = details.get(a);
  const db = details.get(b);
  let result = 0;
  switch (sort.key) {
    case 'name':
      result = a.localeCompare(b);
      break;
    case 'format':
      result = (da?.format ?? '').localeCompare(db?.format ?? '');
      break;
    case 'capacity':
      result = (da?.capacityBytes ?? -1) - (db?.capacityBytes ?? -1);
      break;
    case 'allocation':
      result = (da?.allocationBytes ?? -1) - (db?.allocationBytes ?? -1);
      break;
    case 'users':
      result = (users[a]?.map((u) => u.name).join() ?? '').localeCompare(users[b]?.map((u) => u.name).join() ?? '');
      break;
  }
  return (sort.descending ? -result : result) || a.localeCompare(b);
}

/** Host page → Storage: pools of every type, their volumes, and transfers. */
export function StorageSection({ hostId, connected }: { hostId: string; connected: boolean }) {
  const { t } = useTranslation();
  const api = useApi();
  const [pools, setPools] = useState<StoragePoolSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);
  const [selectedPool, setSelectedPool] = useState<string | null>(null);
  const [selectedVolume, setSelectedVolume] = useState<string | null>(null);
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const [search, setSearch] = useState('');
  const [sort, setSort] = useState<VolumeSort>({ key: 'name', descending: false });
  const [actionError, setActionError] = useState<string | null>(null);
  const transfers = useTransfers(hostId);
  const volumes = useVolumes(hostId, connected ? selectedPool : null);
  const reloadPools = useCallback(() => setGeneration((g) => g + 1), []);

  useEffect(() => {
    if (!connected) return;
    let live = true;
    api.call('storage.pools', { hostId }).then(
      (list) => {
        if (!live) return;
        setPools(list);
        setError(null);
        setSelectedPool((current) => (current && list.some((p) => p.name === current) ? current : (list.find((p) => p.state === 'running')?.name ?? null)));
      },
      (e: unknown) => live && setError(errorMessage(e)),
    );
    return () => {
      live = false;
    };
  }, [api, hostId, connected, generation]);

  const shown = useMemo(() => {
    const list = volumes.list;
    if (!list) return [];
    const needle = search.toLowerCase();
    const matching = needle
      ? list.volumes.filter((v) => v.name.toLowerCase().includes(needle) || (list.users[v.name] ?? []).some((u) => u.name.toLowerCase().includes(needle)))
      : list.volumes;
    if (sort.key === 'name' && !sort.descending) return matching;
    return [...matching].sort((a, b) => compare(sort, a.name, b.name, volumes.details, list.users));
  }, [volumes.list, volumes.details, search, sort]);

  // Sorting by a detail needs every volume's details: ask for them all (in batches).
  const needAll = sort.key === 'format' || sort.key === 'capacity' || sort.key === 'allocation';
  const { want } = volumes;
  useEffect(() => {
    if (needAll && volumes.list) want(volumes.list.volumes.map((v) => v.name));
  }, [needAll, volumes.list, want]);

  // A transfer that ends (done, failed, cancelled: its volume created or deleted) changes the pool.
  const ended = transfers.filter((t) => t.state !== 'running').length;
  const { reload: reloadVolumes } = volumes;
  useEffect(() => {
    if (ended > 0) {
      reloadVolumes();
      reloadPools();
    }
  }, [ended, reloadVolumes, reloadPools]);

  const act = (promise: Promise<unknown>, after: () => void) => {
    setActionError(null);
    promise.then(after, (e: unknown) => setActionError(errorMessage(e)));
  };
  const afterVolumeChange = () => {
    volumes.reload();
    reloadPools();
  };

  const upload = async (file: File, name: string) => {
    if (!selectedPool) return;
    const pool = selectedPool;
    setDialog(null);
    setActionError(null);
    try {
      const running = await startUpload(api, { hostId, pool, name }, file);
      running.done.then(afterVolumeChange, (e: unknown) => {
        setActionError(errorMessage(e));
        afterVolumeChange();
      });
    } catch (e) {
      setActionError(errorMessage(e));
    }
  };

  const download = async (name: string) => {
    if (!selectedPool) return;
    setActionError(null);
    try {
      const { url, fileName } = await api.call('storage.downloadStart', { hostId, pool: selectedPool, name });
      const anchor = document.createElement('a');
      anchor.href = url;
      anchor.download = fileName;
      document.body.append(anchor);
      anchor.click();
      anchor.remove();
    } catch (e) {
      setActionError(errorMessage(e));
    }
  };

  if (!connected) return null;
  const pool = pools?.find((p) => p.name === selectedPool) ?? null;
  const selectedDetails = selectedVolume ? volumes.details.get(selectedVolume) : undefined;
  const detailCount = volumes.list ? volumes.list.volumes.filter((v) => volumes.details.has(v.name)).length : 0;

  return (
    <Card withBorder data-testid="storage-section">
      <Group justify="space-between" mb="xs">
        <Title order={3} size="h5">
          {t('storage.title')}
        </Title>
        <Group gap="xs">
          <Button size="xs" variant="default" leftSection={<IconRefresh size={14} />} onClick={reloadPools}>
            {t('storage.reload')}
          </Button>
          <Button size="xs" leftSection={<IconPlus size={14} />} onClick={() => setDialog({ kind: 'createPool' })}>
            {t('storage.pools.new')}
          </Button>
        </Group>
      </Group>
      {error && <Alert color="red">{error}</Alert>}
      {actionError && (
        <Alert color="red" withCloseButton onClose={() => setActionError(null)} mb="xs" data-testid="storage-error">
          {actionError}
        </Alert>
      )}
      <Table highlightOnHover aria-label={t('storage.pools.title')} data-testid="pool-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t('storage.pools.columns.name')}</Table.Th>
            <Table.Th>{t('storage.pools.columns.type')}</Table.Th>
            <Table.Th>{t('storage.pools.columns.state')}</Table.Th>
            <Table.Th>{t('storage.pools.columns.autostart')}</Table.Th>
            <Table.Th>{t('storage.pools.columns.space')}</Table.Th>
            <Table.Th>{t('storage.pools.columns.target')}</Table.Th>
            <Table.Th />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {(pools ?? []).map((p) => (
            <Table.Tr
              key={p.name}
              aria-selected={p.name === selectedPool}
              aria-label={p.name}
              data-testid="pool-row"
              bg={p.name === selectedPool ? 'var(--mantine-color-blue-light)' : undefined}
              style={{ cursor: 'pointer' }}
              onClick={() => {
                setSelectedPool(p.name);
                setSelectedVolume(null);
              }}
            >
              <Table.Td fw={500}>{p.name}</Table.Td>
              <Table.Td>{p.type}</Table.Td>
              <Table.Td>
                <Badge color={STATE_COLORS[p.state]} variant="light">
                  {t(`storage.pools.state.${p.state}`)}
                </Badge>
              </Table.Td>
              <Table.Td>
                <Checkbox
                  size="xs"
                  aria-label={t('storage.pools.autostartNamed', { name: p.name })}
                  checked={p.autostart}
                  disabled={!p.persistent}
                  onClick={(e) => e.stopPropagation()}
                  onChange={(e) => act(api.call('storage.poolAction', { hostId, pool: p.name, action: e.currentTarget.checked ? 'autostartOn' : 'autostartOff' }), reloadPools)}
                />
              </Table.Td>
              <Table.Td miw={200}>
                <Text size="xs">{t('storage.pools.space', { used: formatBytes(p.allocationBytes), total: formatBytes(p.capacityBytes), free: formatBytes(p.availableBytes) })}</Text>
                <Progress size="sm" value={p.capacityBytes > 0 ? (100 * p.allocationBytes) / p.capacityBytes : 0} aria-label={t('storage.pools.usedNamed', { name: p.name })} />
              </Table.Td>
              <Table.Td>
                <Text size="xs" ff="monospace">
                  {p.targetPath ?? '–'}
                </Text>
                {p.source && (
                  <Text size="xs" c="dimmed">
                    {p.source}
                  </Text>
                )}
              </Table.Td>
              <Table.Td onClick={(e) => e.stopPropagation()}>
                <Menu position="bottom-end">
                  <Menu.Target>
                    <ActionIcon variant="subtle" aria-label={t('storage.pools.actionsNamed', { name: p.name })}>
                      <IconDots size={16} />
                    </ActionIcon>
                  </Menu.Target>
                  <Menu.Dropdown>
                    {p.state === 'running' ? (
                      <>
                        <Menu.Item onClick={() => act(api.call('storage.poolAction', { hostId, pool: p.name, action: 'refresh' }), afterVolumeChange)}>
                          {t('storage.pools.refresh')}
                        </Menu.Item>
                        <Menu.Item onClick={() => act(api.call('storage.poolAction', { hostId, pool: p.name, action: 'stop' }), reloadPools)}>
                          {t('storage.pools.stop')}
                        </Menu.Item>
                      </>
                    ) : (
                      <Menu.Item onClick={() => act(api.call('storage.poolAction', { hostId, pool: p.name, action: 'start' }), reloadPools)}>
                        {t('storage.pools.start')}
                      </Menu.Item>
                    )}
                    <Menu.Item onClick={() => act(api.call('storage.poolXml', { hostId, pool: p.name }).then(({ xml }) => setDialog({ kind: 'poolXml', pool: p.name, xml })), () => undefined)}>
                      {t('storage.pools.xml')}
                    </Menu.Item>
                    <Menu.Item color="red" onClick={() => setDialog({ kind: 'deletePool', pool: p })}>
                      {t('storage.pools.delete')}
                    </Menu.Item>
                  </Menu.Dropdown>
                </Menu>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <TransfersList transfers={transfers} />
      {pool && pool.state === 'running' && (
        <Stack gap="xs" mt="md">
          <Group justify="space-between">
            <Title order={4} size="h6">
              {t('storage.volumes.title', { pool: pool.name, count: volumes.list?.volumes.length ?? 0 })}
            </Title>
            <Group gap="xs">
              <TextInput
                size="xs"
                leftSection={<IconSearch size={14} />}
                placeholder={t('storage.volumes.search')}
                aria-label={t('storage.volumes.search')}
                value={search}
                onChange={(e) => setSearch(e.currentTarget.value)}
              />
              <Button size="xs" leftSection={<IconPlus size={14} />} onClick={() => setDialog({ kind: 'createVolume' })}>
                {t('storage.volumes.new')}
              </Button>
              <Button size="xs" variant="default" leftSection={<IconUpload size={14} />} onClick={() => setDialog({ kind: 'upload' })}>
                {t('storage.upload.button')}
              </Button>
              <Button size="xs" variant="default" leftSection={<IconDownload size={14} />} disabled={!selectedVolume} onClick={() => selectedVolume && void download(selectedVolume)}>
                {t('storage.download')}
              </Button>
              <Button size="xs" variant="default" disabled={!selectedDetails} onClick={() => selectedDetails && setDialog({ kind: 'resize', volume: selectedDetails })}>
                {t('storage.volumes.resize.button')}
              </Button>
              <Button size="xs" variant="default" color="red" disabled={!selectedVolume} onClick={() => selectedVolume && setDialog({ kind: 'wipe', name: selectedVolume })}>
                {t('storage.volumes.wipe.button')}
              </Button>
              <Button size="xs" color="red" disabled={!selectedVolume} onClick={() => selectedVolume && setDialog({ kind: 'delete', name: selectedVolume })}>
                {t('storage.volumes.delete.button')}
              </Button>
            </Group>
          </Group>
          {volumes.error && <Alert color="red">{volumes.error}</Alert>}
          {needAll && volumes.list && detailCount < volumes.list.volumes.length && (
            <Text size="xs" c="dimmed">
              {t('storage.volumes.loadingDetails', { done: detailCount, total: volumes.list.volumes.length })}
            </Text>
          )}
          <div style={{ height: Math.min(440, 38 + Math.max(1, shown.length) * 36) }}>
            <VolumeTable
              label={t('storage.volumes.grid', { pool: pool.name })}
              volumes={shown}
              details={volumes.details}
              users={volumes.list?.users ?? {}}
              onVisible={want}
              sort={sort}
              onSortChange={setSort}
              selected={selectedVolume}
              onSelect={setSelectedVolume}
            />
          </div>
        </Stack>
      )}
      {dialog?.kind === 'createPool' && (
        <PoolCreateDialog
          hostId={hostId}
          onClose={() => setDialog(null)}
          onCreated={(name) => {
            setDialog(null);
            setSelectedPool(name);
            reloadPools();
          }}
        />
      )}
      {dialog?.kind === 'poolXml' && <XmlDialog title={t('storage.pools.xmlTitle', { name: dialog.pool })} xml={dialog.xml} onClose={() => setDialog(null)} />}
      {dialog?.kind === 'deletePool' && (
        <DeletePoolDialog
          pool={dialog.pool}
          onClose={() => setDialog(null)}
          onConfirm={(deleteStorage) =>
            api.call('storage.poolDelete', { hostId, pool: dialog.pool.name, confirmName: dialog.pool.name, deleteStorage }).then(() => {
              if (selectedPool === dialog.pool.name) setSelectedPool(null);
              reloadPools();
            })
          }
        />
      )}
      {dialog?.kind === 'createVolume' && selectedPool && (
        <VolumeCreateDialog
          hostId={hostId}
          pool={selectedPool}
          onClose={() => setDialog(null)}
          onCreated={(name) => {
            setDialog(null);
            setSelectedVolume(name);
            afterVolumeChange();
          }}
        />
      )}
      {dialog?.kind === 'resize' && selectedPool && (
        <ResizeDialog
          hostId={hostId}
          pool={selectedPool}
          name={dialog.volume.name}
          capacityBytes={dialog.volume.capacityBytes}
          onClose={() => setDialog(null)}
          onDone={() => {
            setDialog(null);
            afterVolumeChange();
          }}
        />
      )}
      {(dialog?.kind === 'wipe' || dialog?.kind === 'delete') && selectedPool && (
        <ConfirmNameDialog
          title={t(`storage.volumes.${dialog.kind}.title`)}
          body={t(`storage.volumes.${dialog.kind}.body`)}
          name={dialog.name}
          button={t(`storage.volumes.${dialog.kind}.button`)}
          onClose={() => setDialog(null)}
          onConfirm={() =>
            api
              .call(dialog.kind === 'wipe' ? 'storage.volumeWipe' : 'storage.volumeDelete', { hostId, pool: selectedPool, name: dialog.name, confirmName: dialog.name })
              .then(() => {
                if (dialog.kind === 'delete') setSelectedVolume(null);
                afterVolumeChange();
              })
          }
        />
      )}
      {dialog?.kind === 'upload' && selectedPool && <UploadDialog pool={selectedPool} onClose={() => setDialog(null)} onStart={(file, name) => void upload(file, name)} />}
    </Card>
  );
}

function DeletePoolDialog({ pool, onClose, onConfirm }: { pool: StoragePoolSummary; onClose(): void; onConfirm(deleteStorage: boolean): Promise<void> }) {
  const { t } = useTranslation();
  const [deleteStorage, setDeleteStorage] = useState(false);
  return (
    <ConfirmNameDialog
      title={t('storage.pools.deleteTitle')}
      body={t('storage.pools.deleteBody')}
      name={pool.name}
      button={t('storage.pools.delete')}
      extra={
        pool.type === 'dir' ? (
          <Checkbox label={t('storage.pools.deleteDirectory', { path: pool.targetPath ?? '' })} checked={deleteStorage} onChange={(e) => setDeleteStorage(e.currentTarget.checked)} />
        ) : undefined
      }
      onClose={onClose}
      onConfirm={() => onConfirm(deleteStorage)}
    />
  );
}
