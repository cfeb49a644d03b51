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
import { memo, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import type { DomainState } from '../../../preload/api-contract';
import classes from './FleetTable.module.css';

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

const ICON_CLASS: Record<string, string | undefined> = {
  teal: classes.stateTeal,
  yellow: classes.stateYellow,
  orange: classes.stateOrange,
  gray: classes.stateGray,
  red: classes.stateRed,
};

/**
 * The same icon + text as DomainStateBadge, for the fleet table's rows: plain elements with CSS classes
 * instead of Mantine's Group and Text (a row renders it for every guest that comes into view while
 * typing or scrolling), memoised per state, with the table's `t` (no hook of its own).
 */
export const DomainStateLabel = memo(function DomainStateLabel({ state, t }: { state: DomainState; t: TFunction }) {
  const look = LOOK[state];
  return (
    <span className={classes.stateLabel}>
      <span aria-hidden className={`${classes.stateIcon} ${ICON_CLASS[look.color] ?? ''}`}>
        {look.icon}
      </span>
      {t(`fleet.state.${state}`)}
    </span>
  );
});
