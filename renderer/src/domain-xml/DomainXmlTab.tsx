import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Alert, Badge, Button, Group, List, Loader, SegmentedControl, Select, Stack, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { DomainXmlProblem, DomainXmlSchemaInfo } from '../../../preload/api-contract';
import { ApiCallError, errorMessage } from '../api';
import { useApi } from '../api/api-context';
import { XmlCodeEditor, XmlDiffView, type XmlCodeEditorHandle, type XmlLanguageSource } from './XmlCodeEditor';
import {
  checkFragment,
  checkWellFormed,
  listDevices,
  locateLibvirtError,
  problemInFragment,
  type DeviceRange,
} from './xml-text';

const VALIDATE_DEBOUNCE_MS = 250;
const WHOLE = 'document';

interface Source {
  inactive: string;
  live: string | null;
}


/**
 * The domain XML editor: the persistent definition (or, read-only, the live XML) in Monaco with the
 * host's schema behind completion, hover and validation; one device at a time if wanted; a diff against
 * the host's definition before anything is defined; libvirt's own verdict placed on its line.
 */
export function DomainXmlTab({ hostId, uuid, running }: { hostId: string; uuid: string; running: boolean }) {
  const { t } = useTranslation();
  const api = useApi();
  const [source, setSource] = useState<Source | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [view, setView] = useState<'inactive' | 'live'>('inactive');
  const [draft, setDraft] = useState('');
  const [scope, setScope] = useState<string>(WHOLE);
  /**
   * The device open on its own: where it starts, and how much of the document follows it. Both stay
   * the same while the device's own text is edited, so every edit splices at the right place.
   */
  const [openDevice, setOpenDevice] = useState<{ start: number; suffix: number } | null>(null);
  const [schemaInfo, setSchemaInfo] = useState<DomainXmlSchemaInfo | null>(null);
  const [schemaError, setSchemaError] = useState<string | null>(null);
  const [schemaProblems, setSchemaProblems] = useState<{ forText: string; problems: DomainXmlProblem[] } | null>(null);
  const [libvirtProblem, setLibvirtProblem] = useState<{ forText: string; problem: DomainXmlProblem } | null>(null);
  const [reviewing, setReviewing] = useState(false);
  const [applying, setApplying] = useState(false);
  const [applyError, setApplyError] = useState<{ message: string; conflict: boolean } | null>(null);
  const [applied, setApplied] = useState(false);
  const editorHandle = useRef<XmlCodeEditorHandle | null>(null);

  const load = useCallback(() => {
    setLoadError(null);
    api.call('domainXml.get', { hostId, uuid }).then(
      (value) => {
        setSource(value);
        setDraft(value.inactive);
        setScope(WHOLE);
        setOpenDevice(null);
        setLibvirtProblem(null);
        setApplyError(null);
        setReviewing(false);
      },
      (error: unknown) => setLoadError(errorMessage(error)),
    );
  }, [api, hostId, uuid]);

  useEffect(() => {
    load();
  }, [load]);

  useEffect(() => {
    let live = true;
    api.call('domainXml.schema', { hostId }).then(
      (info) => live && (setSchemaInfo(info), setSchemaError(null)),
      (error: unknown) => live && setSchemaError(errorMessage(error)),
    );
    return () => {
      live = false;
    };
  }, [api, hostId]);

  const editingLive = view === 'live';
  const basedOn = source?.inactive ?? '';
  const malformed = useMemo(() => checkWellFormed(draft), [draft]);
  const fragment = openDevice ? { start: openDevice.start, end: draft.length - openDevice.suffix } : null;
  const fragmentText = fragment ? draft.slice(fragment.start, fragment.end) : null;
  const fragmentProblem = useMemo(
    () => (fragmentText !== null ? checkFragment(draft, fragmentText) : null),
    [draft, fragmentText],
  );

  // Schema validation in main, debounced; results are kept with the text they belong to.
  useEffect(() => {
    if (!schemaInfo || editingLive || malformed) return;
    const text = draft;
    const timer = setTimeout(() => {
      api.call('domainXml.validate', { hostId, xml: text }).then(
        ({ problems }) => setSchemaProblems({ forText: text, problems }),
        (error: unknown) => setSchemaError(errorMessage(error)),
      );
    }, VALIDATE_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [api, hostId, draft, schemaInfo, editingLive, malformed]);

  const devices = useMemo<DeviceRange[]>(() => (malformed ? [] : listDevices(draft)), [draft, malformed]);

  // Until the schema has judged this very text (or is known to be unavailable), Apply waits.
  const checking = !malformed && !schemaError && (!schemaInfo || schemaProblems?.forText !== draft);
  /** Problems of the whole document, in document coordinates. */
  const documentProblems: DomainXmlProblem[] = useMemo(() => {
    if (malformed) return [malformed];
    const list = schemaProblems?.forText === draft ? [...schemaProblems.problems] : [];
    if (libvirtProblem?.forText === draft) list.unshift(libvirtProblem.problem);
    return list;
  }, [malformed, schemaProblems, libvirtProblem, draft]);

  /** Problems as shown in the editor: in fragment coordinates when one device is open. */
  const shownProblems: DomainXmlProblem[] = useMemo(() => {
    if (!fragment) return documentProblems;
    if (fragmentProblem) return [fragmentProblem];
    return documentProblems.map(
      (problem) =>
        problemInFragment(draft, problem, fragment.start, fragment.end) ?? {
          ...problem,
          located: false,
          message: t('domainXml.elsewhere', { line: problem.line, message: problem.message }),
        },
    );
    // fragment is derived from openDevice and draft.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [documentProblems, openDevice, fragmentProblem, draft, t]);

  // libvirt refused the edit: bring its line into view once the editor is back.
  const refusal = shownProblems.find((problem) => problem.kind === 'libvirt' && problem.located) ?? null;
  useEffect(() => {
    if (refusal && !reviewing) editorHandle.current?.revealLine(refusal.line, refusal.column);
    // Only when a new refusal arrives, not on every edit after it.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [libvirtProblem, reviewing]);

  const changed = !!source && draft !== source.inactive;
  const blockers: string | null = editingLive
    ? t('domainXml.reason.live')
    : !changed
      ? t('domainXml.reason.unchanged')
      : malformed || fragmentProblem
        ? t('domainXml.reason.malformed')
        : checking
          ? t('domainXml.reason.checking')
          : documentProblems.length > 0
            ? t('domainXml.reason.problems', { count: documentProblems.length })
            : null;

  const language = useMemo<XmlLanguageSource | null>(() => {
    if (!schemaInfo) return null;
    if (!fragment) {
      return {
        complete: (text, offset) => api.call('domainXml.complete', { hostId, xml: text, offset }),
        hover: (text, offset) => api.call('domainXml.hover', { hostId, xml: text, offset }),
      };
    }
    // A device fragment is completed and explained inside the whole document around it.
    const before = draft.slice(0, fragment.start);
    const after = draft.slice(fragment.end);
    const shift = before.length;
    return {
      complete: async (text, offset) =>
        (await api.call('domainXml.complete', { hostId, xml: before + text + after, offset: offset + shift })).map((item) => ({
          ...item,
          from: item.from - shift,
          to: item.to - shift,
        })),
      hover: async (text, offset) => {
        const hover = await api.call('domainXml.hover', { hostId, xml: before + text + after, offset: offset + shift });
        return hover && { ...hover, from: hover.from - shift, to: hover.to - shift };
      },
    };
    // The surrounding text only changes when another device is opened.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, hostId, schemaInfo, openDevice]);

  const editorValue = editingLive ? (source?.live ?? '') : (fragmentText ?? draft);
  const onEdit = (text: string) => {
    // The editor also reports text the tab itself put there (switching view, device, reload).
    if (editingLive || text === editorValue) return;
    setApplied(false);
    if (openDevice) {
      const { start, suffix } = openDevice;
      setDraft((current) => current.slice(0, start) + text + current.slice(current.length - suffix));
    } else {
      setDraft(text);
    }
  };

  const chooseScope = (value: string | null) => {
    const next = value ?? WHOLE;
    if (next === WHOLE) {
      setOpenDevice(null);
      setScope(WHOLE);
      return;
    }
    const device = devices.find((d) => `${d.tag}#${d.ordinal}` === next);
    if (!device) return;
    setOpenDevice({ start: device.start, suffix: draft.length - device.end });
    setScope(next);
  };

  const apply = async () => {
    if (!source) return;
    setApplying(true);
    setApplyError(null);
    try {
      const { inactive } = await api.call('domainXml.define', { hostId, uuid, xml: draft, basedOn: source.inactive });
      setSource({ ...source, inactive });
      setDraft(inactive);
      setOpenDevice(null);
      setScope(WHOLE);
      setReviewing(false);
      setApplied(true);
    } catch (error) {
      const apiError = error instanceof ApiCallError ? error.error : null;
      if (apiError?.code === 'libvirt') {
        setLibvirtProblem({ forText: draft, problem: locateLibvirtError(apiError.libvirt?.message ?? apiError.message, draft, source.inactive) });
        setReviewing(false);
      } else {
        setApplyError({ message: errorMessage(error), conflict: apiError?.code === 'conflict' });
      }
    } finally {
      setApplying(false);
    }
  };

  if (loadError) {
    return (
      <Alert color="red" title={t('domainXml.loadFailed')}>
        {loadError}
      </Alert>
    );
  }
  if (!source) return <Loader size="sm" aria-label={t('domainXml.loading')} />;

  return (
    <Stack gap="sm">
      <Group justify="space-between" align="center" wrap="wrap">
        <Group gap="sm" wrap="wrap">
          <SegmentedControl
            aria-label={t('domainXml.viewLabel')}
            value={view}
            onChange={(value) => {
              setView(value === 'live' ? 'live' : 'inactive');
              setReviewing(false);
            }}
            data={[
              { value: 'inactive', label: t('domainXml.persistent') },
              { value: 'live', label: t('domainXml.live'), disabled: !running || source.live === null },
            ]}
          />
          {!editingLive && (
            <Select
              aria-label={t('domainXml.scopeLabel')}
              w={300}
              value={scope}
              onChange={chooseScope}
              allowDeselect={false}
              disabled={reviewing || (!!malformed && !fragment)}
              data={[
                { value: WHOLE, label: t('domainXml.wholeDocument') },
                ...devices.map((device) => ({ value: `${device.tag}#${device.ordinal}`, label: device.label })),
              ]}
            />
          )}
        </Group>
        <Group gap="xs">
          {schemaInfo && (
            <Badge variant="light" color="gray" title={t('domainXml.schemaTitle', { files: schemaInfo.files, ms: schemaInfo.loadMs })}>
              {t('domainXml.schema', { version: schemaInfo.libvirtVersion, source: t(`domainXml.schemaSource.${schemaInfo.source}`) })}
            </Badge>
          )}
          <Button variant="default" size="xs" onClick={load}>
            {t('domainXml.reload')}
          </Button>
        </Group>
      </Group>
      {schemaError && (
        <Alert color="yellow" title={t('domainXml.schemaUnavailable')}>
          {schemaError}
        </Alert>
      )}
      {applied && <Alert color="green">{t('domainXml.applied')}</Alert>}
      {applyError && (
        <Alert color="red" title={t('domainXml.applyFailed')}>
          <Stack gap="xs" align="flex-start">
            <Text size="sm">{applyError.message}</Text>
            {applyError.conflict && (
              <Button size="xs" variant="light" onClick={load}>
                {t('domainXml.reloadDiscard')}
              </Button>
            )}
          </Stack>
        </Alert>
      )}
      {reviewing && <Text size="sm">{t('domainXml.reviewHint')}</Text>}
      <XmlDiffView original={basedOn} modified={draft} ariaLabel={t('domainXml.diffLabel')} visible={reviewing} />
      {reviewing && (
        <Group>
          <Button onClick={() => void apply()} loading={applying} disabled={!!blockers}>
            {t('domainXml.confirmApply')}
          </Button>
          <Button variant="default" onClick={() => setReviewing(false)} disabled={applying}>
            {t('domainXml.backToEditor')}
          </Button>
        </Group>
      )}
      <XmlCodeEditor
        visible={!reviewing}
        value={editorValue}
        onChange={onEdit}
        readOnly={editingLive}
        problems={editingLive ? [] : shownProblems}
        language={editingLive ? null : language}
        ariaLabel={editingLive ? t('domainXml.liveEditorLabel') : t('domainXml.editorLabel')}
        handleRef={editorHandle}
      />
      {!editingLive && !reviewing && (
        <Group justify="space-between" align="flex-start">
          <Group gap="sm">
            <Button onClick={() => setReviewing(true)} disabled={!!blockers}>
              {t('domainXml.apply')}
            </Button>
            <Button variant="default" disabled={!changed} onClick={() => (setDraft(basedOn), setOpenDevice(null), setScope(WHOLE))}>
              {t('domainXml.discard')}
            </Button>
            {blockers && (
              <Text size="sm" c="dimmed" data-testid="apply-reason">
                {blockers}
              </Text>
            )}
          </Group>
          {checking && <Loader size="xs" aria-label={t('domainXml.reason.checking')} />}
        </Group>
      )}
      {!editingLive && shownProblems.length > 0 && (
        <List aria-label={t('domainXml.problems')} size="sm" spacing={4} listStyleType="none">
          {shownProblems.map((problem, index) => (
            <List.Item key={index}>
              <Button
                variant="subtle"
                color="red"
                size="compact-sm"
                disabled={!problem.located || reviewing}
                onClick={() => editorHandle.current?.revealLine(problem.line, problem.column)}
                styles={{ label: { whiteSpace: 'normal', textAlign: 'left' } }}
              >
                {problem.located
                  ? t('domainXml.problemAt', { line: problem.line, column: problem.column, message: problem.message, kind: t(`domainXml.kind.${problem.kind}`) })
                  : t('domainXml.problemTop', { message: problem.message, kind: t(`domainXml.kind.${problem.kind}`) })}
              </Button>
            </List.Item>
          ))}
        </List>
      )}
    </Stack>
  );
}
