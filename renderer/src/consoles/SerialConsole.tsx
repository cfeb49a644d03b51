import '@xterm/xterm/css/xterm.css';
import { useEffect, useRef, useState } from 'react';
import { useReconnectWhenHostReturns } from './use-reconnect-when-host-returns';
import { ActionIcon, Alert, Badge, Button, Group, Select, Stack, TextInput, Tooltip } from '@mantine/core';
import { FitAddon } from '@xterm/addon-fit';
import { SearchAddon } from '@xterm/addon-search';
import { Terminal } from '@xterm/xterm';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import type { DomainDetails } from '../../../preload/api-contract';
import { ApiCallError, errorMessage, type ByteChannel } from '../api';
import { useApi } from '../api/api-context';
import { OpenWindowButton } from './console-parts';
import { textConsoleDevices } from './serial-devices';

export type SerialConsoleState =
  | { kind: 'connecting' }
  | { kind: 'connected' }
  | { kind: 'disconnected'; reason: string | null }
  | { kind: 'busy' };

/** A text console device of the guest: its alias names it to libvirt. */
export interface SerialDevice {
  alias: string;
  label: string;
}

/** The guest's text consoles as the device picker shows them. */
export function serialDeviceOptions(consoles: DomainDetails['consoles'], t: TFunction): SerialDevice[] {
  return textConsoleDevices(consoles).map((device) => ({
    alias: device.alias,
    label:
      device.kind === 'serial'
        ? t('domain.serial.deviceSerial', { alias: device.alias, port: device.port ?? 0 })
        : t('domain.serial.deviceConsole', { alias: device.alias, type: device.targetType ?? '', port: device.port ?? 0 }),
  }));
}

/**
 * A guest's serial console in xterm.js over a `console.serial` stream. Copy and paste work the usual
 * xterm way (select to copy, paste from the clipboard) and from the toolbar; search finds text in the
 * scrollback. When the guest has several text consoles the user picks one. When another client holds
 * the console the user can take it over (the stream reopens with force).
 */
export function SerialConsole({
  hostId,
  domainUuid,
  devices = [],
  initialDevice = null,
  detached = false,
}: {
  hostId: string;
  domainUuid: string;
  devices?: SerialDevice[];
  /** The device to open first (a console window opened for one device); default the first. */
  initialDevice?: string | null;
  /** Shown in a console window of its own: no "open in a new window" button. */
  detached?: boolean;
}) {
  const { t } = useTranslation();
  const api = useApi();
  const containerRef = useRef<HTMLDivElement>(null);
  const terminalRef = useRef<Terminal | null>(null);
  const searchRef = useRef<SearchAddon | null>(null);
  const channelRef = useRef<ByteChannel | null>(null);
  const [state, setState] = useState<SerialConsoleState>({ kind: 'connecting' });
  const [attempt, setAttempt] = useState({ count: 0, force: false });
  const [device, setDevice] = useState<string | null>(initialDevice ?? devices[0]?.alias ?? null);
  const [query, setQuery] = useState('');
  const [found, setFound] = useState<{ index: number; count: number } | null>(null);

  // The terminal lives as long as the panel; sessions come and go underneath it.
  useEffect(() => {
    const container = containerRef.current;
    if (!container) return;
    const terminal = new Terminal({
      cursorBlink: true,
      fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace',
      fontSize: 14,
      scrollback: 5000,
      allowProposedApi: true, // the search addon's match decorations use it
    });
    const fit = new FitAddon();
    terminal.loadAddon(fit);
    const search = new SearchAddon();
    terminal.loadAddon(search);
    const results = search.onDidChangeResults(({ resultIndex, resultCount }) =>
      setFound({ index: resultIndex, count: resultCount }),
    );
    searchRef.current = search;
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
      results.dispose();
      terminal.dispose();
      terminalRef.current = null;
      searchRef.current = null;
    };
  }, []);

  useEffect(() => {
    let live = true;
    let channel: ByteChannel | null = null;
    setState({ kind: 'connecting' });
    // Deferred a tick so that a mount that is immediately undone (StrictMode) opens nothing.
    const timer = setTimeout(() => {
      api.openStream('console.serial', { hostId, domainUuid, force: attempt.force, device }).then(
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
              reason: errorMessage(error),
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
  }, [api, hostId, domainUuid, attempt, device]);

  const chooseDevice = (alias: string | null) => {
    if (!alias || alias === device) return;
    terminalRef.current?.reset();
    setDevice(alias);
  };
  const searchOptions = {
    decorations: {
      matchBackground: '#5c4b00',
      activeMatchBackground: '#b38f00',
      matchOverviewRuler: '#888888',
      activeMatchColorOverviewRuler: '#ffdd00',
    },
  };
  const findNext = () => {
    if (query) searchRef.current?.findNext(query, searchOptions);
  };
  const findPrevious = () => {
    if (query) searchRef.current?.findPrevious(query, searchOptions);
  };
  const copySelection = () => {
    const selection = terminalRef.current?.getSelection() ?? '';
    if (selection) void navigator.clipboard.writeText(selection);
  };
  const pasteClipboard = () => {
    navigator.clipboard.readText().then(
      (text) => terminalRef.current?.paste(text),
      () => undefined, // permission refused: the user can still paste with the keyboard
    );
    terminalRef.current?.focus();
  };

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
        <Group gap="xs">
          {devices.length > 1 && (
            <Select
              size="xs"
              aria-label={t('domain.serial.device')}
              data={devices.map((d) => ({ value: d.alias, label: d.label }))}
              value={device}
              onChange={chooseDevice}
              allowDeselect={false}
              w={240}
            />
          )}
          <TextInput
            size="xs"
            aria-label={t('domain.serial.search')}
            placeholder={t('domain.serial.search')}
            value={query}
            onChange={(event) => {
              setQuery(event.currentTarget.value);
              setFound(null);
              if (!event.currentTarget.value) searchRef.current?.clearDecorations();
            }}
            onKeyDown={(event) => {
              if (event.key === 'Enter') (event.shiftKey ? findPrevious : findNext)();
              if (event.key === 'Escape') {
                setQuery('');
                searchRef.current?.clearDecorations();
                terminalRef.current?.focus();
              }
            }}
            w={180}
            rightSectionWidth={70}
            rightSection={
              query ? (
                <span data-testid="serial-search-count" style={{ fontSize: 11, opacity: 0.7 }}>
                  {found ? t('domain.serial.searchCount', { index: found.index + 1, count: found.count }) : ''}
                </span>
              ) : null
            }
          />
          <Tooltip label={t('domain.serial.findPrevious')}>
            <ActionIcon size="md" variant="subtle" aria-label={t('domain.serial.findPrevious')} onClick={findPrevious}>
              ↑
            </ActionIcon>
          </Tooltip>
          <Tooltip label={t('domain.serial.findNext')}>
            <ActionIcon size="md" variant="subtle" aria-label={t('domain.serial.findNext')} onClick={findNext}>
              ↓
            </ActionIcon>
          </Tooltip>
          <Button size="xs" variant="subtle" onClick={copySelection}>
            {t('domain.serial.copy')}
          </Button>
          <Button size="xs" variant="subtle" onClick={pasteClipboard} disabled={state.kind !== 'connected'}>
            {t('domain.serial.paste')}
          </Button>
          {!detached && (
            <OpenWindowButton
              route={{ kind: 'serial', hostId, domainUuid, device }}
              variant="subtle"
              handOver={() => {
                // One session per console: the window gets it without a take-over.
                channelRef.current?.close();
                // After the channel's own close report, which says only "ended".
                setTimeout(() => setState({ kind: 'disconnected', reason: t('domain.console.inOtherWindow') }), 0);
              }}
            />
          )}
          {state.kind === 'connected' && (
            <Button size="xs" variant="subtle" onClick={() => channelRef.current?.close()}>
              {t('domain.serial.disconnect')}
            </Button>
          )}
        </Group>
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
