import { useState, type RefObject } from 'react';
import { Alert, Badge, Button, Group, Menu, Modal, PasswordInput, Stack, Text, Textarea } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useTranslation } from 'react-i18next';
import { errorMessage } from '../api';
import { useApi } from '../api/api-context';
import { openConsoleWindow, type ConsoleWindowRoute } from './console-window-route';
import { KEY_COMBOS, type VncKey } from './vnc-keys';

/** The pieces the VNC and SPICE consoles share: state, timings, send keys, type text, password, reconnect. */

export type ConsoleStateKind = 'connecting' | 'connected' | 'disconnected';

/** What a graphics console (VNC or SPICE) is given. */
export interface GraphicsConsoleProps {
  hostId: string;
  domainUuid: string;
  /** Index of the graphics device in the domain XML. */
  channel: number;
  /** Shown in a console window of its own: no "open in a new window" button. */
  detached?: boolean;
}

/**
 * "Open in new window". `handOver` runs first: a console that takes one client at a time (serial,
 * SPICE) lets go of its session there, so the window gets it without a take-over.
 */
export function OpenWindowButton({
  route,
  variant = 'light',
  handOver,
}: {
  route: ConsoleWindowRoute;
  variant?: 'light' | 'subtle';
  handOver?: () => void;
}) {
  const { t } = useTranslation();
  return (
    <Button
      size="xs"
      variant={variant}
      onClick={() => {
        handOver?.();
        openConsoleWindow(route);
      }}
    >
      {t('domain.console.openWindow')}
    </Button>
  );
}

/** Milliseconds from opening the console to each stage of one session (null = not reached yet). */
export interface ConsoleTimings {
  channelMs: number | null;
  handshakeMs: number | null;
  firstFrameMs: number | null;
}

export const NO_TIMINGS: ConsoleTimings = { channelMs: null, handshakeMs: null, firstFrameMs: null };

const ms = (value: number | null) => (value === null ? '–' : `${Math.round(value)} ms`);

export function ConsoleStateBadge({ state }: { state: ConsoleStateKind }) {
  const { t } = useTranslation();
  return (
    <Badge variant="light" color={state === 'connected' ? 'green' : state === 'connecting' ? 'blue' : 'gray'}>
      {t(`domain.serial.state.${state}`)}
    </Badge>
  );
}

/** The time to the first frame, with every stage in its tooltip and as data attributes (tests, bench). */
export function ConsoleTimingsText({ timings }: { timings: ConsoleTimings }) {
  const { t } = useTranslation();
  const all = t('domain.graphicsConsole.timings', {
    channel: ms(timings.channelMs),
    handshake: ms(timings.handshakeMs),
    frame: ms(timings.firstFrameMs),
  });
  const attribute = (value: number | null) => (value === null ? undefined : Math.round(value));
  return (
    <Text
      size="xs"
      c="dimmed"
      title={all}
      data-testid="console-timings"
      data-channel-ms={attribute(timings.channelMs)}
      data-handshake-ms={attribute(timings.handshakeMs)}
      data-first-frame-ms={attribute(timings.firstFrameMs)}
    >
      {ms(timings.firstFrameMs)}
    </Text>
  );
}

/** "Send key": Ctrl+Alt+Del, Ctrl+Alt+F1…F12, PrintScreen, … */
export function SendKeyMenu({ disabled = false, onSend }: { disabled?: boolean; onSend: (keys: readonly VncKey[]) => void }) {
  const { t } = useTranslation();
  return (
    <Menu position="bottom-end" withinPortal>
      <Menu.Target>
        <Button size="xs" variant="light" disabled={disabled}>
          {t('domain.graphicsConsole.sendKey')}
        </Button>
      </Menu.Target>
      <Menu.Dropdown>
        {KEY_COMBOS.map((combo) => (
          <Menu.Item key={combo.id} onClick={() => onSend(combo.keys)}>
            {combo.label}
          </Menu.Item>
        ))}
      </Menu.Dropdown>
    </Menu>
  );
}

/** "Type text": a button and its dialog; the text may come from the user's clipboard. */
export function TypeTextButton({ disabled = false, onType }: { disabled?: boolean; onType: (text: string) => void }) {
  const { t } = useTranslation();
  const [opened, setOpened] = useState(false);
  const [text, setText] = useState('');
  const pasteClipboard = () => {
    navigator.clipboard.readText().then(
      (value) => setText(value),
      () => undefined, // not allowed: the user pastes into the field with the keyboard instead
    );
  };
  return (
    <>
      <Button size="xs" variant="light" disabled={disabled} onClick={() => setOpened(true)}>
        {t('domain.graphicsConsole.typeText')}
      </Button>
      <Modal opened={opened} onClose={() => setOpened(false)} title={t('domain.graphicsConsole.typeTextTitle')}>
        <Stack gap="sm">
          <Textarea
            label={t('domain.graphicsConsole.typeTextLabel')}
            description={t('domain.graphicsConsole.typeTextHint')}
            value={text}
            onChange={(event) => setText(event.currentTarget.value)}
            autosize
            minRows={2}
            data-autofocus
          />
          <Group justify="space-between">
            <Button variant="subtle" onClick={pasteClipboard}>
              {t('domain.graphicsConsole.pasteClipboard')}
            </Button>
            <Button
              onClick={() => {
                setOpened(false);
                onType(text);
              }}
              disabled={text.length === 0}
            >
              {t('domain.graphicsConsole.typeTextSend')}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}

/**
 * Asks for a display's password (VNC or SPICE). The typed text lives only in this dialog and is cleared
 * when it is sent or the dialog is closed; `refused`: the display refused the password sent before (says so above the field).
 */
export function ConsolePasswordDialog({
  opened,
  title,
  refused = false,
  onCancel,
  onSend,
}: {
  opened: boolean;
  title: string;
  refused?: boolean;
  onCancel: () => void;
  onSend: (password: string) => void;
}) {
  const { t } = useTranslation();
  const [password, setPassword] = useState('');
  return (
    <Modal
      opened={opened}
      onClose={() => {
        setPassword('');
        onCancel();
      }}
      title={title}
    >
      <form
        onSubmit={(event) => {
          event.preventDefault();
          const typed = password;
          setPassword('');
          onSend(typed);
        }}
      >
        <Stack gap="sm">
          {refused && (
            <Text size="sm" c="red" data-testid="vnc-password-refused">
              {t('domain.graphicsConsole.passwordRefused')}
            </Text>
          )}
          <PasswordInput
            label={t('domain.graphicsConsole.passwordLabel')}
            value={password}
            onChange={(event) => setPassword(event.currentTarget.value)}
            data-autofocus
          />
          <Group justify="flex-end">
            <Button type="submit">{t('domain.graphicsConsole.passwordSend')}</Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

export function FullscreenButton({ target }: { target: RefObject<HTMLElement | null> }) {
  const { t } = useTranslation();
  return (
    <Button size="xs" variant="light" onClick={() => void target.current?.requestFullscreen().catch(() => undefined)}>
      {t('domain.graphicsConsole.fullscreen')}
    </Button>
  );
}

/** The "disconnected" notice with why, and a way back. */
export function ConsoleDisconnected({ reason, onReconnect }: { reason: string; onReconnect: () => void }) {
  const { t } = useTranslation();
  return (
    <Alert color="gray" title={t('domain.serial.state.disconnected')}>
      <Group gap="sm" justify="space-between">
        <span>{reason}</span>
        <Button size="xs" variant="light" onClick={onReconnect}>
          {t('domain.serial.reconnect')}
        </Button>
      </Group>
    </Alert>
  );
}

function base64Bytes(data: string): Uint8Array<ArrayBuffer> {
  const binary = atob(data);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * "Screenshot": the guest's screen from libvirt's screenshot stream (whatever the display protocol),
 * downloaded as PNG (or what the host gives). A failure is reported, nothing is downloaded.
 */
export function ScreenshotButton({ hostId, domainUuid }: { hostId: string; domainUuid: string }) {
  const { t } = useTranslation();
  const api = useApi();
  const [shooting, setShooting] = useState(false);
  const screenshot = async () => {
    setShooting(true);
    try {
      const shot = await api.call('domain.screenshot', { hostId, uuid: domainUuid });
      const extension = shot.mime === 'image/png' ? 'png' : shot.mime === 'image/x-portable-pixmap' ? 'ppm' : 'bin';
      const url = URL.createObjectURL(new Blob([base64Bytes(shot.dataBase64)], { type: shot.mime }));
      const anchor = document.createElement('a');
      anchor.href = url;
      anchor.download = `screenshot-${domainUuid.slice(0, 8)}-${new Date().toISOString().replace(/[:.]/g, '-')}.${extension}`;
      document.body.append(anchor);
      anchor.click();
      anchor.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (error) {
      notifications.show({
        color: 'red',
        title: t('domain.graphicsConsole.screenshotFailed'),
        message: errorMessage(error),
      });
    } finally {
      setShooting(false);
    }
  };
  return (
    <Button size="xs" variant="light" loading={shooting} onClick={() => void screenshot()}>
      {t('domain.graphicsConsole.screenshot')}
    </Button>
  );
}
