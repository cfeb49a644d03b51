import { Button, Checkbox, Group, NumberInput, Select, Stack, Table, Text, TextInput } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { TuningChange, TuningContext } from '../../../preload/api-contract';
import { PinningGrid } from './PinningGrid';

type Of<F extends TuningChange['form']> = Extract<TuningChange, { form: F }>;
interface FieldsProps<F extends TuningChange['form']> {
  context: TuningContext;
  value: Of<F>;
  onChange: (next: Of<F>) => void;
}

const MIB = 1024;
const num = (value: string | number, fallback: number) => (typeof value === 'number' && Number.isFinite(value) ? value : fallback);

/** The fields of whichever form `value` belongs to. */
export function FormFields({ context, value, onChange }: { context: TuningContext; value: TuningChange; onChange: (next: TuningChange) => void }) {
  switch (value.form) {
    case 'cpu':
      return <CpuFields context={context} value={value} onChange={onChange} />;
    case 'pinning':
      return <PinningGrid context={context} value={value} onChange={onChange} />;
    case 'memory':
      return <MemoryFields context={context} value={value} onChange={onChange} />;
    case 'numa':
      return <NumaFields context={context} value={value} onChange={onChange} />;
    case 'disk':
      return <DiskFields context={context} value={value} onChange={onChange} />;
    case 'nic':
      return <NicFields context={context} value={value} onChange={onChange} />;
    case 'boot':
      return <BootFields context={context} value={value} onChange={onChange} />;
    case 'graphics':
      return <GraphicsFields context={context} value={value} onChange={onChange} />;
    case 'tpm':
      return <TpmFields context={context} value={value} onChange={onChange} />;
  }
}

function CpuFields({ context, value, onChange }: FieldsProps<'cpu'>) {
  const { t } = useTranslation();
  return (
    <Stack gap="sm">
      <Group align="flex-end">
        <NumberInput label={t('domainTuning.cpu.vcpus')} min={1} max={value.maxVcpus} value={value.vcpus} onChange={(v) => onChange({ ...value, vcpus: num(v, value.vcpus) })} w={160} />
        <NumberInput label={t('domainTuning.cpu.maxVcpus')} min={1} max={4096} value={value.maxVcpus} onChange={(v) => onChange({ ...value, maxVcpus: num(v, value.maxVcpus) })} w={160} />
        {context.live && (
          <Text size="sm" c="dimmed">
            {t('domainTuning.cpu.live', { current: context.live.vcpus, max: context.live.maxVcpus })}
          </Text>
        )}
      </Group>
      <Text size="sm" c="dimmed">
        {t('domainTuning.cpu.hostThreads', { threads: context.host.threads })}
      </Text>
      <Group align="flex-end">
        <Select
          label={t('domainTuning.cpu.mode')}
          data={['host-passthrough', 'host-model', 'custom'].map((mode) => ({ value: mode, label: t(`domainTuning.cpu.modes.${mode}` as never) }))}
          value={value.mode}
          onChange={(mode) => mode && onChange({ ...value, mode: mode as Of<'cpu'>['mode'], model: mode === 'custom' ? (value.model ?? 'qemu64') : null })}
          allowDeselect={false}
          w={220}
        />
        {value.mode === 'custom' && (
          <TextInput label={t('domainTuning.cpu.model')} value={value.model ?? ''} onChange={(e) => onChange({ ...value, model: e.currentTarget.value })} w={220} />
        )}
      </Group>
      <Checkbox
        label={t('domainTuning.cpu.setTopology')}
        checked={value.topology !== null}
        onChange={(e) => onChange({ ...value, topology: e.currentTarget.checked ? { sockets: 1, cores: value.maxVcpus, threads: 1 } : null })}
      />
      {value.topology && (
        <Group>
          {(['sockets', 'cores', 'threads'] as const).map((key) => (
            <NumberInput
              key={key}
              label={t(`domainTuning.cpu.${key}`)}
              min={1}
              value={value.topology?.[key] ?? 1}
              onChange={(v) => value.topology && onChange({ ...value, topology: { ...value.topology, [key]: num(v, 1) } })}
              w={120}
            />
          ))}
        </Group>
      )}
    </Stack>
  );
}

function MemoryFields({ context, value, onChange }: FieldsProps<'memory'>) {
  const { t } = useTranslation();
  const hugeSizes = context.host.pageSizesKiB.slice(1);
  return (
    <Stack gap="sm">
      <Group align="flex-end">
        <NumberInput label={t('domainTuning.memory.current')} min={1} value={value.currentKiB / MIB} onChange={(v) => onChange({ ...value, currentKiB: Math.round(num(v, 0) * MIB) })} w={200} />
        <NumberInput label={t('domainTuning.memory.max')} min={1} value={value.maxKiB / MIB} onChange={(v) => onChange({ ...value, maxKiB: Math.round(num(v, 0) * MIB) })} w={200} />
        {context.live && (
          <Text size="sm" c="dimmed">
            {t('domainTuning.memory.live', { mib: Math.round(context.live.memoryKiB / MIB) })}
          </Text>
        )}
      </Group>
      <Text size="sm" c="dimmed">
        {t('domainTuning.memory.hostMemory', { mib: Math.round(context.host.memoryKiB / MIB) })}
      </Text>
      <Group align="flex-end">
        <Select
          label={t('domainTuning.memory.balloon')}
          data={['virtio', 'virtio-transitional', 'virtio-non-transitional', 'none']}
          value={value.balloonModel}
          onChange={(model) => model && onChange({ ...value, balloonModel: model as Of<'memory'>['balloonModel'], statsPeriod: model === 'none' ? null : value.statsPeriod })}
          allowDeselect={false}
          w={220}
        />
        <NumberInput
          label={t('domainTuning.memory.statsPeriod')}
          min={0}
          disabled={value.balloonModel === 'none'}
          value={value.statsPeriod ?? ''}
          onChange={(v) => onChange({ ...value, statsPeriod: typeof v === 'number' ? v : null })}
          w={200}
        />
      </Group>
      <Select
        label={t('domainTuning.memory.hugepages')}
        data={[
          { value: 'off', label: t('domainTuning.memory.hugepagesOff') },
          { value: 'default', label: t('domainTuning.memory.hugepagesDefault') },
          ...hugeSizes.map((size) => ({ value: String(size), label: `${size >= 1048576 ? `${size / 1048576} GiB` : `${size / 1024} MiB`}` })),
        ]}
        value={value.hugepages === null ? 'off' : value.hugepages.sizeKiB === null ? 'default' : String(value.hugepages.sizeKiB)}
        onChange={(choice) => onChange({ ...value, hugepages: !choice || choice === 'off' ? null : { sizeKiB: choice === 'default' ? null : Number(choice) } })}
        allowDeselect={false}
        w={260}
      />
      <Table withTableBorder aria-label={t('domainTuning.memory.pools')} w="fit-content">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t('domainTuning.memory.node')}</Table.Th>
            {hugeSizes.map((size) => (
              <Table.Th key={size}>{t('domainTuning.memory.pagesOf', { size: size >= 1048576 ? `${size / 1048576} GiB` : `${size / 1024} MiB` })}</Table.Th>
            ))}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {context.host.cells.map((cell) => (
            <Table.Tr key={cell.id}>
              <Table.Td>{cell.id}</Table.Td>
              {hugeSizes.map((size) => {
                const pool = cell.pages.find((p) => p.sizeKiB === size);
                return <Table.Td key={size}>{t('domainTuning.memory.freeOfTotal', { free: pool?.free ?? '?', total: pool?.total ?? 0 })}</Table.Td>;
              })}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Group>
        <Checkbox label={t('domainTuning.memory.locked')} checked={value.locked} onChange={(e) => onChange({ ...value, locked: e.currentTarget.checked })} />
        <Checkbox label={t('domainTuning.memory.nosharepages')} checked={value.nosharepages} onChange={(e) => onChange({ ...value, nosharepages: e.currentTarget.checked })} />
      </Group>
      <Group>
        <Select
          label={t('domainTuning.memory.source')}
          data={[{ value: '', label: t('domainTuning.default') }, 'anonymous', 'file', 'memfd']}
          value={value.source ?? ''}
          onChange={(v) => onChange({ ...value, source: (v || null) as Of<'memory'>['source'] })}
          allowDeselect={false}
          w={200}
        />
        <Select
          label={t('domainTuning.memory.access')}
          data={[{ value: '', label: t('domainTuning.default') }, 'shared', 'private']}
          value={value.access ?? ''}
          onChange={(v) => onChange({ ...value, access: (v || null) as Of<'memory'>['access'] })}
          allowDeselect={false}
          w={200}
        />
      </Group>
    </Stack>
  );
}

function NumaFields({ context, value, onChange }: FieldsProps<'numa'>) {
  const { t } = useTranslation();
  const setCell = (index: number, patch: Partial<Of<'numa'>['cells'][number]>) =>
    onChange({ ...value, cells: value.cells.map((cell, i) => (i === index ? { ...cell, ...patch } : cell)) });
  return (
    <Stack gap="sm">
      <Text size="sm" c="dimmed">
        {t('domainTuning.numa.hostNodes', { nodes: context.host.cells.map((c) => c.id).join(', ') })}
      </Text>
      <Checkbox
        label={t('domainTuning.numa.tune')}
        checked={value.numatune !== null}
        onChange={(e) => onChange({ ...value, numatune: e.currentTarget.checked ? { mode: 'strict', nodeset: String(context.host.cells[0]?.id ?? 0) } : null })}
      />
      {value.numatune && (
        <Group>
          <Select
            label={t('domainTuning.numa.mode')}
            data={['strict', 'preferred', 'interleave', 'restrictive']}
            value={value.numatune.mode}
            onChange={(mode) => mode && value.numatune && onChange({ ...value, numatune: { ...value.numatune, mode: mode as NonNullable<Of<'numa'>['numatune']>['mode'] } })}
            allowDeselect={false}
            w={180}
          />
          <TextInput label={t('domainTuning.numa.nodeset')} value={value.numatune.nodeset} onChange={(e) => value.numatune && onChange({ ...value, numatune: { ...value.numatune, nodeset: e.currentTarget.value } })} w={180} />
        </Group>
      )}
      <Text fw={500} size="sm">
        {t('domainTuning.numa.cells')}
      </Text>
      {value.cells.map((cell, index) => (
        <Group key={index} align="flex-end">
          <NumberInput label={t('domainTuning.numa.cellId')} value={cell.id} min={0} onChange={(v) => setCell(index, { id: num(v, 0) })} w={100} />
          <TextInput label={t('domainTuning.numa.cellCpus')} value={cell.cpus} onChange={(e) => setCell(index, { cpus: e.currentTarget.value })} w={160} />
          <NumberInput label={t('domainTuning.numa.cellMemory')} value={cell.memoryKiB / MIB} min={1} onChange={(v) => setCell(index, { memoryKiB: Math.round(num(v, 0) * MIB) })} w={180} />
          <Button variant="subtle" color="red" onClick={() => onChange({ ...value, cells: value.cells.filter((_, i) => i !== index) })}>
            {t('domainTuning.numa.remove')}
          </Button>
        </Group>
      ))}
      <Group>
        <Button
          variant="light"
          onClick={() =>
            onChange({ ...value, cells: [...value.cells, { id: value.cells.length, cpus: '0', memoryKiB: Math.max(1024, context.state.memory.maxKiB - value.cells.reduce((s, c) => s + c.memoryKiB, 0)) }] })
          }
        >
          {t('domainTuning.numa.addCell')}
        </Button>
      </Group>
    </Stack>
  );
}

function DiskFields({ context, value, onChange }: FieldsProps<'disk'>) {
  const { t } = useTranslation();
  const option = (list: readonly string[]) => [{ value: '', label: t('domainTuning.default') }, ...list];
  const disk = context.state.disks.find((d) => d.target === value.target);
  return (
    <Stack gap="sm">
      <Select
        label={t('domainTuning.disk.which')}
        data={context.state.disks.map((d) => ({ value: d.target, label: `${d.target} · ${d.device} · ${d.source ?? '–'}` }))}
        value={value.target}
        onChange={(target) => {
          const next = context.state.disks.find((d) => d.target === target);
          if (next) onChange({ form: 'disk', target: next.target, bus: next.bus, cache: next.cache, io: next.io, discard: next.discard, detectZeroes: next.detectZeroes, iothread: next.iothread });
        }}
        allowDeselect={false}
        w={420}
      />
      {disk && (
        <Text size="sm" c="dimmed">
          {disk.sourceType} · {disk.format ?? '–'}
        </Text>
      )}
      <Group>
        <Select label={t('domainTuning.disk.bus')} data={['virtio', 'scsi', 'sata', 'ide', 'usb']} value={value.bus} onChange={(v) => v && onChange({ ...value, bus: v as Of<'disk'>['bus'] })} allowDeselect={false} w={140} />
        <Select label={t('domainTuning.disk.cache')} data={option(['none', 'writethrough', 'writeback', 'directsync', 'unsafe'])} value={value.cache ?? ''} onChange={(v) => onChange({ ...value, cache: (v || null) as Of<'disk'>['cache'] })} allowDeselect={false} w={160} />
        <Select label={t('domainTuning.disk.io')} data={option(['native', 'threads', 'io_uring'])} value={value.io ?? ''} onChange={(v) => onChange({ ...value, io: (v || null) as Of<'disk'>['io'] })} allowDeselect={false} w={140} />
        <Select label={t('domainTuning.disk.discard')} data={option(['unmap', 'ignore'])} value={value.discard ?? ''} onChange={(v) => onChange({ ...value, discard: (v || null) as Of<'disk'>['discard'] })} allowDeselect={false} w={140} />
        <Select label={t('domainTuning.disk.detectZeroes')} data={option(['off', 'on', 'unmap'])} value={value.detectZeroes ?? ''} onChange={(v) => onChange({ ...value, detectZeroes: (v || null) as Of<'disk'>['detectZeroes'] })} allowDeselect={false} w={160} />
        <Select
          label={t('domainTuning.disk.iothread')}
          data={[{ value: '', label: t('domainTuning.none') }, ...Array.from({ length: context.state.iothreads }, (_, i) => String(i + 1))]}
          value={value.iothread === null ? '' : String(value.iothread)}
          onChange={(v) => onChange({ ...value, iothread: v ? Number(v) : null })}
          allowDeselect={false}
          w={140}
        />
      </Group>
    </Stack>
  );
}

function NicFields({ context, value, onChange }: FieldsProps<'nic'>) {
  const { t } = useTranslation();
  return (
    <Stack gap="sm">
      <Select
        label={t('domainTuning.nic.which')}
        data={context.state.nics.map((n) => ({ value: n.mac, label: `${n.mac} · ${n.source ?? '–'}` }))}
        value={value.mac}
        onChange={(mac) => {
          const next = context.state.nics.find((n) => n.mac === mac);
          if (next) onChange({ form: 'nic', mac: next.mac, model: next.model, queues: next.queues });
        }}
        allowDeselect={false}
        w={360}
      />
      <Group>
        <Select
          label={t('domainTuning.nic.model')}
          data={['virtio', 'virtio-transitional', 'virtio-non-transitional', 'e1000', 'e1000e', 'rtl8139', 'igb', 'vmxnet3']}
          value={value.model}
          onChange={(v) => v && onChange({ ...value, model: v, queues: v.startsWith('virtio') ? value.queues : null })}
          allowDeselect={false}
          w={220}
        />
        <NumberInput
          label={t('domainTuning.nic.queues')}
          min={1}
          max={256}
          disabled={!value.model.startsWith('virtio')}
          value={value.queues ?? ''}
          onChange={(v) => onChange({ ...value, queues: typeof v === 'number' ? v : null })}
          w={140}
        />
      </Group>
    </Stack>
  );
}

const BOOT_DEVICES = ['hd', 'cdrom', 'network', 'fd'] as const;

function BootFields({ context, value, onChange }: FieldsProps<'boot'>) {
  const { t } = useTranslation();
  if (context.state.boot.perDevice) return <Text size="sm">{t('domainTuning.boot.perDevice')}</Text>;
  const slots = [...value.order, ...(value.order.length < BOOT_DEVICES.length ? [null] : [])];
  return (
    <Stack gap="sm">
      {slots.map((device, index) => (
        <Select
          key={index}
          label={t('domainTuning.boot.position', { n: index + 1 })}
          data={[
            { value: '', label: t('domainTuning.none') },
            ...BOOT_DEVICES.filter((d) => d === device || !value.order.includes(d)).map((d) => ({ value: d, label: t(`domainTuning.boot.devices.${d}`) })),
          ]}
          value={device ?? ''}
          onChange={(v) => {
            const order = [...value.order];
            if (!v) order.splice(index, 1);
            else order[index] = v as (typeof BOOT_DEVICES)[number];
            onChange({ ...value, order });
          }}
          allowDeselect={false}
          w={240}
        />
      ))}
    </Stack>
  );
}

function GraphicsFields({ context, value, onChange }: FieldsProps<'graphics'>) {
  const { t } = useTranslation();
  return (
    <Stack gap="sm">
      <Select
        label={t('domainTuning.graphics.which')}
        data={context.state.graphics.map((g) => ({ value: String(g.index), label: `#${g.index} ${g.type.toUpperCase()}` }))}
        value={String(value.index)}
        onChange={(index) => {
          const next = context.state.graphics.find((g) => String(g.index) === index);
          if (next) onChange(next);
        }}
        allowDeselect={false}
        w={220}
      />
      <Group align="flex-end">
        <Select label={t('domainTuning.graphics.type')} data={['vnc', 'spice']} value={value.type} onChange={(v) => v && onChange({ ...value, type: v as 'vnc' | 'spice' })} allowDeselect={false} w={140} />
        <Select
          label={t('domainTuning.graphics.listen')}
          data={(['address', 'socket', 'none'] as const).map((type) => ({ value: type, label: t(`domainTuning.graphics.listenTypes.${type}`) }))}
          value={value.listen.type}
          onChange={(type) =>
            onChange({ ...value, listen: type === 'address' ? { type: 'address', address: '127.0.0.1' } : type === 'socket' ? { type: 'socket' } : { type: 'none' } })
          }
          allowDeselect={false}
          w={200}
        />
        {value.listen.type === 'address' && (
          <TextInput label={t('domainTuning.graphics.address')} value={value.listen.address} onChange={(e) => onChange({ ...value, listen: { type: 'address', address: e.currentTarget.value } })} w={200} />
        )}
      </Group>
    </Stack>
  );
}

function TpmFields({ value, onChange }: FieldsProps<'tpm'>) {
  const { t } = useTranslation();
  return (
    <Stack gap="sm">
      <Checkbox label={t('domainTuning.tpm.enabled')} checked={value.tpm !== null} onChange={(e) => onChange({ ...value, tpm: e.currentTarget.checked ? { model: 'tpm-crb', version: '2.0' } : null })} />
      {value.tpm && (
        <Group>
          <Select label={t('domainTuning.tpm.model')} data={['tpm-crb', 'tpm-tis']} value={value.tpm.model} onChange={(v) => v && value.tpm && onChange({ ...value, tpm: { ...value.tpm, model: v as 'tpm-crb' | 'tpm-tis' } })} allowDeselect={false} w={160} />
          <Select label={t('domainTuning.tpm.version')} data={['2.0', '1.2']} value={value.tpm.version} onChange={(v) => v && value.tpm && onChange({ ...value, tpm: { ...value.tpm, version: v as '2.0' | '1.2' } })} allowDeselect={false} w={120} />
        </Group>
      )}
    </Stack>
  );
}
