import { useCallback, useEffect, useMemo, useState, type ReactNode } from 'react';
import {
  Alert,
  Badge,
  Button,
  Checkbox,
  Code,
  Group,
  Loader,
  Modal,
  Radio,
  ScrollArea,
  SegmentedControl,
  Stack,
  Table,
  Text,
  TextInput,
  Textarea,
  Tooltip,
  UnstyledButton,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconCamera, IconRefresh } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type {
  SnapshotAbility,
  SnapshotCreatePreview,
  SnapshotDeleteMode,
  SnapshotEntry,
  SnapshotKind,
  SnapshotRevertAfter,
  SnapshotsState,
} from '../../../preload/api-contract';
import { errorMessage } from '../api';
import { useApi } from '../api/api-context';
import { SnapshotLoads } from './snapshot-loads';

type T = ReturnType<typeof useTranslation>['t'];

export function reasonOf(t: T, ability: SnapshotAbility): string | null {
  if (ability.allowed) return null;
  const translate = t as unknown as (key: string, values?: Record<string, string | number>) => string;
  return translate(`domainSnapshots.reasons.${ability.reason.key}`, ability.reason.values ?? {});
}


/** A button that, when the host would refuse, is disabled and says why. */
function Able({ ability, children, onClick, label, color }: { ability: SnapshotAbility; children: ReactNode; onClick(): void; label: string; color?: string }) {
  const { t } = useTranslation();
  const reason = reasonOf(t, ability);
  const button = (
    <Button size="compact-xs" variant="light" color={color} disabled={!!reason} onClick={onClick} aria-label={label} data-reason={reason ?? undefined}>
      {children}
    </Button>
  );
  return reason ? (
    <Tooltip label={reason} multiline w={320} withArrow>
      <span>{button}</span>
    </Tooltip>
  ) : (
    button
  );
}

/** Parents before children, each with its depth in the tree. */
function treeRows(snapshots: SnapshotEntry[]): Array<{ entry: SnapshotEntry; depth: number }> {
  const byName = new Map(snapshots.map((s) => [s.name, s]));
  const rows: Array<{ entry: SnapshotEntry; depth: number }> = [];
  const visit = (entry: SnapshotEntry, depth: number) => {
    rows.push({ entry, depth });
    for (const child of entry.children) {
      const next = byName.get(child);
      if (next) visit(next, depth + 1);
    }
  };
  for (const root of snapshots.filter((s) => !s.parent || !byName.has(s.parent))) visit(root, 0);
  return rows;
}

/** Runs a snapshot operation of the tab (create, revert, delete, edit): resolves with its answer. */
type Operate = <T>(run: () => Promise<T>) => Promise<T>;

/**
 * VM page → Snapshots: the tree, and create / revert / delete / edit the description. Read again when the
 * guest's state changes, but not while an operation of the tab runs (it changes that state itself, and
 * answers with the state after it): the open dialog stays until libvirt has answered.
 */
export function SnapshotsPanel({ hostId, uuid, domainState }: { hostId: string; uuid: string; domainState: string }) {
  const { t } = useTranslation();
  const api = useApi();
  const [state, setState] = useState<SnapshotsState | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [reverting, setReverting] = useState<SnapshotEntry | null>(null);
  const [deleting, setDeleting] = useState<SnapshotEntry | null>(null);
  const [describing, setDescribing] = useState<SnapshotEntry | null>(null);
  const [xmlOf, setXmlOf] = useState<{ name: string; xml: string } | null>(null);

  const loads = useMemo(() => new SnapshotLoads(), []);
  const load = useCallback(
    (asked: boolean) => {
      const id = loads.beginLoad(asked);
      if (id === null) return;
      api.call('domainSnapshots.state', { hostId, uuid }).then(
        (value) => {
          if (!loads.accept(id)) return;
          setState(value);
          setError(null);
        },
        (e: unknown) => {
          if (loads.accept(id)) setError(errorMessage(e));
        },
      );
    },
    [api, hostId, uuid, loads],
  );
  // On opening, and when the guest's state changes (not while an operation of the tab runs).
  useEffect(() => load(false), [load, domainState]);
  const operate: Operate = useCallback(
    <T,>(run: () => Promise<T>) => {
      const id = loads.beginOperation();
      return run().then(
        (value) => {
          // Its answer is the newest: the dialog hands it to the tab (done) right after.
          loads.accept(loads.endOperation(id));
          return value;
        },
        (e: unknown) => {
          loads.endOperation(id);
          // A failed operation may still have changed the guest (a revert that stopped QEMU): read again.
          load(false);
          throw e;
        },
      );
    },
    [loads, load],
  );
  const rows = useMemo(() => treeRows(state?.snapshots ?? []), [state]);

  if (error && !state) return <Alert color="red">{error}</Alert>;
  if (!state) return <Loader size="sm" />;
  const done = (next: SnapshotsState, message: string) => {
    setState(next);
    notifications.show({ color: 'green', message });
  };
  return (
    <Stack gap="sm" data-testid="snapshots-panel">
      <Group justify="space-between">
        <Text size="sm" c="dimmed">
          {t('domainSnapshots.summary', { count: state.snapshots.length, version: state.libvirtVersion })}
        </Text>
        <Group gap="xs">
          <Button size="xs" variant="default" leftSection={<IconRefresh size={14} />} onClick={() => load(true)}>
            {t('domainSnapshots.refresh')}
          </Button>
          <Button size="xs" leftSection={<IconCamera size={14} />} onClick={() => setCreating(true)}>
            {t('domainSnapshots.take')}
          </Button>
        </Group>
      </Group>
      {error && <Alert color="red">{error}</Alert>}
      {rows.length === 0 ? (
        <Text size="sm">{t('domainSnapshots.none')}</Text>
      ) : (
        <Table data-testid="snapshot-tree" verticalSpacing={4}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('domainSnapshots.columns.name')}</Table.Th>
              <Table.Th>{t('domainSnapshots.columns.created')}</Table.Th>
              <Table.Th>{t('domainSnapshots.columns.state')}</Table.Th>
              <Table.Th>{t('domainSnapshots.columns.kind')}</Table.Th>
              <Table.Th>{t('domainSnapshots.columns.description')}</Table.Th>
              <Table.Th>{t('domainSnapshots.columns.actions')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map(({ entry, depth }) => (
              <Table.Tr key={entry.name} data-testid={`snapshot-${entry.name}`} data-depth={depth} data-parent={entry.parent ?? ''}>
                <Table.Td style={{ paddingLeft: 8 + depth * 20 }}>
                  <Group gap={6} wrap="nowrap">
                    {depth > 0 && <Text c="dimmed">└</Text>}
                    <UnstyledButton
                      ff="monospace"
                      fz="sm"
                      onClick={() => api.call('domainSnapshots.xml', { hostId, uuid, snapshot: entry.name }).then((xml) => setXmlOf({ name: entry.name, xml }), (e: unknown) => setError(errorMessage(e)))}
                    >
                      {entry.name}
                    </UnstyledButton>
                    {entry.current && (
                      <Badge size="xs" color="green" data-testid="snapshot-current">
                        {t('domainSnapshots.current')}
                      </Badge>
                    )}
                  </Group>
                </Table.Td>
                <Table.Td>{entry.createdAt ? new Date(entry.createdAt * 1000).toLocaleString() : '–'}</Table.Td>
                <Table.Td>{t(`domainSnapshots.states.${entry.state}`)}</Table.Td>
                <Table.Td>
                  <Group gap={4}>
                    <Badge size="xs" variant="light" color={entry.location === 'external' ? 'grape' : 'blue'}>
                      {t(`domainSnapshots.location.${entry.location}`)}
                    </Badge>
                    <Badge size="xs" variant="outline" color="gray">
                      {entry.withMemory ? t('domainSnapshots.withMemory') : t('domainSnapshots.diskOnly')}
                    </Badge>
                  </Group>
                </Table.Td>
                <Table.Td>
                  <Text size="sm" lineClamp={2}>
                    {entry.description}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Group gap={4} wrap="nowrap">
                    <Able ability={entry.revert} onClick={() => setReverting(entry)} label={t('domainSnapshots.revertOf', { name: entry.name })}>
                      {t('domainSnapshots.revert')}
                    </Able>
                    <Able
                      ability={entry.deleteMetadataOnly}
                      color="red"
                      onClick={() => setDeleting(entry)}
                      label={t('domainSnapshots.deleteOf', { name: entry.name })}
                    >
                      {t('domainSnapshots.delete')}
                    </Able>
                    <Able ability={{ allowed: true }} onClick={() => setDescribing(entry)} label={t('domainSnapshots.describeOf', { name: entry.name })}>
                      {t('domainSnapshots.editDescription')}
                    </Able>
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {creating && (
        <CreateDialog
          state={state}
          operate={operate}
          onClose={() => setCreating(false)}
          onDone={(next, name) => {
            setCreating(false);
            done(next, t('domainSnapshots.created', { name }));
          }}
        />
      )}
      {reverting && (
        <RevertDialog
          state={state}
          operate={operate}
          entry={reverting}
          onClose={() => setReverting(null)}
          onDone={(next) => {
            setReverting(null);
            done(next, t('domainSnapshots.reverted', { name: reverting.name }));
          }}
        />
      )}
      {deleting && (
        <DeleteDialog
          state={state}
          operate={operate}
          entry={deleting}
          onClose={() => setDeleting(null)}
          onDone={(next) => {
            setDeleting(null);
            done(next, t('domainSnapshots.deleted', { name: deleting.name }));
          }}
        />
      )}
      {describing && (
        <DescriptionDialog
          state={state}
          operate={operate}
          entry={describing}
          onClose={() => setDescribing(null)}
          onDone={(next) => {
            setDescribing(null);
            done(next, t('domainSnapshots.described', { name: describing.name }));
          }}
        />
      )}
      <Modal opened={xmlOf !== null} onClose={() => setXmlOf(null)} title={t('domainSnapshots.xmlTitle', { name: xmlOf?.name ?? '' })} size="xl">
        <ScrollArea.Autosize mah={480} type="auto">
          <Code block>{xmlOf?.xml}</Code>
        </ScrollArea.Autosize>
      </Modal>
    </Stack>
  );
}

function CreateDialog({ state, operate, onClose, onDone }: { state: SnapshotsState; operate: Operate; onClose(): void; onDone(next: SnapshotsState, name: string): void }) {
  const { t } = useTranslation();
  const api = useApi();
  const internalReason = reasonOf(t, state.create.internal);
  const externalReason = reasonOf(t, state.create.external);
  const [kind, setKind] = useState<SnapshotKind>(internalReason && !externalReason ? 'external' : 'internal');
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [memory, setMemory] = useState(state.running);
  const [quiesce, setQuiesce] = useState(false);
  const [preview, setPreview] = useState<SnapshotCreatePreview | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const request = { hostId: state.hostId, uuid: state.uuid, name: name.trim(), description, kind, memory: state.running && (memory || kind === 'internal'), quiesce: kind === 'external' && quiesce };
  const key = JSON.stringify(request);
  const [previewKey, setPreviewKey] = useState('');
  const memoryReason = reasonOf(t, state.create.memory);
  const quiesceReason = reasonOf(t, state.create.quiesce);
  const kindReason = kind === 'internal' ? internalReason : externalReason;
  const internalNeedsMemory = kind === 'internal' && state.running;
  const run = (call: 'previewCreate' | 'create') => {
    setBusy(true);
    setError(null);
    const done = (): void => setBusy(false);
    if (call === 'previewCreate') {
      api.call('domainSnapshots.previewCreate', request).then(
        (value) => (setPreview(value), setPreviewKey(key), done()),
        (e: unknown) => (setError(errorMessage(e)), setPreview(null), done()),
      );
    } else {
      operate(() => api.call('domainSnapshots.create', request)).then(
        (value) => (done(), onDone(value, request.name)),
        (e: unknown) => (setError(errorMessage(e)), done()),
      );
    }
  };
  return (
    <Modal opened onClose={onClose} title={t('domainSnapshots.createTitle', { vm: state.name })} size="lg">
      <Stack gap="sm">
        <TextInput label={t('domainSnapshots.name')} value={name} onChange={(e) => setName(e.currentTarget.value)} data-autofocus required />
        <Textarea label={t('domainSnapshots.description')} value={description} onChange={(e) => setDescription(e.currentTarget.value)} autosize minRows={2} />
        <Stack gap={4}>
          <Text size="sm" fw={500}>
            {t('domainSnapshots.kind')}
          </Text>
          <SegmentedControl
            value={kind}
            onChange={(value) => setKind(value as SnapshotKind)}
            data={[
              { value: 'internal', label: t('domainSnapshots.location.internal'), disabled: !!internalReason },
              { value: 'external', label: t('domainSnapshots.location.external'), disabled: !!externalReason },
            ]}
            aria-label={t('domainSnapshots.kind')}
          />
          {internalReason && <Text size="xs" c="dimmed">{t('domainSnapshots.internalUnavailable', { reason: internalReason })}</Text>}
          {externalReason && <Text size="xs" c="dimmed">{t('domainSnapshots.externalUnavailable', { reason: externalReason })}</Text>}
        </Stack>
        <Checkbox
          label={t('domainSnapshots.includeMemory')}
          description={memoryReason ?? (internalNeedsMemory ? t('domainSnapshots.internalIncludesMemory') : t('domainSnapshots.memoryHelp'))}
          checked={state.running && (memory || internalNeedsMemory)}
          disabled={!!memoryReason || internalNeedsMemory}
          onChange={(e) => setMemory(e.currentTarget.checked)}
        />
        <Checkbox
          label={t('domainSnapshots.quiesce')}
          description={quiesceReason ?? t('domainSnapshots.quiesceHelp')}
          checked={quiesce}
          disabled={!!quiesceReason || kind !== 'external' || memory}
          onChange={(e) => setQuiesce(e.currentTarget.checked)}
        />
        {preview && previewKey === key && (
          <Stack gap={4}>
            <Text size="sm" fw={500}>
              {t('domainSnapshots.xmlToSend')}
            </Text>
            <Code block data-testid="snapshot-create-xml">
              {preview.xml}
            </Code>
            <Text size="xs" c="dimmed">
              {t('domainSnapshots.flags', { flags: preview.flags.length > 0 ? preview.flags.join(' | ') : '0' })}
            </Text>
          </Stack>
        )}
        {error && <Alert color="red">{error}</Alert>}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t('domainSnapshots.cancel')}
          </Button>
          <Button variant="light" disabled={!request.name || !!kindReason || busy} onClick={() => run('previewCreate')}>
            {t('domainSnapshots.showXml')}
          </Button>
          <Button disabled={!preview || previewKey !== key || busy} loading={busy} onClick={() => run('create')}>
            {t('domainSnapshots.create')}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

function ConfirmName({ name, value, onChange }: { name: string; value: string; onChange(value: string): void }) {
  const { t } = useTranslation();
  return (
    <Stack gap={4}>
      <Text size="sm">
        {t('domainSnapshots.confirmHint')}{' '}
        <UnstyledButton onClick={() => onChange(name)} aria-label={t('domainSnapshots.useName', { name })}>
          <Code>{name}</Code>
        </UnstyledButton>
      </Text>
      <TextInput aria-label={t('domainSnapshots.confirmLabel')} placeholder={name} value={value} onChange={(e) => onChange(e.currentTarget.value)} />
    </Stack>
  );
}

function RevertDialog({ state, entry, operate, onClose, onDone }: { state: SnapshotsState; entry: SnapshotEntry; operate: Operate; onClose(): void; onDone(next: SnapshotsState): void }) {
  const { t } = useTranslation();
  const api = useApi();
  const [after, setAfter] = useState<SnapshotRevertAfter>(entry.revertDefaultAllowed ? 'default' : 'running');
  const [confirmName, setConfirmName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const result = after === 'default' ? entry.revertsTo : after;
  return (
    <Modal opened onClose={onClose} title={t('domainSnapshots.revertTitle', { vm: state.name, name: entry.name })} size="lg">
      <Stack gap="sm">
        <Text size="sm">{t('domainSnapshots.revertWarning', { name: entry.name })}</Text>
        <Radio.Group value={after} onChange={(value) => setAfter(value as SnapshotRevertAfter)} label={t('domainSnapshots.afterRevert')}>
          <Stack gap={4} mt={4}>
            <Radio value="default" disabled={!entry.revertDefaultAllowed} label={t('domainSnapshots.afterDefault', { state: t(`domainSnapshots.after.${entry.revertsTo}`) })} />
            <Radio value="running" label={t('domainSnapshots.afterRunning')} />
            <Radio value="paused" label={t('domainSnapshots.afterPaused')} />
          </Stack>
        </Radio.Group>
        <Alert color="blue" data-testid="revert-outcome">
          {t('domainSnapshots.willBe', { vm: state.name, state: t(`domainSnapshots.after.${result}`) })}
        </Alert>
        <ConfirmName name={entry.name} value={confirmName} onChange={setConfirmName} />
        {error && <Alert color="red">{error}</Alert>}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t('domainSnapshots.cancel')}
          </Button>
          <Button
            color="orange"
            disabled={confirmName !== entry.name || busy}
            loading={busy}
            onClick={() => {
              setBusy(true);
              operate(() => api.call('domainSnapshots.revert', { hostId: state.hostId, uuid: state.uuid, snapshot: entry.name, confirmName, after })).then(
                (next) => onDone(next),
                (e: unknown) => (setError(errorMessage(e)), setBusy(false)),
              );
            }}
          >
            {t('domainSnapshots.revertTo', { name: entry.name })}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

function DeleteDialog({ state, entry, operate, onClose, onDone }: { state: SnapshotsState; entry: SnapshotEntry; operate: Operate; onClose(): void; onDone(next: SnapshotsState): void }) {
  const { t } = useTranslation();
  const api = useApi();
  const abilities: Record<SnapshotDeleteMode, SnapshotAbility> = { one: entry.deleteOne, children: entry.deleteWithChildren, metadata: entry.deleteMetadataOnly };
  const first = (['one', 'children', 'metadata'] as const).find((mode) => abilities[mode].allowed) ?? 'metadata';
  const [mode, setMode] = useState<SnapshotDeleteMode>(first);
  const [confirmName, setConfirmName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  return (
    <Modal opened onClose={onClose} title={t('domainSnapshots.deleteTitle', { vm: state.name, name: entry.name })} size="lg">
      <Stack gap="sm">
        <Radio.Group value={mode} onChange={(value) => setMode(value as SnapshotDeleteMode)} label={t('domainSnapshots.deleteWhat')}>
          <Stack gap={6} mt={4}>
            {(['one', 'children', 'metadata'] as const).map((m) => (
              <Radio
                key={m}
                value={m}
                disabled={!abilities[m].allowed}
                label={t(`domainSnapshots.deleteModes.${m}`, { count: entry.children.length })}
                description={reasonOf(t, abilities[m]) ?? t(`domainSnapshots.deleteModeHelp.${m}`)}
              />
            ))}
          </Stack>
        </Radio.Group>
        <ConfirmName name={entry.name} value={confirmName} onChange={setConfirmName} />
        {error && <Alert color="red">{error}</Alert>}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t('domainSnapshots.cancel')}
          </Button>
          <Button
            color="red"
            disabled={confirmName !== entry.name || !abilities[mode].allowed || busy}
            loading={busy}
            onClick={() => {
              setBusy(true);
              operate(() => api.call('domainSnapshots.delete', { hostId: state.hostId, uuid: state.uuid, snapshot: entry.name, confirmName, mode })).then(
                (next) => onDone(next),
                (e: unknown) => (setError(errorMessage(e)), setBusy(false)),
              );
            }}
          >
            {t('domainSnapshots.deleteNamed', { name: entry.name })}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

function DescriptionDialog({ state, entry, operate, onClose, onDone }: { state: SnapshotsState; entry: SnapshotEntry; operate: Operate; onClose(): void; onDone(next: SnapshotsState): void }) {
  const { t } = useTranslation();
  const api = useApi();
  const [description, setDescription] = useState(entry.description);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  return (
    <Modal opened onClose={onClose} title={t('domainSnapshots.describeTitle', { name: entry.name })}>
      <Stack gap="sm">
        <Textarea label={t('domainSnapshots.description')} value={description} onChange={(e) => setDescription(e.currentTarget.value)} autosize minRows={3} data-autofocus />
        {error && <Alert color="red">{error}</Alert>}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t('domainSnapshots.cancel')}
          </Button>
          <Button
            loading={busy}
            onClick={() => {
              setBusy(true);
              operate(() => api.call('domainSnapshots.setDescription', { hostId: state.hostId, uuid: state.uuid, snapshot: entry.name, description })).then(
                (next) => onDone(next),
                (e: unknown) => (setError(errorMessage(e)), setBusy(false)),
              );
            }}
          >
            {t('domainSnapshots.save')}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
