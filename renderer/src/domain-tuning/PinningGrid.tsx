import { Checkbox, ScrollArea, Table, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { formatCpuset, type TuningChange, type TuningContext } from '../../../preload/api-contract';
import { parseCpuset } from './cpuset';

type Pinning = Extract<TuningChange, { form: 'pinning' }>;

/**
 * A grid of the host's CPUs, grouped by NUMA node, socket and core (threads of a core side by side),
 * with one row per vCPU, the emulator and each IOThread. An empty row means "not pinned".
 */
export function PinningGrid({ context, value, onChange }: { context: TuningContext; value: Pinning; onChange: (next: Pinning) => void }) {
  const { t } = useTranslation();
  const columns = context.host.cells.flatMap((cell) =>
    [...cell.cpus]
      .sort((a, b) => a.socket - b.socket || a.die - b.die || a.core - b.core || a.id - b.id)
      .map((cpu) => ({ ...cpu, node: cell.id })),
  );
  const rows: Array<{ key: string; label: string; cpuset: string | null; set: (cpuset: string | null) => Pinning; live?: string }> = [
    ...value.vcpus.map((pin, index) => ({
      key: `vcpu-${pin.vcpu}`,
      label: t('domainTuning.pinning.vcpu', { n: pin.vcpu }),
      cpuset: pin.cpuset,
      live: context.live?.vcpuPins[pin.vcpu],
      set: (cpuset: string | null) => ({ ...value, vcpus: value.vcpus.map((p, i) => (i === index ? { ...p, cpuset } : p)) }),
    })),
    { key: 'emulator', label: t('domainTuning.pinning.emulator'), cpuset: value.emulator, set: (cpuset) => ({ ...value, emulator: cpuset }) },
    ...value.iothreads.map((pin, index) => ({
      key: `iothread-${pin.iothread}`,
      label: t('domainTuning.pinning.iothread', { n: pin.iothread }),
      cpuset: pin.cpuset,
      set: (cpuset: string | null) => ({ ...value, iothreads: value.iothreads.map((p, i) => (i === index ? { ...p, cpuset } : p)) }),
    })),
  ];
  const toggle = (row: (typeof rows)[number], cpu: number, on: boolean) => {
    const current = row.cpuset ? (parseCpuset(row.cpuset) ?? []) : [];
    const next = on ? [...current, cpu] : current.filter((c) => c !== cpu);
    onChange(row.set(next.length > 0 ? formatCpuset(next) : null));
  };
  return (
    <ScrollArea type="auto">
      <Table withTableBorder withColumnBorders aria-label={t('domainTuning.pinning.grid')} w="fit-content">
        <Table.Thead>
          <Table.Tr>
            <Table.Th />
            {context.host.cells.map((cell) => (
              <Table.Th key={cell.id} colSpan={cell.cpus.length} ta="center">
                {t('domainTuning.pinning.node', { n: cell.id })}
              </Table.Th>
            ))}
            <Table.Th />
          </Table.Tr>
          <Table.Tr>
            <Table.Th>{t('domainTuning.pinning.what')}</Table.Th>
            {columns.map((cpu) => (
              <Table.Th key={cpu.id} ta="center" title={t('domainTuning.pinning.cpuTitle', { cpu: cpu.id, socket: cpu.socket, core: cpu.core, siblings: cpu.siblings })}>
                <Text size="xs" c="dimmed">
                  {t('domainTuning.pinning.socketCore', { socket: cpu.socket, core: cpu.core })}
                </Text>
                {cpu.id}
              </Table.Th>
            ))}
            <Table.Th>{t('domainTuning.pinning.cpuset')}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((row) => {
            const pinned = row.cpuset ? (parseCpuset(row.cpuset) ?? []) : [];
            return (
              <Table.Tr key={row.key}>
                <Table.Th>{row.label}</Table.Th>
                {columns.map((cpu) => (
                  <Table.Td key={cpu.id} ta="center">
                    <Checkbox
                      aria-label={t('domainTuning.pinning.pinTo', { what: row.label, cpu: cpu.id })}
                      checked={pinned.includes(cpu.id)}
                      onChange={(e) => toggle(row, cpu.id, e.currentTarget.checked)}
                      styles={{ body: { justifyContent: 'center' } }}
                    />
                  </Table.Td>
                ))}
                <Table.Td>
                  <Text size="sm" ff="monospace">
                    {row.cpuset ?? t('domainTuning.pinning.unpinned')}
                  </Text>
                  {row.live !== undefined && (
                    <Text size="xs" c="dimmed">
                      {t('domainTuning.pinning.liveNow', { cpuset: row.live })}
                    </Text>
                  )}
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </ScrollArea>
  );
}
