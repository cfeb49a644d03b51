import { useCallback, useEffect, useRef, useState } from 'react';
import { List, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useTranslation } from 'react-i18next';
import {
  DESTRUCTIVE_ACTIONS,
  type DomainAction,
  type DomainActionItemResult,
  type DomainActionProgress,
  type FleetDomain,
} from '../../../preload/api-contract';
import { errorMessage } from '../api';
import { useApi } from '../api/api-context';
import { actionApplies } from './domain-actions';

export type DestructiveAction = (typeof DESTRUCTIVE_ACTIONS)[number];

export interface PendingConfirmation {
  action: DestructiveAction;
  domains: FleetDomain[];
}

function isDestructive(action: DomainAction): action is DestructiveAction {
  return (DESTRUCTIVE_ACTIONS as readonly DomainAction[]).includes(action);
}

/**
 * Runs an action on many guests across hosts: skips guests it does not apply to, asks confirmation for
 * destructive actions (with the names), and shows per-item progress and results in one notification.
 */
export function useDomainActions() {
  const { t } = useTranslation();
  const api = useApi();
  const [confirming, setConfirming] = useState<PendingConfirmation | null>(null);
  const progress = useRef(new Map<string, Map<string, DomainActionProgress>>());

  useEffect(
    () =>
      api.subscribe('domains.actionProgress', (event) => {
        const items = progress.current.get(event.actionId);
        if (!items) return;
        items.set(`${event.item.hostId}/${event.item.uuid}`, event);
        const done = [...items.values()].filter((item) => item.status !== 'running').length;
        notifications.update({
          id: event.actionId,
          loading: true,
          autoClose: false,
          message: t('actions.progress', { done, total: items.size }),
        });
      }),
    [api, t],
  );

  const execute = useCallback(
    async (action: DomainAction, domains: FleetDomain[], removeStoragePaths?: string[]) => {
      const actionId = crypto.randomUUID();
      progress.current.set(actionId, new Map());
      const title = t(`actions.names.${action}`);
      notifications.show({
        id: actionId,
        loading: true,
        autoClose: false,
        withCloseButton: false,
        title,
        message: t('actions.progress', { done: 0, total: domains.length }),
      });
      let results: DomainActionItemResult[];
      try {
        results = await api.call('domains.act', {
          actionId,
          action,
          targets: domains.map(({ hostId, uuid }) => ({ hostId, uuid })),
          ...(removeStoragePaths ? { removeStoragePaths } : {}),
        });
      } catch (error) {
        notifications.update({
          id: actionId,
          loading: false,
          color: 'red',
          title,
          message: errorMessage(error),
          autoClose: false,
          withCloseButton: true,
        });
        return;
      } finally {
        progress.current.delete(actionId);
      }
      const failed = results.filter((r): r is Extract<DomainActionItemResult, { ok: false }> => !r.ok);
      notifications.update({
        id: actionId,
        loading: false,
        color: failed.length === 0 ? 'teal' : failed.length === results.length ? 'red' : 'yellow',
        title,
        withCloseButton: true,
        autoClose: failed.length === 0 ? 4_000 : false,
        message: (
          <div data-testid="action-result">
            <Text size="sm">
              {t('actions.result', { ok: results.length - failed.length, failed: failed.length })}
            </Text>
            {failed.length > 0 && (
              <List size="xs" mt={4}>
                {failed.map((item) => (
                  <List.Item key={`${item.hostId}/${item.uuid}`}>
                    <b>{item.name}</b>: {item.error.message}
                  </List.Item>
                ))}
              </List>
            )}
          </div>
        ),
      });
    },
    [api, t],
  );

  /** Entry point for buttons, menus and shortcuts. */
  const request = useCallback(
    (action: DomainAction, selected: FleetDomain[]) => {
      const domains = selected.filter((domain) => actionApplies(action, domain));
      if (domains.length === 0) {
        notifications.show({
          color: 'gray',
          message: t('actions.nothingApplies', { action: t(`actions.names.${action}`) }),
        });
        return;
      }
      if (isDestructive(action)) setConfirming({ action, domains });
      else void execute(action, domains);
    },
    [execute, t],
  );

  /** The confirmation dialog's answers: run the pending action (with the ticked volumes), or drop it. */
  const confirm = useCallback(
    (removeStoragePaths?: string[]) => {
      const pending = confirming;
      setConfirming(null);
      if (pending) void execute(pending.action, pending.domains, removeStoragePaths);
    },
    [confirming, execute],
  );
  const cancel = useCallback(() => setConfirming(null), []);

  return { request, confirming, confirm, cancel };
}
