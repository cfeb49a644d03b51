import { Badge, Tooltip } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { HostStatus } from '../../../preload/api-contract';

const COLORS = {
  disconnected: 'gray',
  connecting: 'blue',
  connected: 'teal',
  'needs-input': 'yellow',
  unreachable: 'red',
  lost: 'orange',
} as const;

/** A host's connection state as text (never colour alone), with the detail on hover. */
export function HostStatusBadge({ status }: { status: HostStatus | undefined }) {
  const { t } = useTranslation();
  const state = status?.state ?? { kind: 'disconnected' as const };
  let detail = '';
  if (state.kind === 'connected') {
    detail = t('hosts.status.versions', { hostname: state.hostname, libvirt: state.libvirtVersion, qemu: state.hypervisorVersion });
  } else if (state.kind === 'unreachable' || state.kind === 'lost') {
    detail = state.reason;
  }
  // Waiting for a start-up slot (many hosts connecting at once) is not failing: it says so.
  const queued = state.kind === 'connecting' && state.step === 'queued';
  const label =
    state.kind === 'unreachable' && state.hostKeyChanged
      ? t('hosts.status.hostKeyChanged')
      : queued
        ? t('hosts.status.queued')
        : t(`hosts.status.${state.kind}`);
  const badge = (
    <Badge
      variant={state.kind === 'unreachable' && state.hostKeyChanged ? 'filled' : 'light'}
      color={queued ? 'gray' : COLORS[state.kind]}
      data-testid="host-status"
      data-state={state.kind}
      {...(state.kind === 'connecting' ? { 'data-step': state.step } : {})}
    >
      {label}
    </Badge>
  );
  return detail ? (
    <Tooltip label={detail} multiline maw={420}>
      {badge}
    </Tooltip>
  ) : (
    badge
  );
}
