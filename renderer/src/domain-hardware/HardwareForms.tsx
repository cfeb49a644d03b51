import { useEffect, useState } from 'react';
import { Checkbox, Group, NumberInput, PasswordInput, SegmentedControl, Select, Stack, Text, TextInput } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { HardwareDraft, HardwareKind, StoragePoolSummary } from '../../../preload/api-contract';
import { useApi } from '../api/api-context';
import { HostDevicePicker } from '../host-devices/HostDevicePicker';
import { NetworkPicker } from '../networks/NetworkPicker';
import { VolumePicker } from '../storage';

export const KINDS: HardwareKind[] = [
  'disk',
  'cdrom',
  'nic',
  'graphics',
  'video',
  'sound',
  'input',
  'chr',
  'rng',
  'watchdog',
  'tpm',
  'usb-controller',
  'filesystem',
  'hostdev',
];

const GiB = 1024 ** 3;

/** The form's starting point for each kind (what virt-manager offers first). */
export function defaultDraft(kind: HardwareKind, vmName: string): HardwareDraft {
  switch (kind) {
    case 'disk':
      return {
        kind,
        source: { type: 'new', pool: '', name: `${vmName}-data.qcow2`, format: 'qcow2', capacityBytes: 10 * GiB },
        bus: 'virtio',
        target: null,
        cache: 'default',
        io: 'default',
        discard: 'default',
        serial: null,
        readOnly: false,
        shareable: false,
        iothread: null,
      };
    case 'cdrom':
      return { kind, bus: 'sata', media: null, target: null };
    case 'nic':
      return { kind, source: { type: 'network', network: 'default', portgroup: null }, model: 'virtio', mac: null, vlan: null, link: 'up' };
    case 'graphics':
      return { kind, type: 'vnc', listen: '127.0.0.1', port: null, password: null };
    case 'video':
      return { kind, model: 'virtio', heads: 1 };
    case 'sound':
      return { kind, model: 'ich9' };
    case 'input':
      return { kind, type: 'tablet', bus: 'usb' };
    case 'chr':
      return { kind, target: { device: 'channel', channel: 'guest-agent', name: null } };
    case 'rng':
      return { kind, source: '/dev/urandom', rateBytes: null, periodMs: null };
    case 'watchdog':
      return { kind, model: 'i6300esb', action: 'reset' };
    case 'tpm':
      return { kind, model: 'tpm-crb', backend: 'emulator', version: '2.0', path: null };
    case 'usb-controller':
      return { kind, model: 'qemu-xhci' };
    case 'filesystem':
      return { kind, source: '/srv/share', tag: 'share' };
    case 'hostdev':
      return { kind, device: { kind: 'pci', name: '' } };
  }
}

const options = (values: readonly string[]) => values.map((value) => ({ value, label: value }));
const numberOrNull = (value: string | number) => (value === '' || value === null ? null : Number(value));
const textOrNull = (value: string) => (value.trim() === '' ? null : value.trim());

type Props<K extends HardwareKind> = {
  hostId: string;
  draft: Extract<HardwareDraft, { kind: K }>;
  onChange(next: Extract<HardwareDraft, { kind: K }>): void;
};

function PoolSelect({ hostId, value, onChange }: { hostId: string; value: string; onChange(pool: string): void }) {
  const { t } = useTranslation();
  const api = useApi();
  const [pools, setPools] = useState<StoragePoolSummary[]>([]);
  useEffect(() => {
    let live = true;
    api.call('storage.pools', { hostId }).then(
      (list) => {
        if (!live) return;
        const running = list.filter((p) => p.state === 'running');
        setPools(running);
        if (!value && running[0]) onChange(running[0].name);
      },
      () => undefined,
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, hostId]);
  return <Select label={t('domainHardware.form.pool')} data={pools.map((p) => p.name)} value={value || null} onChange={(v) => v && onChange(v)} />;
}

function DiskForm({ hostId, draft, onChange }: Props<'disk'>) {
  const { t } = useTranslation();
  const source = draft.source;
  return (
    <Stack gap="xs">
      <SegmentedControl
        aria-label={t('domainHardware.form.source')}
        value={source.type}
        onChange={(type) =>
          onChange({
            ...draft,
            source:
              type === 'new'
                ? { type: 'new', pool: '', name: 'data.qcow2', format: 'qcow2', capacityBytes: 10 * GiB }
                : type === 'volume'
                  ? { type: 'volume', pool: '', volume: '' }
                  : { type: 'path', path: '' },
          })
        }
        data={[
          { value: 'new', label: t('domainHardware.form.newVolume') },
          { value: 'volume', label: t('domainHardware.form.existingVolume') },
          { value: 'path', label: t('domainHardware.form.path') },
        ]}
      />
      {source.type === 'new' && (
        <Group grow align="flex-start">
          <PoolSelect hostId={hostId} value={source.pool} onChange={(pool) => onChange({ ...draft, source: { ...source, pool } })} />
          <TextInput label={t('domainHardware.form.volumeName')} value={source.name} onChange={(e) => onChange({ ...draft, source: { ...source, name: e.currentTarget.value } })} />
          <Select
            label={t('domainHardware.form.format')}
            data={options(['qcow2', 'raw'])}
            value={source.format}
            onChange={(v) => v && onChange({ ...draft, source: { ...source, format: v as 'qcow2' | 'raw' } })}
          />
          <NumberInput
            label={t('domainHardware.form.sizeGiB')}
            min={1}
            max={65536}
            value={source.capacityBytes / GiB}
            onChange={(v) => onChange({ ...draft, source: { ...source, capacityBytes: Math.round(Number(v || 0) * GiB) } })}
          />
        </Group>
      )}
      {source.type === 'volume' && (
        <VolumePicker
          hostId={hostId}
          label={t('domainHardware.form.volume')}
          kind="disk"
          value={null}
          onChange={(_path, volume) => onChange({ ...draft, source: { type: 'volume', pool: volume?.pool ?? '', volume: volume?.name ?? '' } })}
        />
      )}
      {source.type === 'path' && (
        <TextInput
          label={t('domainHardware.form.hostPath')}
          placeholder="/var/lib/libvirt/images/disk.qcow2"
          value={source.path}
          onChange={(e) => onChange({ ...draft, source: { type: 'path', path: e.currentTarget.value } })}
        />
      )}
      <Group grow align="flex-start">
        <Select label={t('domainHardware.form.bus')} data={options(['virtio', 'scsi', 'sata', 'usb', 'ide'])} value={draft.bus} onChange={(v) => v && onChange({ ...draft, bus: v as typeof draft.bus, target: null })} />
        <Select
          label={t('domainHardware.form.cache')}
          data={options(['default', 'none', 'writeback', 'writethrough', 'directsync', 'unsafe'])}
          value={draft.cache}
          onChange={(v) => v && onChange({ ...draft, cache: v as typeof draft.cache })}
        />
        <Select label={t('domainHardware.form.io')} data={options(['default', 'native', 'threads', 'io_uring'])} value={draft.io} onChange={(v) => v && onChange({ ...draft, io: v as typeof draft.io })} />
        <Select label={t('domainHardware.form.discard')} data={options(['default', 'unmap', 'ignore'])} value={draft.discard} onChange={(v) => v && onChange({ ...draft, discard: v as typeof draft.discard })} />
      </Group>
      <Group grow align="flex-start">
        <TextInput label={t('domainHardware.form.serial')} value={draft.serial ?? ''} onChange={(e) => onChange({ ...draft, serial: textOrNull(e.currentTarget.value) })} />
        <NumberInput label={t('domainHardware.form.iothread')} min={1} value={draft.iothread ?? ''} onChange={(v) => onChange({ ...draft, iothread: numberOrNull(v) })} />
      </Group>
      <Group>
        <Checkbox label={t('domainHardware.form.readOnly')} checked={draft.readOnly} onChange={(e) => onChange({ ...draft, readOnly: e.currentTarget.checked })} />
        <Checkbox label={t('domainHardware.form.shareable')} checked={draft.shareable} onChange={(e) => onChange({ ...draft, shareable: e.currentTarget.checked })} />
      </Group>
    </Stack>
  );
}

function CdromForm({ hostId, draft, onChange }: Props<'cdrom'>) {
  const { t } = useTranslation();
  return (
    <Stack gap="xs">
      <Select label={t('domainHardware.form.bus')} data={options(['sata', 'ide', 'scsi', 'usb'])} value={draft.bus} onChange={(v) => v && onChange({ ...draft, bus: v as typeof draft.bus, target: null })} />
      <VolumePicker
        hostId={hostId}
        label={t('domainHardware.form.media')}
        kind="iso"
        clearable
        value={null}
        onChange={(_path, volume) => onChange({ ...draft, media: volume ? { type: 'volume', pool: volume.pool, volume: volume.name } : null })}
      />
      <Text size="xs" c="dimmed">
        {t('domainHardware.form.mediaHelp')}
      </Text>
    </Stack>
  );
}

function NicForm({ hostId, draft, onChange }: Props<'nic'>) {
  const { t } = useTranslation();
  const source = draft.source;
  return (
    <Stack gap="xs">
      <SegmentedControl
        aria-label={t('domainHardware.form.connection')}
        value={source.type}
        onChange={(type) =>
          onChange({
            ...draft,
            source:
              type === 'network'
                ? { type: 'network', network: '', portgroup: null }
                : type === 'bridge'
                  ? { type: 'bridge', bridge: 'br0' }
                  : { type: 'direct', dev: '', mode: 'bridge' },
          })
        }
        data={[
          { value: 'network', label: t('domainHardware.form.virtualNetwork') },
          { value: 'bridge', label: t('domainHardware.form.hostBridge') },
          { value: 'direct', label: t('domainHardware.form.macvtap') },
        ]}
      />
      {source.type === 'network' && (
        <NetworkPicker
          hostId={hostId}
          value={source.network ? { network: source.network, portgroup: source.portgroup } : null}
          onChange={(next) => onChange({ ...draft, source: { type: 'network', network: next?.network ?? '', portgroup: next?.portgroup ?? null } })}
        />
      )}
      {source.type === 'bridge' && (
        <TextInput label={t('domainHardware.form.bridge')} value={source.bridge} onChange={(e) => onChange({ ...draft, source: { type: 'bridge', bridge: e.currentTarget.value } })} />
      )}
      {source.type === 'direct' && (
        <Group grow>
          <TextInput label={t('domainHardware.form.hostInterface')} value={source.dev} onChange={(e) => onChange({ ...draft, source: { ...source, dev: e.currentTarget.value } })} />
          <Select
            label={t('domainHardware.form.macvtapMode')}
            data={options(['bridge', 'vepa', 'private', 'passthrough'])}
            value={source.mode}
            onChange={(v) => v && onChange({ ...draft, source: { ...source, mode: v as typeof source.mode } })}
          />
        </Group>
      )}
      <Group grow align="flex-start">
        <Select label={t('domainHardware.form.model')} data={options(['virtio', 'e1000e', 'e1000', 'rtl8139'])} value={draft.model} onChange={(v) => v && onChange({ ...draft, model: v as typeof draft.model })} />
        <TextInput
          label={t('domainHardware.form.mac')}
          placeholder={t('domainHardware.form.macAuto')}
          value={draft.mac ?? ''}
          onChange={(e) => onChange({ ...draft, mac: textOrNull(e.currentTarget.value) })}
        />
        <NumberInput label={t('domainHardware.form.vlan')} min={0} max={4095} value={draft.vlan ?? ''} onChange={(v) => onChange({ ...draft, vlan: numberOrNull(v) })} />
        <Select
          label={t('domainHardware.form.link')}
          data={[
            { value: 'up', label: t('domainHardware.form.linkUp') },
            { value: 'down', label: t('domainHardware.form.linkDown') },
          ]}
          value={draft.link}
          onChange={(v) => v && onChange({ ...draft, link: v as 'up' | 'down' })}
        />
      </Group>
    </Stack>
  );
}

function ChrForm({ draft, onChange }: Props<'chr'>) {
  const { t } = useTranslation();
  const target = draft.target;
  return (
    <Stack gap="xs">
      <Select
        label={t('domainHardware.form.chrDevice')}
        data={[
          { value: 'serial', label: t('domainHardware.form.chr.serial') },
          { value: 'console', label: t('domainHardware.form.chr.console') },
          { value: 'channel', label: t('domainHardware.form.chr.channel') },
        ]}
        value={target.device}
        onChange={(v) =>
          v &&
          onChange({
            kind: 'chr',
            target:
              v === 'serial'
                ? { device: 'serial', targetType: 'isa-serial' }
                : v === 'console'
                  ? { device: 'console', targetType: 'virtio' }
                  : { device: 'channel', channel: 'guest-agent', name: null },
          })
        }
      />
      {target.device === 'serial' && (
        <Select
          label={t('domainHardware.form.targetType')}
          data={options(['isa-serial', 'usb-serial', 'pci-serial'])}
          value={target.targetType}
          onChange={(v) => v && onChange({ kind: 'chr', target: { ...target, targetType: v as typeof target.targetType } })}
        />
      )}
      {target.device === 'console' && (
        <Select
          label={t('domainHardware.form.targetType')}
          data={options(['virtio', 'serial'])}
          value={target.targetType}
          onChange={(v) => v && onChange({ kind: 'chr', target: { ...target, targetType: v as typeof target.targetType } })}
        />
      )}
      {target.device === 'channel' && (
        <Group grow>
          <Select
            label={t('domainHardware.form.channel')}
            data={[
              { value: 'guest-agent', label: t('domainHardware.form.chr.guestAgent') },
              { value: 'spice-vdagent', label: t('domainHardware.form.chr.spiceAgent') },
              { value: 'custom', label: t('domainHardware.form.chr.custom') },
            ]}
            value={target.channel}
            onChange={(v) => v && onChange({ kind: 'chr', target: { ...target, channel: v as typeof target.channel, name: v === 'custom' ? 'org.example.0' : null } })}
          />
          {target.channel === 'custom' && (
            <TextInput label={t('domainHardware.form.channelName')} value={target.name ?? ''} onChange={(e) => onChange({ kind: 'chr', target: { ...target, name: e.currentTarget.value } })} />
          )}
        </Group>
      )}
    </Stack>
  );
}

/** The form of one device kind. */
export function HardwareForm({ hostId, draft, onChange }: { hostId: string; draft: HardwareDraft; onChange(next: HardwareDraft): void }) {
  const { t } = useTranslation();
  switch (draft.kind) {
    case 'disk':
      return <DiskForm hostId={hostId} draft={draft} onChange={onChange} />;
    case 'cdrom':
      return <CdromForm hostId={hostId} draft={draft} onChange={onChange} />;
    case 'nic':
      return <NicForm hostId={hostId} draft={draft} onChange={onChange} />;
    case 'chr':
      return <ChrForm hostId={hostId} draft={draft} onChange={onChange} />;
    case 'graphics':
      return (
        <Group grow align="flex-start">
          <Select label={t('domainHardware.form.type')} data={options(['vnc', 'spice'])} value={draft.type} onChange={(v) => v && onChange({ ...draft, type: v as 'vnc' | 'spice' })} />
          <TextInput label={t('domainHardware.form.listen')} value={draft.listen} onChange={(e) => onChange({ ...draft, listen: e.currentTarget.value })} />
          <NumberInput label={t('domainHardware.form.port')} placeholder={t('domainHardware.form.portAuto')} min={5900} max={65535} value={draft.port ?? ''} onChange={(v) => onChange({ ...draft, port: numberOrNull(v) })} />
          <PasswordInput label={t('domainHardware.form.password')} value={draft.password ?? ''} onChange={(e) => onChange({ ...draft, password: e.currentTarget.value === '' ? null : e.currentTarget.value })} />
        </Group>
      );
    case 'video':
      return (
        <Group grow>
          <Select label={t('domainHardware.form.model')} data={options(['virtio', 'qxl', 'vga', 'bochs', 'cirrus', 'ramfb'])} value={draft.model} onChange={(v) => v && onChange({ ...draft, model: v as typeof draft.model })} />
          <NumberInput label={t('domainHardware.form.heads')} min={1} max={16} value={draft.heads} onChange={(v) => onChange({ ...draft, heads: Number(v || 1) })} />
        </Group>
      );
    case 'sound':
      return <Select label={t('domainHardware.form.model')} data={options(['ich9', 'ich6', 'ac97', 'es1370', 'sb16', 'usb'])} value={draft.model} onChange={(v) => v && onChange({ ...draft, model: v as typeof draft.model })} />;
    case 'input':
      return (
        <Group grow>
          <Select label={t('domainHardware.form.type')} data={options(['tablet', 'mouse', 'keyboard'])} value={draft.type} onChange={(v) => v && onChange({ ...draft, type: v as typeof draft.type })} />
          <Select label={t('domainHardware.form.bus')} data={options(['usb', 'virtio', 'ps2'])} value={draft.bus} onChange={(v) => v && onChange({ ...draft, bus: v as typeof draft.bus })} />
        </Group>
      );
    case 'rng':
      return (
        <Group grow align="flex-start">
          <Select label={t('domainHardware.form.rngSource')} data={options(['/dev/urandom', '/dev/random', '/dev/hwrng'])} value={draft.source} onChange={(v) => v && onChange({ ...draft, source: v as typeof draft.source })} />
          <NumberInput label={t('domainHardware.form.rateBytes')} min={1} value={draft.rateBytes ?? ''} onChange={(v) => onChange({ ...draft, rateBytes: numberOrNull(v) })} />
          <NumberInput label={t('domainHardware.form.periodMs')} min={1} value={draft.periodMs ?? ''} onChange={(v) => onChange({ ...draft, periodMs: numberOrNull(v) })} />
        </Group>
      );
    case 'watchdog':
      return (
        <Group grow>
          <Select label={t('domainHardware.form.model')} data={options(['i6300esb', 'ib700', 'itco'])} value={draft.model} onChange={(v) => v && onChange({ ...draft, model: v as typeof draft.model })} />
          <Select
            label={t('domainHardware.form.action')}
            data={options(['reset', 'shutdown', 'poweroff', 'pause', 'none', 'dump', 'inject-nmi'])}
            value={draft.action}
            onChange={(v) => v && onChange({ ...draft, action: v as typeof draft.action })}
          />
        </Group>
      );
    case 'tpm':
      return (
        <Group grow align="flex-start">
          <Select label={t('domainHardware.form.model')} data={options(['tpm-crb', 'tpm-tis'])} value={draft.model} onChange={(v) => v && onChange({ ...draft, model: v as typeof draft.model })} />
          <Select label={t('domainHardware.form.backend')} data={options(['emulator', 'passthrough'])} value={draft.backend} onChange={(v) => v && onChange({ ...draft, backend: v as typeof draft.backend })} />
          {draft.backend === 'emulator' ? (
            <Select label={t('domainHardware.form.version')} data={options(['2.0', '1.2'])} value={draft.version} onChange={(v) => v && onChange({ ...draft, version: v as typeof draft.version })} />
          ) : (
            <TextInput label={t('domainHardware.form.hostPath')} placeholder="/dev/tpm0" value={draft.path ?? ''} onChange={(e) => onChange({ ...draft, path: textOrNull(e.currentTarget.value) })} />
          )}
        </Group>
      );
    case 'usb-controller':
      return <Select label={t('domainHardware.form.model')} data={options(['qemu-xhci', 'nec-xhci', 'ich9-ehci1', 'piix3-uhci'])} value={draft.model} onChange={(v) => v && onChange({ ...draft, model: v as typeof draft.model })} />;
    case 'filesystem':
      return (
        <Stack gap="xs">
          <Group grow>
            <TextInput label={t('domainHardware.form.sharedDir')} value={draft.source} onChange={(e) => onChange({ ...draft, source: e.currentTarget.value })} />
            <TextInput label={t('domainHardware.form.tag')} value={draft.tag} onChange={(e) => onChange({ ...draft, tag: e.currentTarget.value })} />
          </Group>
          <Text size="xs" c="dimmed">
            {t('domainHardware.form.virtiofsHelp')}
          </Text>
        </Stack>
      );
    case 'hostdev':
      return <HostDevicePicker hostId={hostId} value={draft.device.name ? draft.device : null} onChange={(device) => onChange({ kind: 'hostdev', device })} />;
  }
}
