import { useCallback, useEffect, useRef, useState } from 'react';
import { useReconnectWhenHostReturns } from './use-reconnect-when-host-returns';
import { Button, Group, Stack } from '@mantine/core';
import RFB from '@novnc/novnc';
import { useTranslation } from 'react-i18next';
import { errorMessage } from '../api';
import { useApi } from '../api/api-context';
import { ByteChannelSocket } from './byte-channel-socket';
import { comboEvents, textEvents, type VncKey } from './vnc-keys';
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
  type ConsoleTimings,
  type GraphicsConsoleProps,
} from './console-parts';

type GraphicsState =
  | { kind: 'connecting' }
  | { kind: 'connected' }
  | {
      kind: 'disconnected';
      reason: string | null;
      reasonKey?: 'lost' | 'securityFailure';
    };


/** Types key events with a short pause every few keys, so the guest's input queue keeps up. */
async function sendKeys(rfb: RFB, events: readonly { key: VncKey; down: boolean }[]): Promise<void> {
  for (let i = 0; i < events.length; i++) {
    const event = events[i];
    if (!event) continue;
    rfb.sendKey(event.key.keysym, event.key.code, event.down);
    if (i % 16 === 15) await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * A guest's VNC display in noVNC, over a `console.graphics` stream: the bytes of the host's VNC
 * listener, tunnelled through the host's SSH connection. `channel` is the index of the graphics
 * device in the domain XML.
 */
export function GraphicsConsole({ hostId, domainUuid, channel, detached = false }: GraphicsConsoleProps) {
  const { t } = useTranslation();
  const api = useApi();
  const boxRef = useRef<HTMLDivElement>(null);
  const screenRef = useRef<HTMLDivElement>(null);
  const rfbRef = useRef<RFB | null>(null);
  const [state, setState] = useState<GraphicsState>({ kind: 'connecting' });
  const [attempt, setAttempt] = useState(0);
  useReconnectWhenHostReturns(hostId, state.kind === 'disconnected', () => setAttempt((n) => n + 1));
  const [timings, setTimings] = useState<ConsoleTimings>(NO_TIMINGS);
  const [scaled, setScaled] = useState(true);
  const [resizeGuest, setResizeGuest] = useState(false);
  // Text the guest put on its clipboard (VNC ServerCutText; needs a clipboard agent in the guest).
  const [guestClipboard, setGuestClipboard] = useState<string | null>(null);
  const [passwordOpen, setPasswordOpen] = useState(false);
  const [passwordRefused, setPasswordRefused] = useState(false);
  // A password the user typed after the display refused the one from the domain XML: the next session
  // uses it instead of asking libvirt again. Kept in memory for this panel only.
  const userPasswordRef = useRef<string | null>(null);

  useEffect(() => {
    let live = true;
    let rfb: RFB | null = null;
    let socket: ByteChannelSocket | null = null;
    const started = performance.now();
    const stage = (key: keyof ConsoleTimings) => {
      if (!live) return;
      const value = performance.now() - started;
      setTimings((current) => (current[key] === null ? { ...current, [key]: value } : current));
      console.info(`[console] ${hostId}/${domainUuid} #${channel} ${key} ${Math.round(value)} ms`);
    };
    setState({ kind: 'connecting' });
    setTimings(NO_TIMINGS);
    setPasswordOpen(false);
    const timer = setTimeout(() => {
      // The password (live XML, read with SECURE) is asked for alongside the channel: no extra round trip.
      const userPassword = userPasswordRef.current;
      const passwordCall =
        userPassword !== null
          ? Promise.resolve(userPassword)
          : api.call('domain.graphicsPassword', { hostId, uuid: domainUuid, channel }).then(
              (answer) => answer.password,
              () => null,
            );
      Promise.all([api.openStream('console.graphics', { hostId, domainUuid, channel }), passwordCall]).then(
        ([opened, knownPassword]) => {
          const target = screenRef.current;
          if (!live || !target) {
            opened.close();
            return;
          }
          stage('channelMs');
          socket = new ByteChannelSocket(opened);
          let handshakeDone = false;
          let frameSeen = false;
          let checkPending = false;
          let checksLeft = 0;
          const checkFrame = () => {
            checkPending = false;
            if (!live || frameSeen) return;
            const canvas = target.querySelector('canvas');
            const context = canvas && canvas.width > 0 ? canvas.getContext('2d') : null;
            if ((context?.getImageData(0, 0, 1, 1).data[3] ?? 0) > 0) {
              frameSeen = true;
              stage('firstFrameMs');
            } else if (--checksLeft > 0) {
              // Images (JPEG/PNG rectangles) decode asynchronously: look again at the next frames.
              checkPending = true;
              requestAnimationFrame(checkFrame);
            }
          };
          socket.onreceived = () => {
            if (!handshakeDone || frameSeen) return;
            checksLeft = 60;
            if (checkPending) return;
            // noVNC decodes each FramebufferUpdate as it arrives and copies it to the visible canvas at
            // once. The canvas is transparent after ServerInit's resize and drawn pixels are opaque, so
            // the first opaque pixel is the first frame (the first updates after SetEncodings may carry
            // only pseudo-rectangles such as QEMU's extended-key-event ack).
            checkPending = true;
            requestAnimationFrame(checkFrame);
          };
          const session = new RFB(
            target,
            socket,
            knownPassword === null ? { shared: true } : { shared: true, credentials: { password: knownPassword } },
          );
          rfb = session;
          rfbRef.current = session;
          session.scaleViewport = true;
          session.background = '#000';
          session.addEventListener('connect', () => {
            if (!live) return;
            handshakeDone = true;
            stage('handshakeMs');
            setPasswordOpen(false);
            setState({ kind: 'connected' });
            session.focus({ preventScroll: true });
          });
          let passwordRefused = false;
          session.addEventListener('disconnect', (event) => {
            rfb = null; // over: nothing left to disconnect
            if (!live) return;
            rfbRef.current = null;
            // A refused password leaves the dialog open: the user's answer starts the next session.
            if (!passwordRefused) setPasswordOpen(false);
            const reason = socket?.reason ?? null;
            setState((current) =>
              current.kind === 'disconnected'
                ? current
                : reason === null && !event.detail.clean
                  ? { kind: 'disconnected', reason: null, reasonKey: 'lost' }
                  : { kind: 'disconnected', reason },
            );
          });
          session.addEventListener('securityfailure', (event) => {
            if (!live) return;
            if (knownPassword !== null) {
              passwordRefused = true;
              // The password we sent (from the domain XML, or typed) was refused: the display's password
              // was changed behind libvirt's back (e.g. through the QEMU monitor). Ask the user.
              userPasswordRef.current = null;
              setPasswordRefused(true);
              setPasswordOpen(true);
            }
            // QEMU's reason string may end in a NUL.
            const reason = event.detail.reason?.replace(/\p{Cc}+/gu, ' ').trim();
            setState(
              reason
                ? { kind: 'disconnected', reason }
                : { kind: 'disconnected', reason: null, reasonKey: 'securityFailure' },
            );
          });
          session.addEventListener('clipboard', (event) => {
            if (live) setGuestClipboard(event.detail.text);
          });
          session.addEventListener('credentialsrequired', () => {
            if (!live) return;
            setPasswordRefused(false);
            setPasswordOpen(true);
          });
        },
        (error: unknown) => {
          if (!live) return;
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
      rfbRef.current = null;
      if (rfb) rfb.disconnect();
      else socket?.close();
    };
  }, [api, hostId, domainUuid, channel, attempt]);

  useEffect(() => {
    const rfb = rfbRef.current;
    if (state.kind !== 'connected' || !rfb) return;
    rfb.scaleViewport = scaled;
    rfb.clipViewport = false;
    // Asks the guest for a display the size of the panel (SetDesktopSize). Only guests with a resizable
    // display (virtio-gpu, QXL with an agent) follow; others keep their size and are scaled as chosen.
    rfb.resizeSession = resizeGuest;
  }, [scaled, resizeGuest, state.kind]);

  const sendCombo = useCallback((keys: readonly VncKey[]) => {
    const rfb = rfbRef.current;
    if (!rfb) return;
    void sendKeys(rfb, comboEvents(keys)).then(() => rfb.focus({ preventScroll: true }));
  }, []);

  const typeIntoGuest = useCallback((text: string) => {
    const rfb = rfbRef.current;
    if (!rfb) return;
    const { events } = textEvents(text);
    // Also offered as clipboard content: a guest with a clipboard agent can paste it itself.
    rfb.clipboardPasteFrom(text);
    void sendKeys(rfb, events).then(() => rfb.focus({ preventScroll: true }));
  }, []);

  return (
    <Stack ref={boxRef} gap="xs" data-testid="graphics-console" data-state={state.kind} style={{ background: 'var(--mantine-color-body)' }}>
      <Group gap="xs" justify="space-between">
        <Group gap="xs">
          <ConsoleStateBadge state={state.kind} />
          <ConsoleTimingsText timings={timings} />
        </Group>
        <Group gap="xs">
          {state.kind === 'connected' && (
            <>
              <SendKeyMenu onSend={sendCombo} />
              <TypeTextButton onType={typeIntoGuest} />
              <Button size="xs" variant="light" aria-pressed={!scaled} onClick={() => setScaled((value) => !value)}>
                {scaled ? t('domain.graphicsConsole.actualSize') : t('domain.graphicsConsole.scaleToWindow')}
              </Button>
              <Button
                size="xs"
                variant="light"
                aria-pressed={resizeGuest}
                title={t('domain.graphicsConsole.resizeGuestHint')}
                onClick={() => setResizeGuest((value) => !value)}
              >
                {t('domain.graphicsConsole.resizeGuest')}
              </Button>
              <Button
                size="xs"
                variant="light"
                disabled={guestClipboard === null}
                title={guestClipboard === null ? t('domain.graphicsConsole.guestClipboardEmpty') : guestClipboard}
                onClick={() => guestClipboard !== null && void navigator.clipboard.writeText(guestClipboard)}
              >
                {t('domain.graphicsConsole.copyGuestClipboard')}
              </Button>
              <FullscreenButton target={boxRef} />
            </>
          )}
          {!detached && <OpenWindowButton route={{ kind: 'graphics', hostId, domainUuid, channel }} />}
          <ScreenshotButton hostId={hostId} domainUuid={domainUuid} />
          {state.kind !== 'disconnected' && (
            <Button size="xs" variant="subtle" onClick={() => setAttempt((n) => n + 1)}>
              {t('domain.serial.reconnect')}
            </Button>
          )}
          {state.kind === 'connected' && (
            <Button size="xs" variant="subtle" onClick={() => rfbRef.current?.disconnect()}>
              {t('domain.serial.disconnect')}
            </Button>
          )}
        </Group>
      </Group>
      {state.kind === 'disconnected' && (
        <ConsoleDisconnected
          reason={
            state.reason ??
            (state.reasonKey ? t(`domain.graphicsConsole.${state.reasonKey}`) : t('domain.serial.ended'))
          }
          onReconnect={() => setAttempt((n) => n + 1)}
        />
      )}
      <div
        ref={screenRef}
        data-testid="graphics-screen"
        style={{
          height: 'calc(100vh - 320px)',
          minHeight: 240,
          background: '#000',
          borderRadius: 4,
          overflow: scaled ? 'hidden' : 'auto',
        }}
      />
      <ConsolePasswordDialog
        opened={passwordOpen}
        title={t('domain.graphicsConsole.passwordTitle')}
        refused={passwordRefused}
        onCancel={() => {
          setPasswordOpen(false);
          rfbRef.current?.disconnect();
        }}
        onSend={(password) => {
          setPasswordOpen(false);
          const session = rfbRef.current;
          if (session && !passwordRefused) session.sendCredentials({ password });
          else {
            // The refused session is over: a new one with the typed password.
            userPasswordRef.current = password;
            setAttempt((n) => n + 1);
          }
        }}
      />
    </Stack>
  );
}
