import { useCallback, useEffect, useId, useRef, useState } from 'react';
import { Badge, Button, Group, Stack, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { ByteChannel } from '../../api';
import { useApi } from '../../api/api-context';
import { useReconnectWhenHostReturns } from '../use-reconnect-when-host-returns';
import { comboEvents, textEvents, type VncKey } from '../vnc-keys';
import {
  ConsoleDisconnected,
  ConsoleStateBadge,
  ConsoleTimingsText,
  ConsolePasswordDialog,
  FullscreenButton,
  NO_TIMINGS,
  OpenWindowButton,
  ScreenshotButton,
  SendKeyMenu,
  TypeTextButton,
  type GraphicsConsoleProps,
} from '../console-parts';
import { SpiceSession, type SpiceChannelInfo, type SpiceStage } from './spice-session';
import { RemoteViewerButton } from './RemoteViewerButton';
import { SwitchToVncDialog } from './SwitchToVncDialog';

type SpiceState =
  | { kind: 'connecting' }
  | { kind: 'connected' }
  | { kind: 'disconnected'; reason: string | null };

type Timings = Record<SpiceStage, number | null>;

/**
 * The pause after each key event. SPICE key events go straight to the guest's keyboard controller, whose
 * queue is a few events deep (a PS/2 keyboard drops what does not fit); QEMU's own VNC server paces key
 * events the same way (key-delay-ms, 10 ms).
 */
const KEY_EVENT_DELAY_MS = 10;

/** Types key events one by one, paced so the guest's keyboard queue keeps up. */
async function sendKeys(session: SpiceSession, events: readonly { key: VncKey; down: boolean }[]): Promise<void> {
  for (const event of events) {
    session.sendKey(event.key.code, event.down);
    await new Promise((resolve) => setTimeout(resolve, KEY_EVENT_DELAY_MS));
  }
}

/**
 * A guest's SPICE display in spice-html5. Every SPICE channel spice-html5 opens (main, display,
 * inputs, cursor, playback…) is its own `console.graphics` stream: an SSH channel of the host's
 * existing connection to the guest's SPICE listener. `channel` is the index of the graphics device.
 */
export function SpiceConsole({ hostId, domainUuid, channel, detached = false }: GraphicsConsoleProps) {
  const { t } = useTranslation();
  const api = useApi();
  const boxRef = useRef<HTMLDivElement>(null);
  const screenRef = useRef<HTMLDivElement>(null);
  const sessionRef = useRef<SpiceSession | null>(null);
  const screenId = `spice-screen-${useId().replace(/[^a-zA-Z0-9_-]/g, '')}`;
  const [state, setState] = useState<SpiceState>({ kind: 'connecting' });
  const [attempt, setAttempt] = useState(0);
  const [timings, setTimings] = useState<Timings>(NO_TIMINGS);
  const [channels, setChannels] = useState<SpiceChannelInfo[]>([]);
  const [typedPassword, setTypedPassword] = useState<string | null>(null);
  const [passwordOpen, setPasswordOpen] = useState(false);
  const [switchOpen, setSwitchOpen] = useState(false);
  useReconnectWhenHostReturns(hostId, state.kind === 'disconnected', () => setAttempt((n) => n + 1));

  useEffect(() => {
    let live = true;
    const started = performance.now();
    setState({ kind: 'connecting' });
    setTimings(NO_TIMINGS);
    setChannels([]);
    const stage = (key: SpiceStage) => {
      if (!live) return;
      const value = performance.now() - started;
      setTimings((current) => (current[key] === null ? { ...current, [key]: value } : current));
      console.info(`[console] ${hostId}/${domainUuid} #${channel} spice ${key} ${Math.round(value)} ms`);
    };
    // The main channel's stream and the password (live XML, read with SECURE) are asked for together.
    const params = { hostId, domainUuid, channel };
    let first: Promise<ByteChannel> | null = api.openStream('console.graphics', params);
    first.catch(() => undefined);
    let spare: Promise<ByteChannel> | null = null;
    const passwordCall =
      typedPassword !== null
        ? Promise.resolve(typedPassword)
        : api.call('domain.graphicsPassword', { hostId, uuid: domainUuid, channel }).then(
            (answer) => answer.password ?? '',
            () => '',
          );
    let session: SpiceSession | null = null;
    void passwordCall.then((knownPassword) => {
      const screen = screenRef.current;
      if (!live || !screen) return;
      session = new SpiceSession({
        open: () => {
          // The main channel uses the stream opened with the password call. While it links, one more
          // stream opens for the display channel, which spice-html5 asks for once the main channel has
          // the channel list: that saves the display channel a round trip to the host.
          const opening = first ?? spare ?? api.openStream('console.graphics', params);
          if (first) {
            spare = api.openStream('console.graphics', params);
            spare.catch(() => undefined);
          } else if (opening === spare) {
            spare = null;
          }
          first = null;
          return opening;
        },
        password: knownPassword,
        screen,
        onStage: stage,
        onConnected: () => {
          if (!live) return;
          setState({ kind: 'connected' });
        },
        onEnd: (end) => {
          if (!live) return;
          sessionRef.current = null;
          if (end.kind === 'password') {
            setPasswordOpen(true);
            setState({ kind: 'disconnected', reason: t('spice.passwordRefused') });
          } else {
            setState({ kind: 'disconnected', reason: end.reason });
          }
        },
      });
      sessionRef.current = session;
      session.start();
    });
    // The channel list (for the UI and tests) follows spice-html5's own state.
    const poll = setInterval(() => {
      const current = sessionRef.current;
      if (live && current) setChannels(current.channels());
    }, 500);
    return () => {
      live = false;
      clearInterval(poll);
      sessionRef.current = null;
      session?.stop();
      void first?.then((opened) => opened.close(), () => undefined);
      void spare?.then((opened) => opened.close(), () => undefined);
    };
  }, [api, hostId, domainUuid, channel, attempt, typedPassword, t]);

  const focusScreen = useCallback(() => {
    screenRef.current?.querySelector('canvas')?.focus({ preventScroll: true });
  }, []);

  const onKey = useCallback((event: React.KeyboardEvent, down: boolean) => {
    // Keys go to the guest as physical keys; spice-html5's own handler on the canvas never sees them.
    event.stopPropagation();
    event.preventDefault();
    sessionRef.current?.sendKey(event.code, down);
  }, []);

  const sendCombo = useCallback(
    (keys: readonly VncKey[]) => {
      const session = sessionRef.current;
      if (session) void sendKeys(session, comboEvents(keys)).then(focusScreen);
    },
    [focusScreen],
  );

  const typeIntoGuest = useCallback(
    (text: string) => {
      const session = sessionRef.current;
      if (session) void sendKeys(session, textEvents(text).events).then(focusScreen);
    },
    [focusScreen],
  );
  const inputsReady = channels.some((info) => info.name === 'inputs' && info.state === 'ready');

  return (
    <Stack
      ref={boxRef}
      gap="xs"
      data-testid="spice-console"
      data-state={state.kind}
      data-channels={channels.map((info) => `${info.name}:${info.state}`).join(' ')}
      style={{ background: 'var(--mantine-color-body)' }}
    >
      <Group gap="xs" justify="space-between">
        <Group gap="xs">
          <Badge variant="light" color="grape">
            SPICE
          </Badge>
          <ConsoleStateBadge state={state.kind} />
          <ConsoleTimingsText timings={timings} />
          {channels.length > 0 && (
            <Text size="xs" c="dimmed" data-testid="spice-channels">
              {t('spice.channels', { list: channels.map((info) => info.name).join(', ') })}
            </Text>
          )}
        </Group>
        <Group gap="xs">
          {state.kind === 'connected' && (
            <>
              <SendKeyMenu disabled={!inputsReady} onSend={sendCombo} />
              <TypeTextButton disabled={!inputsReady} onType={typeIntoGuest} />
              <FullscreenButton target={boxRef} />
            </>
          )}
          {!detached && (
            <OpenWindowButton
              route={{ kind: 'graphics', hostId, domainUuid, channel }}
              handOver={() => {
                // A SPICE server takes one client: the window's session would cut this one off.
                sessionRef.current?.stop();
                sessionRef.current = null;
                setState({ kind: 'disconnected', reason: t('domain.console.inOtherWindow') });
              }}
            />
          )}
          <ScreenshotButton hostId={hostId} domainUuid={domainUuid} />
          <RemoteViewerButton hostId={hostId} domainUuid={domainUuid} channel={channel} />
          <Button size="xs" variant="light" onClick={() => setSwitchOpen(true)}>
            {t('spice.switchToVnc')}
          </Button>
          {state.kind !== 'disconnected' && (
            <Button size="xs" variant="subtle" onClick={() => setAttempt((n) => n + 1)}>
              {t('domain.serial.reconnect')}
            </Button>
          )}
          {state.kind === 'connected' && (
            <Button
              size="xs"
              variant="subtle"
              onClick={() => {
                sessionRef.current?.stop();
                sessionRef.current = null;
                setState({ kind: 'disconnected', reason: null });
              }}
            >
              {t('domain.serial.disconnect')}
            </Button>
          )}
        </Group>
      </Group>
      <Text size="xs" c="dimmed" data-testid="spice-limits">
        {t('spice.limits')}
      </Text>
      {state.kind === 'disconnected' && (
        <ConsoleDisconnected reason={state.reason ?? t('domain.serial.ended')} onReconnect={() => setAttempt((n) => n + 1)} />
      )}
      <div
        style={{
          height: 'calc(100vh - 340px)',
          minHeight: 240,
          background: '#000',
          borderRadius: 4,
          overflow: 'auto',
        }}
        onClick={focusScreen}
      >
        <div
          ref={screenRef}
          id={screenId}
          data-testid="spice-screen"
          aria-label={t('spice.screen')}
          role="application"
          onKeyDownCapture={(event) => onKey(event, true)}
          onKeyUpCapture={(event) => onKey(event, false)}
        />
      </div>
      <ConsolePasswordDialog
        opened={passwordOpen}
        title={t('spice.passwordTitle')}
        onCancel={() => setPasswordOpen(false)}
        onSend={(password) => {
          setPasswordOpen(false);
          setTypedPassword(password);
          setAttempt((n) => n + 1);
        }}
      />
      <SwitchToVncDialog
        opened={switchOpen}
        onClose={() => setSwitchOpen(false)}
        hostId={hostId}
        domainUuid={domainUuid}
      />
    </Stack>
  );
}
