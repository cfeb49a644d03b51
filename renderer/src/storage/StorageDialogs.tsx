import { useEffect, useState } from 'react';
import {
  Alert,
  Button,
  Checkbox,
  Code,
  FileInput,
  Group,
  Modal,
  NumberInput,
  SegmentedControl,
  Select,
  Stack,
  Text,
  TextInput,
  Textarea,
} from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { StoragePoolForm, VolumeCreateForm } from '../../../preload/api-contract';
import { errorMessage } from '../api';
import { useApi } from '../api/api-context';
import { VolumePicker } from './VolumePicker';

const GiB = 1024 ** 3;

/** The XML a form builds, asked from main (which validates it) whenever the form changes. */
function usePlan<T>(plan: () => Promise<T>, deps: unknown[]): { value: T | null; error: string | null } {
  const [value, setValue] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    const timer = setTimeout(() => {
      plan().then(
        (v) => live && (setValue(v), setError(null)),
        (e: unknown) => live && (setValue(null), setError(errorMessage(e))),
      );
    }, 150);
    return () => {
      live = false;
      clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  return { value, error };
}

type PoolType = StoragePoolForm['type'];

export function PoolCreateDialog({ hostId, onClose, onCreated }: { hostId: string; onClose(): void; onCreated(name: string): void }) {
  const { t } = useTranslation();
  const api = useApi();
  const [type, setType] = useState<PoolType>('dir');
  const [name, setName] = useState('');
  const [targetPath, setTargetPath] = useState('');
  const [sourceDevice, setSourceDevice] = useState('');
  const [sourceFormat, setSourceFormat] = useState('auto');
  const [sourceHost, setSourceHost] = useState('');
  const [sourceDir, setSourceDir] = useState('');
  const [vgName, setVgName] = useState('');
  const [devices, setDevices] = useState('');
  const [build, setBuild] = useState(true);
  const [start, setStart] = useState(true);
  const [autostart, setAutostart] = useState(true);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);

  const target = targetPath || (type === 'logical' && vgName ? `/dev/${vgName}` : '');
  const form: StoragePoolForm =
    type === 'dir'
      ? { type, name, targetPath: target }
      : type === 'fs'
        ? { type, name, sourceDevice, sourceFormat, targetPath: target }
        : type === 'netfs'
          ? { type, name, sourceHost, sourceDir, sourceFormat: sourceFormat as 'auto', targetPath: target }
          : { type, name, vgName, devices: devices.split(/\s+/).filter(Boolean), targetPath: target };
  const plan = usePlan(() => api.call('storage.poolPlan', { hostId, form }), [JSON.stringify(form)]);

  const create = async () => {
    setBusy(true);
    setFailure(null);
    try {
      await api.call('storage.poolCreate', { hostId, form, build, start, autostart });
      onCreated(name);
    } catch (e) {
      setFailure(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal opened onClose={onClose} title={t('storage.pools.create.title')} size="lg">
      <Stack gap="sm">
        <SegmentedControl
          aria-label={t('storage.pools.create.type')}
          value={type}
          onChange={(value) => {
            setType(value as PoolType);
            setSourceFormat('auto');
          }}
          data={(['dir', 'fs', 'netfs', 'logical'] as const).map((value) => ({ value, label: t(`storage.pools.types.${value}`) }))}
        />
        <TextInput label={t('storage.pools.create.name')} value={name} onChange={(e) => setName(e.currentTarget.value)} required />
        {type === 'fs' && (
          <>
            <TextInput label={t('storage.pools.create.sourceDevice')} placeholder="/dev/sdb1" value={sourceDevice} onChange={(e) => setSourceDevice(e.currentTarget.value)} />
            <Select label={t('storage.pools.create.fsFormat')} value={sourceFormat} onChange={(v) => setSourceFormat(v ?? 'auto')} data={['auto', 'ext4', 'ext3', 'xfs', 'btrfs', 'vfat', 'iso9660']} />
          </>
        )}
        {type === 'netfs' && (
          <>
            <TextInput label={t('storage.pools.create.sourceHost')} placeholder="nas.example.org" value={sourceHost} onChange={(e) => setSourceHost(e.currentTarget.value)} />
            <TextInput label={t('storage.pools.create.sourceDir')} placeholder="/export/vm" value={sourceDir} onChange={(e) => setSourceDir(e.currentTarget.value)} />
            <Select label={t('storage.pools.create.netFormat')} value={sourceFormat} onChange={(v) => setSourceFormat(v ?? 'auto')} data={['auto', 'nfs', 'cifs', 'glusterfs']} />
          </>
        )}
        {type === 'logical' && (
          <>
            <TextInput label={t('storage.pools.create.vgName')} value={vgName} onChange={(e) => setVgName(e.currentTarget.value)} />
            <TextInput label={t('storage.pools.create.devices')} description={t('storage.pools.create.devicesHint')} value={devices} onChange={(e) => setDevices(e.currentTarget.value)} />
          </>
        )}
        <TextInput
          label={t('storage.pools.create.targetPath')}
          placeholder={type === 'logical' ? `/dev/${vgName || 'vg'}` : '/var/lib/libvirt/images'}
          value={targetPath}
          onChange={(e) => setTargetPath(e.currentTarget.value)}
        />
        <Group>
          <Checkbox label={t(`storage.pools.create.build.${type}`)} checked={build} onChange={(e) => setBuild(e.currentTarget.checked)} />
          <Checkbox label={t('storage.pools.create.start')} checked={start} onChange={(e) => setStart(e.currentTarget.checked)} />
          <Checkbox label={t('storage.pools.create.autostart')} checked={autostart} onChange={(e) => setAutostart(e.currentTarget.checked)} />
        </Group>
        <Text size="sm" fw={500}>
          {t('storage.xmlPreview')}
        </Text>
        {plan.value ? (
          <Code block data-testid="pool-xml">
            {plan.value.xml}
          </Code>
        ) : (
          <Text size="sm" c="dimmed">
            {plan.error}
          </Text>
        )}
        {failure && <Alert color="red">{failure}</Alert>}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t('storage.cancel')}
          </Button>
          <Button onClick={() => void create()} loading={busy} disabled={!plan.value}>
            {t('storage.pools.create.submit')}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

/** A destructive action confirmed by typing the object's name. */
export function ConfirmNameDialog({
  title,
  body,
  name,
  button,
  extra,
  onConfirm,
  onClose,
}: {
  title: string;
  body: string;
  name: string;
  button: string;
  extra?: React.ReactNode;
  onConfirm(): Promise<void>;
  onClose(): void;
}) {
  const { t } = useTranslation();
  const [typed, setTyped] = useState('');
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  return (
    <Modal opened onClose={onClose} title={title}>
      <Stack gap="sm">
        <Text size="sm">{body}</Text>
        <Code>{name}</Code>
        {extra}
        <TextInput label={t('storage.confirmName')} value={typed} onChange={(e) => setTyped(e.currentTarget.value)} data-autofocus />
        {failure && (
          <Alert color="red" data-testid="storage-error">
            {failure}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t('storage.cancel')}
          </Button>
          <Button
            color="red"
            disabled={typed !== name}
            loading={busy}
            onClick={() => {
              setBusy(true);
              setFailure(null);
              onConfirm().then(onClose, (e: unknown) => {
                setFailure(errorMessage(e));
                setBusy(false);
              });
            }}
          >
            {button}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

export function VolumeCreateDialog({ hostId, pool, onClose, onCreated }: { hostId: string; pool: string; onClose(): void; onCreated(name: string): void }) {
  const { t } = useTranslation();
  const api = useApi();
  const [name, setName] = useState('');
  const [format, setFormat] = useState<VolumeCreateForm['format']>('qcow2');
  const [capacityGiB, setCapacityGiB] = useState<number | string>(10);
  const [preallocation, setPreallocation] = useState<VolumeCreateForm['preallocation']>('off');
  const [compat, setCompat] = useState<VolumeCreateForm['qcow2Compat']>('1.1');
  const [backingPath, setBackingPath] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const form: VolumeCreateForm = {
    pool,
    name,
    format,
    capacityBytes: Math.round(Number(capacityGiB) * GiB),
    preallocation,
    qcow2Compat: compat,
    backingPath: format === 'qcow2' ? backingPath : null,
  };
  const plan = usePlan(() => api.call('storage.volumePlan', { hostId, form }), [JSON.stringify(form)]);
  const create = async () => {
    setBusy(true);
    setFailure(null);
    try {
      await api.call('storage.volumeCreate', { hostId, form });
      onCreated(name);
    } catch (e) {
      setFailure(errorMessage(e));
      setBusy(false);
    }
  };
  return (
    <Modal opened onClose={onClose} title={t('storage.volumes.create.title', { pool })} size="lg">
      <Stack gap="sm">
        <TextInput label={t('storage.volumes.create.name')} value={name} onChange={(e) => setName(e.currentTarget.value)} required />
        <SegmentedControl
          aria-label={t('storage.volumes.create.format')}
          value={format}
          onChange={(v) => {
            setFormat(v as VolumeCreateForm['format']);
            if (v === 'raw' && preallocation === 'metadata') setPreallocation('off');
          }}
          data={[
            { value: 'qcow2', label: 'qcow2' },
            { value: 'raw', label: 'raw' },
          ]}
        />
        <NumberInput label={t('storage.volumes.create.capacity')} value={capacityGiB} onChange={setCapacityGiB} min={0.001} decimalScale={3} suffix=" GiB" />
        <Select
          label={t('storage.volumes.create.preallocation')}
          value={preallocation}
          onChange={(v) => setPreallocation((v ?? 'off') as VolumeCreateForm['preallocation'])}
          data={(format === 'qcow2' ? (['off', 'metadata', 'full'] as const) : (['off', 'full'] as const)).map((value) => ({
            value,
            label: t(`storage.volumes.create.prealloc.${value}`),
          }))}
        />
        {format === 'qcow2' && (
          <>
            <Select
              label={t('storage.volumes.create.compat')}
              description={t('storage.volumes.create.compatHint')}
              value={compat}
              onChange={(v) => setCompat((v ?? '1.1') as VolumeCreateForm['qcow2Compat'])}
              data={['1.1', '0.10']}
            />
            <VolumePicker hostId={hostId} label={t('storage.volumes.create.backing')} value={backingPath} onChange={setBackingPath} clearable />
          </>
        )}
        <Text size="sm" fw={500}>
          {t('storage.xmlPreview')}
        </Text>
        {plan.value ? (
          <>
            <Code block data-testid="volume-xml">
              {plan.value.xml}
            </Code>
            {plan.value.flags.length > 0 && <Text size="xs">{t('storage.volumes.create.flags', { flags: plan.value.flags.join(', ') })}</Text>}
          </>
        ) : (
          <Text size="sm" c="dimmed">
            {plan.error}
          </Text>
        )}
        {failure && <Alert color="red">{failure}</Alert>}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t('storage.cancel')}
          </Button>
          <Button onClick={() => void create()} loading={busy} disabled={!plan.value}>
            {t('storage.volumes.create.submit')}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

export function ResizeDialog({ hostId, pool, name, capacityBytes, onClose, onDone }: { hostId: string; pool: string; name: string; capacityBytes: number; onClose(): void; onDone(): void }) {
  const { t } = useTranslation();
  const api = useApi();
  const [gib, setGib] = useState<number | string>(Math.ceil((capacityBytes / GiB) * 1000) / 1000);
  const [shrink, setShrink] = useState(false);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  return (
    <Modal opened onClose={onClose} title={t('storage.volumes.resize.title', { name })}>
      <Stack gap="sm">
        <NumberInput label={t('storage.volumes.resize.capacity')} value={gib} onChange={setGib} min={0.001} decimalScale={3} suffix=" GiB" />
        <Checkbox label={t('storage.volumes.resize.shrink')} checked={shrink} onChange={(e) => setShrink(e.currentTarget.checked)} />
        {failure && <Alert color="red">{failure}</Alert>}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t('storage.cancel')}
          </Button>
          <Button
            loading={busy}
            onClick={() => {
              setBusy(true);
              api
                .call('storage.volumeResize', { hostId, pool, name, capacityBytes: Math.round(Number(gib) * GiB), allowShrink: shrink })
                .then(onDone, (e: unknown) => {
                  setFailure(errorMessage(e));
                  setBusy(false);
                });
            }}
          >
            {t('storage.volumes.resize.submit')}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

export function UploadDialog({ pool, onClose, onStart }: { pool: string; onClose(): void; onStart(file: File, name: string): void }) {
  const { t } = useTranslation();
  const [file, setFile] = useState<File | null>(null);
  const [name, setName] = useState('');
  return (
    <Modal opened onClose={onClose} title={t('storage.upload.title', { pool })}>
      <Stack gap="sm">
        <FileInput
          label={t('storage.upload.file')}
          value={file}
          onChange={(f) => {
            setFile(f);
            if (f && !name) setName(f.name);
          }}
          data-testid="upload-file"
        />
        <TextInput label={t('storage.upload.name')} value={name} onChange={(e) => setName(e.currentTarget.value)} />
        <Text size="xs" c="dimmed">
          {t('storage.upload.hint')}
        </Text>
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t('storage.cancel')}
          </Button>
          <Button disabled={!file || !name} onClick={() => file && onStart(file, name)}>
            {t('storage.upload.submit')}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

export function XmlDialog({ title, xml, onClose }: { title: string; xml: string; onClose(): void }) {
  return (
    <Modal opened onClose={onClose} title={title} size="lg">
      <Textarea value={xml} readOnly autosize minRows={6} ff="monospace" />
    </Modal>
  );
}
