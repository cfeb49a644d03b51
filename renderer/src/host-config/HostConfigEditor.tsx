import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import {
  Accordion,
  Alert,
  Badge,
  Box,
  Button,
  Group,
  List,
  Loader,
  Modal,
  ScrollArea,
  SimpleGrid,
  Stack,
  Table,
  Tabs,
  Text,
  TextInput,
  Tooltip,
  VisuallyHidden,
} from '@mantine/core';
import { IconAlertTriangle, IconCheck, IconRefresh } from '@tabler/icons-react';
import EditorModule from 'react-simple-code-editor';
import { useTranslation } from 'react-i18next';
import type {
  HostConfigAnalysis,
  HostConfigBackup,
  HostConfigFile,
  HostConfigRestartReport,
  HostConfigSnapshot,
  HostConfigValue,
} from '../../../preload/api-contract';
import { errorMessage } from '../api';
import { useApi } from '../api/api-context';
import { highlightConf } from './conf-highlight';
import { ConfDiff } from './ConfDiff';
import { ConfField } from './ConfField';

/**
 * react-simple-code-editor is CommonJS (`exports.default = Editor`); the production bundle hands the
 * whole module object to a default import, the dev server the component. Take whichever arrived.
 */
const Editor: typeof EditorModule =
  (EditorModule as unknown as { default?: typeof EditorModule }).default ?? EditorModule;

interface FileState {
  file: HostConfigFile;
  text: string;
  analysis: HostConfigAnalysis | null;
}


/** The configuration editor of one host: forms grouped as the file is, raw text, diff, save, restart, backups. */
export function HostConfigEditor({ hostId }: { hostId: string }) {
  const { t } = useTranslation();
  const api = useApi();
  const [snapshot, setSnapshot] = useState<HostConfigSnapshot | null>(null);
  const [files, setFiles] = useState<Record<string, FileState>>({});
  const [loadError, setLoadError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [tab, setTab] = useState<string | null>(null);
  const [view, setView] = useState<'form' | 'raw'>('form');
  const [filter, setFilter] = useState('');
  const [busy, setBusy] = useState(false);
  const [reviewing, setReviewing] = useState(false);
  const [notice, setNotice] = useState<{ color: string; text: string } | null>(null);
  const [restartable, setRestartable] = useState(false);
  const [report, setReport] = useState<HostConfigRestartReport | null>(null);
  const analyzeSeq = useRef(0);

  const load = useCallback(async () => {
    setLoading(true);
    setLoadError(null);
    try {
      const snap = await api.call('hostConfig.read', { hostId });
      setSnapshot(snap);
      const next: Record<string, FileState> = {};
      for (const file of snap.files) next[file.path] = { file, text: file.text, analysis: null };
      setFiles(next);
      setTab((current) =>
        current && (next[current] || current === 'backups') ? current : (snap.files[0]?.path ?? null),
      );
      await Promise.all(
        snap.files.map(async (file) => {
          const analysis = await api.call('hostConfig.analyze', { hostId, path: file.path, text: file.text });
          setFiles((all) =>
            all[file.path] ? { ...all, [file.path]: { ...all[file.path], analysis } as FileState } : all,
          );
        }),
      );
    } catch (error) {
      setLoadError(errorMessage(error));
    } finally {
      setLoading(false);
    }
  }, [api, hostId]);

  useEffect(() => {
    void load();
  }, [load]);

  const current = tab ? files[tab] : undefined;
  const dirty = Object.values(files).filter((f) => f.text !== f.file.text);
  const errors = current?.analysis?.diagnostics.filter((d) => d.severity === 'error') ?? [];
  const warnings = current?.analysis?.diagnostics.filter((d) => d.severity === 'warning') ?? [];

  /** Raw edits: the text is the document; problems come back from main's parser shortly after typing. */
  const changeText = (path: string, text: string) => {
    setFiles((all) => (all[path] ? { ...all, [path]: { ...all[path], text } as FileState } : all));
    const seq = ++analyzeSeq.current;
    window.setTimeout(() => {
      if (seq !== analyzeSeq.current) return;
      api.call('hostConfig.analyze', { hostId, path, text }).then(
        (analysis) =>
          seq === analyzeSeq.current &&
          setFiles((all) => (all[path] ? { ...all, [path]: { ...all[path], analysis } as FileState } : all)),
        (error: unknown) => setNotice({ color: 'red', text: errorMessage(error) }),
      );
    }, 200);
  };

  const commitField = async (key: string, value: HostConfigValue | null) => {
    if (!current) return;
    try {
      const result = await api.call('hostConfig.edit', {
        hostId,
        path: current.file.path,
        text: current.text,
        edits: [{ key, value }],
      });
      analyzeSeq.current++;
      setFiles((all) => ({
        ...all,
        [current.file.path]: { ...current, text: result.text, analysis: result.analysis },
      }));
    } catch (error) {
      setNotice({ color: 'red', text: errorMessage(error) });
    }
  };

  const save = async () => {
    if (!current) return;
    setBusy(true);
    try {
      const saved = await api.call('hostConfig.save', {
        hostId,
        path: current.file.path,
        text: current.text,
        basedOn: current.file.sha256,
      });
      setFiles((all) => ({
        ...all,
        [current.file.path]: {
          ...current,
          file: { ...current.file, text: current.text, sha256: saved.sha256 },
        },
      }));
      setNotice({
        color: 'teal',
        text: t('hostConfig.saved', { path: current.file.path, backup: saved.backup.path }),
      });
      setRestartable(true);
      setReviewing(false);
    } catch (error) {
      setNotice({ color: 'red', text: errorMessage(error) });
      setReviewing(false);
    } finally {
      setBusy(false);
    }
  };

  const restart = async () => {
    setBusy(true);
    setReport(null);
    try {
      const result = await api.call('hostConfig.restart', { hostId });
      setReport(result);
      setRestartable(false);
      await load();
    } catch (error) {
      setNotice({ color: 'red', text: errorMessage(error) });
    } finally {
      setBusy(false);
    }
  };

  const problemLines = useMemo(() => {
    const lines = new Map<number, 'error' | 'warning'>();
    for (const d of current?.analysis?.diagnostics ?? [])
      if (lines.get(d.line) !== 'error') lines.set(d.line, d.severity);
    return lines;
  }, [current?.analysis]);
  /** The messages at each line, for the raw view's gutter. */
  const lineMessages = useMemo(() => {
    const lines = new Map<number, string[]>();
    for (const d of current?.analysis?.diagnostics ?? [])
      lines.set(d.line, [...(lines.get(d.line) ?? []), d.rule ? `${d.message} [${d.rule}]` : d.message]);
    return lines;
  }, [current?.analysis]);

  if (loadError) {
    return (
      <Alert color="red" title={t('hostConfig.loadFailed')} role="alert">
        <Stack gap="xs">
          <Text size="sm">{loadError}</Text>
          <Group>
            <Button size="xs" variant="default" onClick={() => void load()}>
              {t('hostConfig.retry')}
            </Button>
          </Group>
        </Stack>
      </Alert>
    );
  }
  if (!snapshot) return <Loader aria-label={t('hostConfig.loading')} />;

  const daemonName = snapshot.daemon.name;
  return (
    <Stack gap="sm">
      <Group gap="xs">
        <Badge variant="light">{t(`hostConfig.access.${snapshot.access}`)}</Badge>
        <Badge variant="light" color="grape" data-testid="host-config-daemon">
          {t('hostConfig.daemon', {
            name: daemonName,
            manager: t(`hostConfig.manager.${snapshot.daemon.manager}`),
          })}
        </Badge>
        {current && (
          <Badge variant="light" color={current.file.schemaSource === 'host-lens' ? 'teal' : 'yellow'}>
            {current.file.schemaSource === 'host-lens'
              ? t('hostConfig.schema.lens', { path: current.file.lensPath ?? '' })
              : t('hostConfig.schema.builtIn')}
          </Badge>
        )}
        <Button
          size="xs"
          variant="subtle"
          leftSection={<IconRefresh size={14} />}
          onClick={() => void load()}
          disabled={busy || loading}
        >
          {t('hostConfig.reload')}
        </Button>
      </Group>
      {notice && (
        <Alert
          color={notice.color}
          withCloseButton
          onClose={() => setNotice(null)}
          role="status"
          data-testid="host-config-notice"
        >
          <Stack gap="xs">
            <Text size="sm">{notice.text}</Text>
            {restartable && (
              <Group>
                <Button size="xs" onClick={() => void restart()} loading={busy}>
                  {t('hostConfig.restart', { name: daemonName })}
                </Button>
              </Group>
            )}
          </Stack>
        </Alert>
      )}
      {busy && !reviewing && (
        <Text size="sm" c="dimmed">
          {t('hostConfig.working')}
        </Text>
      )}
      {report && <RestartReport report={report} onClose={() => setReport(null)} />}
      <Tabs value={tab} onChange={setTab} keepMounted={false}>
        <Tabs.List>
          {snapshot.files.map((file) => (
            <Tabs.Tab key={file.path} value={file.path}>
              {file.path.replace('/etc/libvirt/', '')}
              {files[file.path] && files[file.path]?.text !== files[file.path]?.file.text ? ' •' : ''}
            </Tabs.Tab>
          ))}
          <Tabs.Tab value="backups">{t('hostConfig.backups.tab')}</Tabs.Tab>
        </Tabs.List>
        {current && (
          <Tabs.Panel value={current.file.path} pt="sm">
            <Stack gap="sm">
              <Group justify="space-between">
                <Button.Group aria-label={t('hostConfig.view.label')}>
                  <Button
                    variant={view === 'form' ? 'filled' : 'default'}
                    aria-pressed={view === 'form'}
                    onClick={() => setView('form')}
                  >
                    {t('hostConfig.view.form')}
                  </Button>
                  <Button
                    variant={view === 'raw' ? 'filled' : 'default'}
                    aria-pressed={view === 'raw'}
                    onClick={() => setView('raw')}
                  >
                    {t('hostConfig.view.raw')}
                  </Button>
                </Button.Group>
                <Group gap="xs">
                  <Text size="xs" c="dimmed">
                    {t('hostConfig.fileInfo', { owner: current.file.owner, mode: current.file.mode })}
                  </Text>
                  <Button
                    variant="default"
                    disabled={busy || current.text === current.file.text}
                    onClick={() => changeText(current.file.path, current.file.text)}
                  >
                    {t('hostConfig.discard')}
                  </Button>
                  <Tooltip
                    label={
                      errors[0]
                        ? t('hostConfig.blocked', { line: errors[0].line, message: errors[0].message })
                        : ''
                    }
                    disabled={errors.length === 0}
                    multiline
                    w={420}
                  >
                    <span>
                      <Button
                        disabled={
                          busy || current.text === current.file.text || errors.length > 0 || !current.analysis
                        }
                        onClick={() => setReviewing(true)}
                      >
                        {t('hostConfig.review')}
                      </Button>
                    </span>
                  </Tooltip>
                </Group>
              </Group>
              <Diagnostics errors={errors} warnings={warnings} />
              {view === 'form' ? (
                <ConfForm
                  state={current}
                  filter={filter}
                  onFilter={setFilter}
                  onCommit={commitField}
                  disabled={busy}
                />
              ) : (
                <RawView
                  state={current}
                  problems={problemLines}
                  messages={lineMessages}
                  onChange={(text) => changeText(current.file.path, text)}
                />
              )}
            </Stack>
          </Tabs.Panel>
        )}
        <Tabs.Panel value="backups" pt="sm">
          <Backups
            hostId={hostId}
            files={files}
            onRestored={(path) => {
              setNotice({ color: 'teal', text: t('hostConfig.restored', { path }) });
              setRestartable(true);
              void load();
            }}
          />
        </Tabs.Panel>
      </Tabs>
      {dirty.length > 1 && (
        <Text size="xs" c="dimmed">
          {t('hostConfig.otherDirty')}
        </Text>
      )}
      <Modal
        opened={reviewing && !!current}
        onClose={() => setReviewing(false)}
        title={t('hostConfig.reviewTitle', { path: current?.file.path ?? '' })}
        size="xl"
      >
        {current && (
          <Stack>
            <ConfDiff
              path={current.file.path}
              before={current.file.text}
              after={current.text}
              label={t('hostConfig.diff.label')}
            />
            {warnings.length > 0 && (
              <Alert
                color="yellow"
                icon={<IconAlertTriangle />}
                title={t('hostConfig.warningsTitle', { count: warnings.length })}
              >
                <List size="sm">
                  {warnings.map((w) => (
                    <List.Item key={`${w.line}:${w.message}`}>
                      {t('hostConfig.atLine', { line: w.line, message: w.message })}
                    </List.Item>
                  ))}
                </List>
              </Alert>
            )}
            <Text size="sm" c="dimmed">
              {t('hostConfig.saveExplain')}
            </Text>
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setReviewing(false)}>
                {t('hostConfig.cancel')}
              </Button>
              <Button
                onClick={() => void save()}
                loading={busy}
                color={warnings.length > 0 ? 'yellow' : undefined}
              >
                {warnings.length > 0 ? t('hostConfig.saveAnyway') : t('hostConfig.save')}
              </Button>
            </Group>
          </Stack>
        )}
      </Modal>
    </Stack>
  );
}

function Diagnostics({
  errors,
  warnings,
}: {
  errors: HostConfigAnalysis['diagnostics'];
  warnings: HostConfigAnalysis['diagnostics'];
}) {
  const { t } = useTranslation();
  if (errors.length === 0 && warnings.length === 0) return null;
  return (
    <Stack gap="xs" data-testid="host-config-diagnostics">
      {errors.length > 0 && (
        <Alert color="red" title={t('hostConfig.errorsTitle', { count: errors.length })} role="alert">
          <List size="sm">
            {errors.slice(0, 20).map((d) => (
              <DiagnosticItem key={`${d.line}:${d.message}`} diagnostic={d} />
            ))}
          </List>
        </Alert>
      )}
      {warnings.length > 0 && (
        <Alert color="yellow" title={t('hostConfig.warningsTitle', { count: warnings.length })} role="status">
          <List size="sm">
            {warnings.slice(0, 20).map((d) => (
              <DiagnosticItem key={`${d.line}:${d.message}`} diagnostic={d} />
            ))}
          </List>
        </Alert>
      )}
    </Stack>
  );
}

/** One problem: its line and the daemon's words, then the rule that found it and its libvirt source. */
function DiagnosticItem({ diagnostic: d }: { diagnostic: HostConfigAnalysis['diagnostics'][number] }) {
  const { t } = useTranslation();
  return (
    <List.Item>
      {t('hostConfig.atLine', { line: d.line, message: d.message })}
      {d.rule && (
        <Text size="xs" c="dimmed">
          {t('hostConfig.ruleRef', { rule: d.rule, reference: d.reference ?? '' })}
        </Text>
      )}
    </List.Item>
  );
}

function ConfForm({
  state,
  filter,
  onFilter,
  onCommit,
  disabled,
}: {
  state: FileState;
  filter: string;
  onFilter(value: string): void;
  onCommit(key: string, value: HostConfigValue | null): Promise<void>;
  disabled: boolean;
}) {
  const { t } = useTranslation();
  const [openGroups, setOpenGroups] = useState<string[]>([]);
  const values = state.analysis?.values ?? {};
  const needle = filter.trim().toLowerCase();
  const groups = state.file.groups
    .map((group) => ({
      ...group,
      keys: group.keys.filter(
        (k) => !needle || k.key.includes(needle) || (k.doc ?? '').toLowerCase().includes(needle),
      ),
    }))
    .filter((group) => group.keys.length > 0);
  const setCount = (keys: (typeof groups)[number]['keys']) => keys.filter((k) => k.key in values).length;
  const groupLabel = (name: string) =>
    t(`hostConfig.groups.${state.file.role}.${name}` as never, { defaultValue: name.replace(/_/g, ' ') });
  return (
    <Stack gap="xs">
      <TextInput
        label={t('hostConfig.form.filter')}
        placeholder={t('hostConfig.form.filterPlaceholder')}
        value={filter}
        onChange={(event) => onFilter(event.currentTarget.value)}
        maw={420}
      />
      <Accordion
        multiple
        value={needle ? groups.map((g) => g.name) : openGroups}
        onChange={(next) => !needle && setOpenGroups(next)}
        variant="separated"
      >
        {groups.map((group) => (
          <Accordion.Item key={group.name} value={group.name}>
            <Accordion.Control>
              <Group gap="xs">
                <Text fw={500}>{groupLabel(group.name)}</Text>
                <Text size="xs" c="dimmed">
                  {t('hostConfig.form.groupCount', { set: setCount(group.keys), total: group.keys.length })}
                </Text>
              </Group>
            </Accordion.Control>
            <Accordion.Panel>
              <SimpleGrid cols={{ base: 1, md: 2 }} spacing="sm">
                {group.keys.map((spec) => (
                  <ConfField
                    key={spec.key}
                    spec={spec}
                    value={spec.key in values ? (values[spec.key]?.value ?? null) : undefined}
                    diagnostics={(state.analysis?.diagnostics ?? []).filter((d) => d.key === spec.key)}
                    onCommit={(value) => void onCommit(spec.key, value)}
                    disabled={disabled}
                  />
                ))}
              </SimpleGrid>
            </Accordion.Panel>
          </Accordion.Item>
        ))}
      </Accordion>
    </Stack>
  );
}

function RawView({
  state,
  problems,
  messages,
  onChange,
}: {
  state: FileState;
  problems: ReadonlyMap<number, 'error' | 'warning'>;
  /** The problems at each line: the gutter shows them on hover. */
  messages: ReadonlyMap<number, string[]>;
  onChange(text: string): void;
}) {
  const { t } = useTranslation();
  const id = `host-config-raw-${state.file.role}`;
  const lines = state.text.split('\n').length;
  const gutter = useMemo(() => Array.from({ length: lines }, (_, i) => i + 1), [lines]);
  const font = { fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 13, lineHeight: '20px' };
  return (
    <ScrollArea
      h="60vh"
      type="auto"
      style={{ border: '1px solid var(--mantine-color-default-border)', borderRadius: 4 }}
    >
      <VisuallyHidden>
        <label htmlFor={id}>{t('hostConfig.view.rawLabel', { path: state.file.path })}</label>
      </VisuallyHidden>
      <Group gap={0} align="flex-start" wrap="nowrap">
        <Box
          aria-hidden
          style={{
            ...font,
            textAlign: 'right',
            padding: '8px 6px',
            userSelect: 'none',
            color: 'var(--mantine-color-dimmed)',
            minWidth: 48,
            background: 'var(--mantine-color-default-hover)',
          }}
        >
          {gutter.map((n) => (
            <div
              key={n}
              title={messages.get(n)?.join('\n')}
              data-problem={problems.get(n)}
              data-testid={problems.has(n) ? `host-config-line-${n}` : undefined}
              style={{
                color:
                  problems.get(n) === 'error'
                    ? 'var(--mantine-color-red-text)'
                    : problems.get(n) === 'warning'
                      ? 'var(--mantine-color-yellow-text)'
                      : undefined,
              }}
            >
              {n}
            </div>
          ))}
        </Box>
        <Editor
          value={state.text}
          onValueChange={onChange}
          highlight={(text) => highlightConf(text, problems)}
          padding={8}
          ignoreTabKey
          textareaId={id}
          style={{ ...font, flex: 1, minWidth: 0 }}
          textareaClassName="host-config-raw"
        />
      </Group>
    </ScrollArea>
  );
}

function RestartReport({ report, onClose }: { report: HostConfigRestartReport; onClose(): void }) {
  const { t } = useTranslation();
  const color = report.outcome === 'ok' ? 'teal' : report.outcome === 'rolled-back' ? 'orange' : 'red';
  return (
    <Alert
      color={color}
      withCloseButton
      onClose={onClose}
      icon={report.outcome === 'ok' ? <IconCheck /> : <IconAlertTriangle />}
      title={t(`hostConfig.report.${report.outcome}`, {
        name: report.daemon,
        version: report.libvirtVersion ?? '?',
      })}
      role="alert"
      data-testid="host-config-report"
    >
      <Text size="xs" c="dimmed">
        {t('hostConfig.report.took', { seconds: (report.durationMs / 1000).toFixed(1) })}
      </Text>
      <List size="xs" mt="xs">
        {report.steps.map((step, index) => (
          <List.Item key={index} style={{ fontFamily: 'var(--mantine-font-family-monospace)' }}>
            {step}
          </List.Item>
        ))}
      </List>
    </Alert>
  );
}

function Backups({
  hostId,
  files,
  onRestored,
}: {
  hostId: string;
  files: Record<string, FileState>;
  onRestored(path: string): void;
}) {
  const { t, i18n } = useTranslation();
  const api = useApi();
  const [backups, setBackups] = useState<HostConfigBackup[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [preview, setPreview] = useState<{ backup: HostConfigBackup; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const refresh = useCallback(() => {
    api.call('hostConfig.backups', { hostId }).then(setBackups, (e: unknown) => setError(errorMessage(e)));
  }, [api, hostId]);
  useEffect(refresh, [refresh]);

  const open = async (backup: HostConfigBackup) => {
    try {
      const read = await api.call('hostConfig.readBackup', { hostId, path: backup.path });
      setPreview({ backup, text: read.text });
    } catch (e) {
      setError(errorMessage(e));
    }
  };
  const restore = async () => {
    if (!preview) return;
    const target = files[preview.backup.target];
    if (!target) {
      setError(t('hostConfig.backups.notLoaded', { path: preview.backup.target }));
      return;
    }
    setBusy(true);
    try {
      await api.call('hostConfig.save', {
        hostId,
        path: target.file.path,
        text: preview.text,
        basedOn: target.file.sha256,
      });
      setPreview(null);
      onRestored(target.file.path);
      refresh();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const when = (iso: string) => new Date(iso).toLocaleString(i18n.language);
  return (
    <Stack gap="sm">
      {error && (
        <Alert color="red" withCloseButton onClose={() => setError(null)}>
          {error}
        </Alert>
      )}
      <Text size="sm" c="dimmed">
        {t('hostConfig.backups.explain')}
      </Text>
      {backups === null ? (
        <Loader size="sm" />
      ) : backups.length === 0 ? (
        <Text size="sm">{t('hostConfig.backups.none')}</Text>
      ) : (
        <Table striped aria-label={t('hostConfig.backups.tab')}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('hostConfig.backups.taken')}</Table.Th>
              <Table.Th>{t('hostConfig.backups.file')}</Table.Th>
              <Table.Th>{t('hostConfig.backups.size')}</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {backups.map((backup) => (
              <Table.Tr key={backup.path}>
                <Table.Td>
                  {when(backup.takenAt)}{' '}
                  {backup.failed && (
                    <Badge color="red" size="xs">
                      {t('hostConfig.backups.failed')}
                    </Badge>
                  )}
                </Table.Td>
                <Table.Td>
                  <Text size="sm" ff="monospace">
                    {backup.path}
                  </Text>
                </Table.Td>
                <Table.Td>{backup.size}</Table.Td>
                <Table.Td>
                  <Button
                    size="xs"
                    variant="default"
                    onClick={() => void open(backup)}
                    aria-label={t('hostConfig.backups.previewOf', { path: backup.path })}
                  >
                    {t('hostConfig.backups.preview')}
                  </Button>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <Modal
        opened={!!preview}
        onClose={() => setPreview(null)}
        title={t('hostConfig.backups.restoreTitle', { path: preview?.backup.target ?? '' })}
        size="xl"
      >
        {preview && (
          <Stack>
            <ConfDiff
              path={preview.backup.target}
              before={files[preview.backup.target]?.file.text ?? ''}
              after={preview.text}
              label={t('hostConfig.diff.label')}
            />
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setPreview(null)}>
                {t('hostConfig.cancel')}
              </Button>
              <Button onClick={() => void restore()} loading={busy}>
                {t('hostConfig.backups.restore')}
              </Button>
            </Group>
          </Stack>
        )}
      </Modal>
    </Stack>
  );
}
