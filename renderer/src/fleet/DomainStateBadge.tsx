import { Group, Text } from '@mantine/core';
import {
  IconAlertTriangle,
  IconCircleDashed,
  IconPlayerPauseFilled,
  IconPlayerPlayFilled,
  IconPlayerStopFilled,
  IconPower,
  IconZzz,
} from '@tabler/icons-react';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { DomainState } from '../../../preload/api-contract';

const LOOK: Record<DomainState, { color: string; icon: ReactNode }> = {
  running: { color: 'teal', icon: <IconPlayerPlayFilled size={14} /> },
  blocked: { color: 'teal', icon: <IconPlayerPlayFilled size={14} /> },
  paused: { color: 'yellow', icon: <IconPlayerPauseFilled size={14} /> },
  pmsuspended: { color: 'yellow', icon: <IconZzz size={14} /> },
  shutdown: { color: 'orange', icon: <IconPower size={14} /> },
  shutoff: { color: 'gray', icon: <IconPlayerStopFilled size={14} /> },
  crashed: { color: 'red', icon: <IconAlertTriangle size={14} /> },
  nostate: { color: 'gray', icon: <IconCircleDashed size={14} /> },
};

/** A domain's state as icon + text (never colour alone). */
export function DomainStateBadge({ state }: { state: DomainState }) {
  const { t } = useTranslation();
  const look = LOOK[state];
  return (
    <Group gap={6} wrap="nowrap" c={`${look.color}.7`}>
      <span aria-hidden style={{ display: 'inline-flex' }}>
        {look.icon}
      </span>
      <Text size="sm" c="var(--mantine-color-text)">
        {t(`fleet.state.${state}`)}
      </Text>
    </Group>
  );
}
