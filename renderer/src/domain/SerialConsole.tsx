import '@xterm/xterm/css/xterm.css';
import { useEffect, useRef, useState } from 'react';
import { useReconnectWhenHostReturns } from './use-reconnect-when-host-returns';
import { Alert, Badge, Button, Group, Stack } from '@mantine/core';
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import { useTranslation } from 'react-i18next';
import { ApiCallError, type ByteChannel } from '../api';
import { useApi } from '../api/api-context';

export type SerialConsoleState =
  | { kind: 'connecting' }
  | { kind: 'connected' }
  | { kind: 'disconnected'; reason: string | null }
  | { kind: 'busy' };

/**
 * A guest's serial console in xterm.js over a `console.serial` stream. Copy and paste work the usual
 * xterm way (select to copy, paste from the clipboard). When another client holds the console the
 * user can take it over (the stream reopens with force).
 */
export function SerialConsole({ hostId, domainUuid }: { hostId: string; domainUuid: string }) {
  const { t } = useTranslation();
  const api = useApi();
  const containerRef = useRef<HTMLDivElement>(null);
  const terminalRef = useRef<Terminal | null>(null);
  const channelRef = useRef<ByteChannel | null>(null);
  const [state, setState] = useState<SerialConsoleState>({ kind: 'connecting' });
  const [attempt, setAttempt] = useState({ count: 0, force: false });

  // The terminal lives as long as the panel; sessions come and go underneath it.
  useEffect(() => {
    const container = containerRef.current;
    if (!container) return;
    const terminal = new Terminal({
      cursorBlink: true,
      fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace',
      fontSize: 14,
      scrollback: 5000,
    });
    const fit = new FitAddon();
    terminal.loadAddon(fit);
    terminal.open(container);
    const refit = () => {
      try {
        fit.fit();
      } catch {
        // not laid out yet
      }
    };
    refit();
    const observer = new ResizeObserver(refit);
    observer.observe(container);
    const encoder = new TextEncoder();
    const input = terminal.onData((data) => channelRef.current?.send(encoder.encode(data)));
    terminalRef.current = terminal;
    return () => {
      observer.disconnect();
      input.dispose();
      terminal.dispose();
      terminalRef.current = null;
    };
  }, []);

  useEffect(() => {
    let live = true;
    let channel: ByteChannel | null = null;
    setState({ kind: 'connecting' });
    // Deferred a tick so that a mount that is immediately undone (StrictMode) opens nothing.
    const timer = setTimeout(() => {
      api.openStream('console.serial', { hostId, domainUuid, force: attempt.force }).then(
        (opened) => {
          if (!live) {
            opened.close();
            return;
          }
          channel = opened;
          channelRef.current = opened;
          setState({ kind: 'connected' });
          opened.onData((data) => terminalRef.current?.write(data));
          opened.onClose((info) => {
            if (!live) return;
            channelRef.current = null;
            setState({ kind: 'disconnected', reason: info.error?.message ?? null });
          });
          terminalRef.current?.focus();
        },
        (error: unknown) => {
          if (!live) return;
          if (error instanceof ApiCallError && error.error.code === 'conflict') setState({ kind: 'busy' });
          else
            setState({
              kind: 'disconnected',
              reason: error instanceof Error ? error.message : String(error),
            });
        },
      );
    }, 0);
    return () => {
      live = false;
      clearTimeout(timer);
      channel?.close();
      channelRef.current = null;
    };
  }, [api, hostId, domainUuid, attempt]);

  const reconnect = (force: boolean) => setAttempt((previous) => ({ count: previous.count + 1, force }));
  useReconnectWhenHostReturns(hostId, state.kind === 'disconnected', () => reconnect(false));

  return (
    <Stack gap="xs" data-testid="serial-console" data-state={state.kind}>
      <Group gap="xs" justify="space-between">
        <Badge
          variant="light"
          color={state.kind === 'connected' ? 'green' : state.kind === 'connecting' ? 'blue' : 'gray'}
          data-testid="serial-console-state"
        >
          {t(`domain.serial.state.${state.kind}`)}
        </Badge>
        {state.kind === 'connected' && (
          <Button size="xs" variant="subtle" onClick={() => channelRef.current?.close()}>
            {t('domain.serial.disconnect')}
          </Button>
        )}
      </Group>
      {state.kind === 'busy' && (
        <Alert color="yellow" title={t('domain.serial.busyTitle')}>
          <Group gap="sm" justify="space-between">
            <span>{t('domain.serial.busy')}</span>
            <Button size="xs" color="yellow" onClick={() => reconnect(true)}>
              {t('domain.serial.takeOver')}
            </Button>
          </Group>
        </Alert>
      )}
      {state.kind === 'disconnected' && (
        <Alert color="gray" title={t('domain.serial.state.disconnected')}>
          <Group gap="sm" justify="space-between">
            <span>{state.reason ?? t('domain.serial.ended')}</span>
            <Button size="xs" variant="light" onClick={() => reconnect(false)}>
              {t('domain.serial.reconnect')}
            </Button>
          </Group>
        </Alert>
      )}
      <div
        ref={containerRef}
        data-testid="serial-terminal"
        style={{
          height: 'calc(100vh - 320px)',
          minHeight: 240,
          padding: 6,
          background: '#000',
          borderRadius: 4,
          opacity: state.kind === 'connected' ? 1 : 0.6,
        }}
      />
    </Stack>
  );
}
