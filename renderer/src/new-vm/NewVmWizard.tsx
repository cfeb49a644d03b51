import { useEffect, useMemo, useRef, useState } from 'react';
import {
  Alert,
  Badge,
  Button,
  Code,
  Group,
  List,
  Loader,
  Modal,
  NumberInput,
  PasswordInput,
  SegmentedControl,
  Select,
  SimpleGrid,
  Stack,
  Stepper,
  Switch,
  Text,
  Textarea,
  TextInput,
} from '@mantine/core';
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import type {
  DomainXmlProblem,
  HostEntry,
  NewVmContext,
  NewVmCreateResult,
  NewVmDefaults,
  NewVmNote,
  NewVmOs,
  NewVmPreview,
  NewVmSourceKind,
  NewVmSpec,
  NewVmStep,
  NewVmStepProgress,
} from '../../../preload/api-contract';
import { errorMessage } from '../api';
import { useApi } from '../api/api-context';
import { XmlCodeEditor, type XmlLanguageSource } from '../domain-xml/XmlCodeEditor';
import { checkWellFormed } from '../domain-xml/xml-text';
import { useFleet } from '../fleet/use-fleet';
import { formatBytes } from '../format';
import { useHostStatuses } from '../hosts/use-host-statuses';
import { cancelTransfer } from '../storage';
import { LocalIsoUpload, type WizardUpload } from './LocalIsoUpload';
import type { OpenDomain } from './NewVmButton';

const VALIDATE_DEBOUNCE_MS = 250;
type Hardware = NewVmDefaults['spec'];

interface CloudInitForm {
  user: string;
  password: string;
  sshKey: string;
  hostname: string;
}

/** A free name like `debian12`, `debian12-2`, … */
function suggestName(base: string, taken: readonly string[]): string {
  const clean = base.replace(/[^A-Za-z0-9._+-]/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'vm';
  if (!taken.includes(clean)) return clean;
  for (let n = 2; ; n++) if (!taken.includes(`${clean}-${n}`)) return `${clean}-${n}`;
}

function NoteList({ notes }: { notes: NewVmNote[] }) {
  const { t } = useTranslation();
  if (notes.length === 0) return null;
  return (
    <Stack gap={4} data-testid="new-vm-notes">
      {notes.map((note, index) => (
        <Alert key={`${note.key}-${index}`} color={note.severity === 'warning' ? 'yellow' : 'blue'} py={6}>
          <Text size="sm">{t(`newVm.notes.${note.key}`, note.values)}</Text>
        </Alert>
      ))}
    </Stack>
  );
}

function stepLabel(t: TFunction, step: NewVmStep): string {
  switch (step.kind) {
    case 'create-volume':
      return step.backingPath
        ? t('newVm.steps.overlay', { pool: step.pool, name: step.name, size: formatBytes(step.capacityBytes), backing: step.backingPath })
        : t('newVm.steps.volume', { pool: step.pool, name: step.name, size: formatBytes(step.capacityBytes) });
    case 'write-seed':
      return t('newVm.steps.seed', { pool: step.pool, name: step.name, size: formatBytes(step.bytes) });
    case 'define':
      return t('newVm.steps.define');
    case 'start':
      return t('newVm.steps.start');
  }
}

const STATE_COLORS: Record<NewVmStepProgress['state'] | 'pending', string> = {
  pending: 'gray',
  running: 'blue',
  done: 'teal',
  failed: 'red',
  undone: 'gray',
  'undo-failed': 'red',
};

/**
 * The new-VM wizard: host and source, operating system (picked, or detected from the ISO's label),
 * hardware from the OS's and host's defaults, then the complete domain XML in the editor (validated
 * against the host's schema) and Create. On success the VM page opens on its console.
 */
export function NewVmWizard({
  hosts,
  initialHostId,
  onClose,
  onOpenDomain,
}: {
  hosts: HostEntry[];
  initialHostId: string | null;
  onClose(): void;
  onOpenDomain: OpenDomain;
}) {
  const { t } = useTranslation();
  const api = useApi();
  const statuses = useHostStatuses();
  const fleet = useFleet();
  const connected = hosts.filter((host) => statuses.get(host.id)?.state.kind === 'connected');
  const [active, setActive] = useState(0);
  const [hostId, setHostId] = useState<string | null>(initialHostId);
  const [context, setContext] = useState<NewVmContext | null>(null);
  const [contextError, setContextError] = useState<string | null>(null);
  const [sourceKind, setSourceKind] = useState<NewVmSourceKind>('iso');
  const [volumePath, setVolumePath] = useState<string | null>(null);
  const [cloudInit, setCloudInit] = useState<CloudInitForm>({ user: '', password: '', sshKey: '', hostname: '' });
  const [name, setName] = useState('');
  const [nameTouched, setNameTouched] = useState(false);
  const [osId, setOsId] = useState<string | null>(null);
  const [detection, setDetection] = useState<{ path: string; label: string | null; matches: NewVmOs[] } | null>(null);
  const [detecting, setDetecting] = useState(false);
  const [hardware, setHardware] = useState<Hardware | null>(null);
  const [defaultNotes, setDefaultNotes] = useState<NewVmNote[]>([]);
  const [preview, setPreview] = useState<NewVmPreview | null>(null);
  const [previewError, setPreviewError] = useState<string | null>(null);
  const [xml, setXml] = useState('');
  const [schemaReady, setSchemaReady] = useState<boolean | null>(null);
  const [schemaProblems, setSchemaProblems] = useState<{ forText: string; problems: DomainXmlProblem[] } | null>(null);
  const [createId, setCreateId] = useState<string | null>(null);
  const [progress, setProgress] = useState<Map<number, NewVmStepProgress>>(new Map());
  const [result, setResult] = useState<NewVmCreateResult | null>(null);
  const [createError, setCreateError] = useState<string | null>(null);
  const [upload, setUpload] = useState<(WizardUpload & { path?: string }) | null>(null);
  const opened = useRef(false);

  // The ISO uploaded in this wizard is its own until a guest is made from it: when the wizard goes
  // without one (Cancel, closed, a failed Create left as it is), a running upload is cancelled and a
  // finished one deleted again, unless the user chose to keep it.
  const ending = useRef({ upload, hostId, createdWith: null as string | null });
  ending.current.upload = upload;
  ending.current.hostId = hostId;
  ending.current.createdWith = result?.ok && sourceKind === 'iso' ? volumePath : null;
  useEffect(
    () => () => {
      const { upload: made, hostId: host, createdWith } = ending.current;
      if (!made || !host || made.keep) return;
      if (made.state === 'running') cancelTransfer(api, made.transferId);
      else if (!made.path || made.path !== createdWith) void api.call('newVm.discardUpload', { hostId: host, transferId: made.transferId }).catch(() => undefined);
    },
    [api],
  );

  // The first connected host, unless one was given.
  useEffect(() => {
    if (hostId === null && connected[0]) setHostId(connected[0].id);
  }, [hostId, connected]);

  useEffect(() => {
    if (!hostId) return;
    let live = true;
    setContext(null);
    setContextError(null);
    setVolumePath(null);
    setDetection(null);
    setOsId(null);
    setHardware(null);
    api.call('newVm.context', { hostId }).then(
      (value) => live && setContext(value),
      (error: unknown) => live && setContextError(errorMessage(error)),
    );
    return () => {
      live = false;
    };
  }, [api, hostId]);

  const volumes = useMemo(() => {
    const all = context?.volumes ?? [];
    const iso = (v: { format: string | null; name: string }) => v.format === 'iso' || /\.iso$/i.test(v.name);
    return sourceKind === 'iso' ? all.filter(iso) : all.filter((v) => !iso(v));
  }, [context, sourceKind]);

  // Detect the OS from the ISO's volume label.
  useEffect(() => {
    if (!hostId || sourceKind !== 'iso' || !volumePath) return;
    let live = true;
    setDetecting(true);
    api.call('newVm.detect', { hostId, path: volumePath }).then(
      (found) => {
        if (!live) return;
        setDetection({ path: volumePath, ...found });
        const match = found.matches[0];
        if (match) setOsId(match.id);
      },
      () => live && setDetection({ path: volumePath, label: null, matches: [] }),
    ).finally(() => live && setDetecting(false));
    return () => {
      live = false;
    };
  }, [api, hostId, sourceKind, volumePath]);

  // The OS and the source decide the defaults.
  useEffect(() => {
    if (!hostId || !osId) return;
    let live = true;
    api.call('newVm.defaults', { hostId, osId, sourceKind }).then(
      (defaults) => {
        if (!live) return;
        setHardware(defaults.spec);
        setDefaultNotes(defaults.notes);
      },
      (error: unknown) => live && setContextError(errorMessage(error)),
    );
    return () => {
      live = false;
    };
  }, [api, hostId, osId, sourceKind]);

  const os = context?.oses.find((entry) => entry.id === osId) ?? null;
  useEffect(() => {
    if (!nameTouched && os && context) setName(suggestName(os.shortId ?? 'vm', context.existingNames));
  }, [os, context, nameTouched]);

  const nameError =
    name === ''
      ? null
      : !/^[A-Za-z0-9][A-Za-z0-9._+-]{0,62}$/.test(name)
        ? t('newVm.errors.name')
        : context?.existingNames.includes(name)
          ? t('newVm.errors.nameTaken', { name })
          : null;

  const spec: NewVmSpec | null = useMemo(() => {
    if (!hardware || !osId || !volumePath) return null;
    const source: NewVmSpec['source'] =
      sourceKind === 'iso'
        ? { kind: 'iso', isoPath: volumePath }
        : sourceKind === 'import'
          ? { kind: 'import', diskPath: volumePath }
          : {
              kind: 'cloud-image',
              imagePath: volumePath,
              cloudInit: {
                user: cloudInit.user,
                password: cloudInit.password || null,
                sshKey: cloudInit.sshKey.trim() || null,
                hostname: cloudInit.hostname || name,
              },
            };
    return { ...hardware, osId, name, source };
  }, [hardware, osId, volumePath, sourceKind, cloudInit, name]);

  const sourceReady =
    !!hostId && !!context && !!volumePath && (sourceKind !== 'cloud-image' || (cloudInit.user !== '' && (cloudInit.password !== '' || cloudInit.sshKey.trim() !== '')));
  const osReady = !!osId && !!hardware && name !== '' && nameError === null;

  // The review page: a preview for this spec (kept, with the XML edits, while the spec stays the same).
  const specKey = spec && hostId ? JSON.stringify([hostId, spec]) : null;
  const [previewFor, setPreviewFor] = useState<string | null>(null);
  useEffect(() => {
    if (active !== 3 || !hostId || !spec || !specKey || specKey === previewFor) return;
    let live = true;
    setPreview(null);
    setPreviewError(null);
    api.call('newVm.preview', { hostId, spec }).then(
      (value) => {
        if (!live) return;
        setPreview(value);
        setPreviewFor(specKey);
        setXml(value.xml);
      },
      (error: unknown) => live && setPreviewError(errorMessage(error)),
    );
    return () => {
      live = false;
    };
    // specKey stands for spec.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [active, api, hostId, specKey, previewFor]);

  useEffect(() => {
    if (!hostId) return;
    let live = true;
    api.call('domainXml.schema', { hostId }).then(
      () => live && setSchemaReady(true),
      () => live && setSchemaReady(false),
    );
    return () => {
      live = false;
    };
  }, [api, hostId]);

  const malformed = useMemo(() => (xml ? checkWellFormed(xml) : null), [xml]);
  useEffect(() => {
    if (!hostId || !schemaReady || malformed || !xml) return;
    const text = xml;
    const timer = setTimeout(() => {
      api.call('domainXml.validate', { hostId, xml: text }).then(
        ({ problems }) => setSchemaProblems({ forText: text, problems }),
        () => setSchemaReady(false),
      );
    }, VALIDATE_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [api, hostId, xml, schemaReady, malformed]);

  const problems: DomainXmlProblem[] = malformed ? [malformed] : schemaProblems?.forText === xml ? schemaProblems.problems : [];
  const checking = !malformed && schemaReady !== false && schemaProblems?.forText !== xml;
  const language = useMemo<XmlLanguageSource | null>(
    () =>
      hostId && schemaReady
        ? {
            complete: (text, offset) => api.call('domainXml.complete', { hostId, xml: text, offset }),
            hover: (text, offset) => api.call('domainXml.hover', { hostId, xml: text, offset }),
          }
        : null,
    [api, hostId, schemaReady],
  );

  useEffect(() => {
    if (!createId) return;
    return api.subscribe('newVm.progress', (event) => {
      if (event.createId === createId) setProgress((current) => new Map(current).set(event.index, event));
    });
  }, [api, createId]);

  const create = async () => {
    if (!hostId || !spec) return;
    const id = crypto.randomUUID();
    setProgress(new Map());
    setResult(null);
    setCreateError(null);
    setCreateId(id);
    setActive(4);
    try {
      setResult(await api.call('newVm.create', { hostId, spec, xml, createId: id }));
    } catch (error) {
      setCreateError(errorMessage(error));
    }
  };

  // Created: open the VM page on its console once the fleet lists the guest.
  useEffect(() => {
    if (!result?.ok || opened.current) return;
    const domain = fleet.domains.find((d) => d.hostId === hostId && d.uuid === result.uuid);
    if (!domain) return;
    opened.current = true;
    onOpenDomain(domain, result.console);
    onClose();
  }, [result, fleet.domains, hostId, onOpenDomain, onClose]);

  const set = (patch: Partial<Hardware>) => setHardware((current) => (current ? { ...current, ...patch } : current));
  const host = context?.host;
  const creating = active === 4 && !result && !createError;

  return (
    <Modal opened onClose={creating ? () => undefined : onClose} title={t('newVm.title')} size="80rem" closeOnClickOutside={false}>
      <Stepper active={active} onStepClick={(step) => !creating && step < active && step < 4 && setActive(step)} size="sm">
        <Stepper.Step label={t('newVm.pages.source')}>
          <Stack gap="sm">
            <Select
              label={t('newVm.host')}
              data={connected.map((entry) => ({ value: entry.id, label: entry.displayName }))}
              value={hostId}
              onChange={setHostId}
              allowDeselect={false}
              nothingFoundMessage={t('newVm.noHost')}
              disabled={upload !== null}
            />
            {connected.length === 0 && <Alert color="yellow">{t('newVm.noHost')}</Alert>}
            {contextError && <Alert color="red">{contextError}</Alert>}
            {hostId && !context && !contextError && <Loader size="sm" aria-label={t('newVm.loading')} />}
            {context && (
              <>
                {host && (
                  <Text size="sm" c="dimmed" data-testid="new-vm-host-facts">
                    {t('newVm.hostFacts', {
                      type: host.domainType,
                      threads: host.threads,
                      memory: formatBytes(host.memoryKiB * 1024),
                      efi: host.efi ? t('newVm.yes') : t('newVm.no'),
                      tpm: host.tpmEmulator ? t('newVm.yes') : t('newVm.no'),
                    })}
                  </Text>
                )}
                <SegmentedControl
                  aria-label={t('newVm.sourceKind')}
                  value={sourceKind}
                  onChange={(value) => {
                    setSourceKind(value as NewVmSourceKind);
                    setVolumePath(null);
                    setDetection(null);
                  }}
                  data={(['iso', 'import', 'cloud-image'] as const).map((kind) => ({ value: kind, label: t(`newVm.source.${kind}`) }))}
                />
                <Select
                  label={t(`newVm.volume.${sourceKind}`)}
                  placeholder={volumes.length === 0 ? t('newVm.volume.none') : t('newVm.volume.pick')}
                  data={volumes.map((v) => ({ value: v.path, label: `${v.pool}/${v.name} (${v.format ?? '?'}, ${formatBytes(v.capacityBytes)})` }))}
                  value={volumePath}
                  onChange={setVolumePath}
                  searchable
                  disabled={volumes.length === 0}
                />
                {sourceKind === 'iso' && hostId && (
                  <LocalIsoUpload
                    hostId={hostId}
                    pools={context.pools}
                    takenNames={new Set(context.volumes.map((v) => `${v.pool}/${v.name}`))}
                    upload={upload}
                    onChange={setUpload}
                    onUploaded={(done) => {
                      setUpload(done);
                      // The new volume as the wizard's ISO: read the host's volumes again and pick it.
                      api.call('newVm.context', { hostId }).then(
                        (value) => {
                          setContext(value);
                          const found = value.volumes.find((v) => v.pool === done.pool && v.name === done.name);
                          if (!found) return;
                          setUpload((current) => (current?.transferId === done.transferId ? { ...current, path: found.path } : current));
                          setVolumePath(found.path);
                        },
                        (error: unknown) => setContextError(errorMessage(error)),
                      );
                    }}
                  />
                )}
                {sourceKind === 'cloud-image' && (
                  <SimpleGrid cols={2}>
                    <TextInput label={t('newVm.cloudInit.user')} value={cloudInit.user} onChange={(e) => setCloudInit({ ...cloudInit, user: e.currentTarget.value })} required />
                    <TextInput
                      label={t('newVm.cloudInit.hostname')}
                      placeholder={name || undefined}
                      value={cloudInit.hostname}
                      onChange={(e) => setCloudInit({ ...cloudInit, hostname: e.currentTarget.value })}
                    />
                    <PasswordInput
                      label={t('newVm.cloudInit.password')}
                      description={t('newVm.cloudInit.passwordHint')}
                      value={cloudInit.password}
                      onChange={(e) => setCloudInit({ ...cloudInit, password: e.currentTarget.value })}
                    />
                    <Textarea
                      label={t('newVm.cloudInit.sshKey')}
                      autosize
                      minRows={2}
                      value={cloudInit.sshKey}
                      onChange={(e) => setCloudInit({ ...cloudInit, sshKey: e.currentTarget.value })}
                    />
                  </SimpleGrid>
                )}
              </>
            )}
          </Stack>
        </Stepper.Step>

        <Stepper.Step label={t('newVm.pages.os')}>
          <Stack gap="sm">
            {context && (
              <Text size="sm" c="dimmed" data-testid="new-vm-os-source">
                {context.osSource.kind === 'host'
                  ? t('newVm.osSource.host', { path: context.osSource.path, version: context.osSource.version ?? '?', count: context.osSource.count })
                  : t('newVm.osSource.builtIn', { count: context.osSource.count, reason: context.osSource.reason })}
              </Text>
            )}
            {sourceKind === 'iso' && (
              <Group gap="xs" data-testid="new-vm-detection">
                {detecting && <Loader size="xs" />}
                {detection && (
                  <Text size="sm">
                    {detection.label === null
                      ? t('newVm.detect.notIso')
                      : detection.matches.length > 0
                        ? t('newVm.detect.found', { label: detection.label, os: detection.matches.map((m) => m.name).join(', ') })
                        : t('newVm.detect.unknown', { label: detection.label })}
                  </Text>
                )}
              </Group>
            )}
            <Select
              label={t('newVm.os')}
              searchable
              limit={200}
              data={(context?.oses ?? []).map((entry) => ({ value: entry.id, label: entry.eol ? `${entry.name} (${t('newVm.eol')})` : entry.name }))}
              value={osId}
              onChange={setOsId}
              nothingFoundMessage={t('newVm.noOs')}
            />
            <TextInput
              label={t('newVm.name')}
              value={name}
              error={nameError}
              onChange={(e) => {
                setNameTouched(true);
                setName(e.currentTarget.value);
              }}
            />
            <NoteList notes={defaultNotes} />
          </Stack>
        </Stepper.Step>

        <Stepper.Step label={t('newVm.pages.hardware')}>
          {hardware && host && context ? (
            <Stack gap="sm">
              <SimpleGrid cols={3}>
                <NumberInput label={t('newVm.hw.vcpus')} min={1} max={4096} value={hardware.vcpus} onChange={(v) => typeof v === 'number' && set({ vcpus: v })} />
                <NumberInput label={t('newVm.hw.memoryMiB')} min={16} step={256} value={hardware.memoryMiB} onChange={(v) => typeof v === 'number' && set({ memoryMiB: v })} />
                {sourceKind !== 'import' && (
                  <NumberInput
                    label={t('newVm.hw.diskGiB')}
                    min={1}
                    value={hardware.disk.sizeGiB}
                    onChange={(v) => typeof v === 'number' && set({ disk: { ...hardware.disk, sizeGiB: v } })}
                  />
                )}
                {sourceKind !== 'import' && (
                  <Select
                    label={t('newVm.hw.pool')}
                    data={context.pools.filter((p) => p.fileBased).map((p) => ({ value: p.name, label: `${p.name} (${formatBytes(p.availableBytes)} ${t('newVm.free')})` }))}
                    value={hardware.disk.pool || null}
                    onChange={(v) => v && set({ disk: { ...hardware.disk, pool: v } })}
                    allowDeselect={false}
                  />
                )}
                <Select
                  label={t('newVm.hw.bus')}
                  data={(['virtio', 'sata', 'scsi', 'ide'] as const).map((bus) => ({ value: bus, label: bus, disabled: hardware.machine === 'q35' && bus === 'ide' }))}
                  value={hardware.disk.bus}
                  onChange={(v) => v && set({ disk: { ...hardware.disk, bus: v as Hardware['disk']['bus'] } })}
                  allowDeselect={false}
                />
                <Select
                  label={t('newVm.hw.nic')}
                  data={[
                    ...context.networks.map((n) => ({ value: `network:${n.name}`, label: `${t('newVm.nic.network')} ${n.name}${n.active ? '' : ` (${t('newVm.inactive')})`}` })),
                    { value: 'user:', label: t('newVm.nic.user') },
                    { value: 'none:', label: t('newVm.nic.none') },
                  ]}
                  value={`${hardware.nic.kind}:${hardware.nic.source ?? ''}`}
                  onChange={(v) => {
                    if (!v) return;
                    const [kind, source] = v.split(':') as [Hardware['nic']['kind'], string];
                    set({ nic: { ...hardware.nic, kind, source: source || null } });
                  }}
                  allowDeselect={false}
                />
                <Select
                  label={t('newVm.hw.nicModel')}
                  data={['virtio', 'e1000e', 'e1000', 'rtl8139']}
                  value={hardware.nic.model}
                  onChange={(v) => v && set({ nic: { ...hardware.nic, model: v as Hardware['nic']['model'] } })}
                  allowDeselect={false}
                />
                <Select
                  label={t('newVm.hw.graphics')}
                  data={(['vnc', 'spice', 'none'] as const).map((g) => ({ value: g, label: g.toUpperCase(), disabled: g !== 'none' && !host.graphics.includes(g) }))}
                  value={hardware.graphics}
                  onChange={(v) => v && set({ graphics: v as Hardware['graphics'] })}
                  allowDeselect={false}
                />
                <Select
                  label={t('newVm.hw.machine')}
                  data={['q35', 'pc']}
                  value={hardware.machine}
                  onChange={(v) => v && set({ machine: v as Hardware['machine'], firmware: v === 'pc' ? 'bios' : hardware.firmware })}
                  allowDeselect={false}
                />
                <Select
                  label={t('newVm.hw.firmware')}
                  data={[
                    { value: 'efi', label: 'UEFI', disabled: !host.efi },
                    { value: 'bios', label: 'BIOS' },
                  ]}
                  value={hardware.firmware}
                  onChange={(v) => v && set({ firmware: v as Hardware['firmware'], secureBoot: v === 'efi' && hardware.secureBoot })}
                  allowDeselect={false}
                />
              </SimpleGrid>
              <Group>
                <Switch
                  label={t('newVm.hw.secureBoot')}
                  checked={hardware.secureBoot}
                  disabled={!host.secureBoot || hardware.firmware !== 'efi'}
                  onChange={(e) => set({ secureBoot: e.currentTarget.checked })}
                />
                <Switch label={t('newVm.hw.tpm')} checked={hardware.tpm} disabled={!host.tpmEmulator} onChange={(e) => set({ tpm: e.currentTarget.checked })} />
              </Group>
              <NoteList notes={defaultNotes} />
            </Stack>
          ) : (
            <Loader size="sm" />
          )}
        </Stepper.Step>

        <Stepper.Step label={t('newVm.pages.review')}>
          <Stack gap="sm">
            {previewError && (
              <Alert color="red" title={t('newVm.previewFailed')}>
                {previewError}
              </Alert>
            )}
            {!preview && !previewError && <Loader size="sm" aria-label={t('newVm.loading')} />}
            {preview && (
              <>
                {preview.warnings.map((warning) => (
                  <Alert key={warning.rule} color="yellow" title={t(`domainTuning.advisor.${warning.rule}.title`)} data-testid="new-vm-sizing">
                    <Text size="sm">{t(`domainTuning.advisor.${warning.rule}.reason`, warning.values)}</Text>
                  </Alert>
                ))}
                <NoteList notes={preview.notes} />
                <Text size="sm" fw={500}>
                  {t('newVm.stepsTitle')}
                </Text>
                <List size="sm" type="ordered" data-testid="new-vm-steps">
                  {preview.steps.map((step, index) => (
                    <List.Item key={index}>{stepLabel(t, step)}</List.Item>
                  ))}
                </List>
                {preview.seed && (
                  <SimpleGrid cols={2}>
                    <Stack gap={2}>
                      <Text size="xs" fw={500}>
                        user-data
                      </Text>
                      <Code block>{preview.seed.userData}</Code>
                    </Stack>
                    <Stack gap={2}>
                      <Text size="xs" fw={500}>
                        meta-data
                      </Text>
                      <Code block>{preview.seed.metaData}</Code>
                    </Stack>
                  </SimpleGrid>
                )}
                <XmlCodeEditor value={xml} onChange={setXml} readOnly={false} problems={problems} language={language} ariaLabel={t('newVm.xmlLabel')} />
                {schemaReady === false && <Text size="xs" c="dimmed">{t('newVm.noSchema')}</Text>}
                {problems.length > 0 && (
                  <List size="sm" aria-label={t('domainXml.problems')} listStyleType="none">
                    {problems.map((problem, index) => (
                      <List.Item key={index}>
                        <Text size="sm" c="red">
                          {t('domainXml.problemAt', { line: problem.line, column: problem.column, message: problem.message, kind: t(`domainXml.kind.${problem.kind}`) })}
                        </Text>
                      </List.Item>
                    ))}
                  </List>
                )}
              </>
            )}
          </Stack>
        </Stepper.Step>

        <Stepper.Step label={t('newVm.pages.create')}>
          <Stack gap="sm">
            <List size="sm" spacing={6} listStyleType="none" data-testid="new-vm-progress">
              {(preview?.steps ?? []).map((step, index) => {
                const state = progress.get(index)?.state ?? 'pending';
                return (
                  <List.Item key={index}>
                    <Group gap="xs">
                      <Badge color={STATE_COLORS[state]} variant="light" w={110}>
                        {t(`newVm.state.${state}`)}
                      </Badge>
                      <Text size="sm">{stepLabel(t, step)}</Text>
                    </Group>
                  </List.Item>
                );
              })}
            </List>
            {creating && <Loader size="sm" aria-label={t('newVm.creating')} />}
            {result?.ok && <Alert color="teal">{t('newVm.created', { name: result.name })}</Alert>}
            {createError && (
              <Alert color="red" title={t('newVm.createFailed')}>
                {createError}
              </Alert>
            )}
            {result && !result.ok && (
              <Alert color="red" title={t('newVm.stepFailed', { step: stepLabel(t, result.failedStep) })} data-testid="new-vm-failure">
                <Stack gap={4}>
                  <Text size="sm">{result.libvirtMessage ? t('newVm.libvirtSaid', { message: result.libvirtMessage }) : result.message}</Text>
                  {result.undone.length > 0 && <Text size="sm">{t('newVm.undone', { list: result.undone.join(', ') })}</Text>}
                  {result.undone.length === 0 && <Text size="sm">{t('newVm.nothingMade')}</Text>}
                  {result.leftBehind.length > 0 && <Text size="sm" fw={500}>{t('newVm.leftBehind', { list: result.leftBehind.join('; ') })}</Text>}
                </Stack>
              </Alert>
            )}
          </Stack>
        </Stepper.Step>
      </Stepper>

      <Group justify="space-between" mt="md">
        <Button variant="default" onClick={onClose} disabled={creating}>
          {t('newVm.cancel')}
        </Button>
        <Group gap="xs">
          {active > 0 && active < 4 && (
            <Button variant="default" onClick={() => setActive(active - 1)}>
              {t('newVm.back')}
            </Button>
          )}
          {active === 4 && (createError || (result && !result.ok)) && (
            <Button variant="default" onClick={() => setActive(3)}>
              {t('newVm.backToXml')}
            </Button>
          )}
          {active < 3 && (
            <Button onClick={() => setActive(active + 1)} disabled={(active === 0 && !sourceReady) || (active === 1 && !osReady) || (active === 2 && !spec)}>
              {t('newVm.next')}
            </Button>
          )}
          {active === 3 && (
            <Button onClick={() => void create()} disabled={!preview || !!malformed || checking || problems.length > 0}>
              {t('newVm.create')}
            </Button>
          )}
        </Group>
      </Group>
    </Modal>
  );
}
