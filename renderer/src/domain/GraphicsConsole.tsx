import { useEffect, useRef, useState } from 'react';
import { Alert, Badge, Button, Group, Stack } from '@mantine/core';
import RFB from '@novnc/novnc';
import { useTranslation } from 'react-i18next';
import { ApiCallError } from '../api';
import { useApi } from '../api/api-context';
import { ByteChannelSocket } from './byte-channel-socket';

type GraphicsState =
  | { kind: 'connecting' }
  | { kind: 'connected' }
  | {
      kind: 'disconnected';
      reason: string | null;
      reasonKey?: 'lost' | 'securityFailure' | 'passwordUnsupported';
    };

/**
 * A guest's VNC display in noVNC, over a `console.graphics` stream: the bytes of the host's VNC
 * listener, tunnelled through the host's SSH connection. `channel` is the index of the graphics
 * device in the domain XML.
 */
export function GraphicsConsole({
  hostId,
  domainUuid,
  channel,
}: {
  hostId: string;
  domainUuid: string;
  channel: number;
}) {
  const { t } = useTranslation();
  const api = useApi();
  const screenRef = useRef<HTMLDivElement>(null);
  const rfbRef = useRef<RFB | null>(null);
  const [state, setState] = useState<GraphicsState>({ kind: 'connecting' });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let live = true;
    let rfb: RFB | null = null;
    let socket: ByteChannelSocket | null = null;
    setState({ kind: 'connecting' });
    const timer = setTimeout(() => {
      api.openStream('console.graphics', { hostId, domainUuid, channel }).then(
        (opened) => {
          const target = screenRef.current;
          if (!live || !target) {
            opened.close();
            return;
          }
          socket = new ByteChannelSocket(opened);
          const session = new RFB(target, socket, { shared: true });
          rfb = session;
          rfbRef.current = session;
          session.scaleViewport = true;
          session.background = '#000';
          session.addEventListener('connect', () => {
            if (!live) return;
            setState({ kind: 'connected' });
            session.focus({ preventScroll: true });
          });
          session.addEventListener('disconnect', (event) => {
            if (!live) return;
            rfbRef.current = null;
            const reason = socket?.reason ?? null;
            setState(
              reason === null && !event.detail.clean
                ? { kind: 'disconnected', reason: null, reasonKey: 'lost' }
                : { kind: 'disconnected', reason },
            );
          });
          session.addEventListener('securityfailure', (event) => {
            if (!live) return;
            setState(
              event.detail.reason
                ? { kind: 'disconnected', reason: event.detail.reason }
                : { kind: 'disconnected', reason: null, reasonKey: 'securityFailure' },
            );
          });
          session.addEventListener('credentialsrequired', () => {
            if (!live) return;
            session.disconnect();
            setState({ kind: 'disconnected', reason: null, reasonKey: 'passwordUnsupported' });
          });
        },
        (error: unknown) => {
          if (!live) return;
          setState({
            kind: 'disconnected',
            reason: error instanceof ApiCallError ? error.message : String(error),
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

  return (
    <Stack gap="xs" data-testid="graphics-console" data-state={state.kind}>
      <Group gap="xs" justify="space-between">
        <Badge
          variant="light"
          color={state.kind === 'connected' ? 'green' : state.kind === 'connecting' ? 'blue' : 'gray'}
        >
          {t(`domain.serial.state.${state.kind}`)}
        </Badge>
        {state.kind === 'connected' && (
          <Group gap="xs">
            <Button size="xs" variant="light" onClick={() => rfbRef.current?.sendCtrlAltDel()}>
              {t('domain.graphicsConsole.ctrlAltDel')}
            </Button>
            <Button size="xs" variant="subtle" onClick={() => rfbRef.current?.disconnect()}>
              {t('domain.serial.disconnect')}
            </Button>
          </Group>
        )}
      </Group>
      {state.kind === 'disconnected' && (
        <Alert color="gray" title={t('domain.serial.state.disconnected')}>
          <Group gap="sm" justify="space-between">
            <span>
              {state.reason ??
                (state.reasonKey ? t(`domain.graphicsConsole.${state.reasonKey}`) : t('domain.serial.ended'))}
            </span>
            <Button size="xs" variant="light" onClick={() => setAttempt((n) => n + 1)}>
              {t('domain.serial.reconnect')}
            </Button>
          </Group>
        </Alert>
      )}
      <div
        ref={screenRef}
        data-testid="graphics-screen"
        style={{
          height: 'calc(100vh - 320px)',
          minHeight: 240,
          background: '#000',
          borderRadius: 4,
          overflow: 'hidden',
        }}
      />
    </Stack>
  );
}
