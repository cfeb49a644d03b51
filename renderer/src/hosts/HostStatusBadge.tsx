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
  const label =
    state.kind === 'unreachable' && state.hostKeyChanged ? t('hosts.status.hostKeyChanged') : t(`hosts.status.${state.kind}`);
  const badge = (
    <Badge
      variant={state.kind === 'unreachable' && state.hostKeyChanged ? 'filled' : 'light'}
      color={COLORS[state.kind]}
      data-testid="host-status"
      data-state={state.kind}
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
