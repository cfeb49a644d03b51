import { useCallback, useState } from 'react';
import { Alert, Badge, Button, Card, Group, Loader, Modal, NavLink, ScrollArea, Stack, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconPlus } from '@tabler/icons-react';
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import type { HardwareDevice, HardwareRemoveResult, HardwareState } from '../../../preload/api-contract';
import { useApi } from '../api/api-context';
import { useReadOnStateChange } from '../domains/use-read-on-state-change';
import { XmlBlock, errorText } from '../networks/parts';
import { AddHardwareDialog, TimingControl, timingFlags, type Timing } from './AddHardwareDialog';

/** How long Remove waits for the guest to release a device before saying it has not yet. */
const WAIT_SECONDS = 20;

const deviceLabel = (device: HardwareDevice, t: TFunction) => `${t(`domainHardware.categories.${device.category}`)} ${device.name}`;

/**
 * The VM page's Hardware tab: the guest's devices like virt-manager's sidebar (each with its read-only
 * summary and element, and Remove), and "Add hardware".
 */
/**
 * VM page → Hardware. Read again when the guest starts or stops (`running`), but never under an open
 * dialog: the dialog keeps what the user typed, its own call is checked against the definition it was
 * built on, and the tab reads again once it closes.
 */
export function HardwarePanel({ hostId, uuid, running }: { hostId: string; uuid: string; running: boolean }) {
  const { t } = useTranslation();
  const api = useApi();
  const [state, setState] = useState<HardwareState | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  const [removing, setRemoving] = useState<HardwareDevice | null>(null);

  const load = useCallback(() => {
    api.call('domainHardware.state', { hostId, uuid }).then(
      (value) => (setState(value), setError(null)),
      (failure: unknown) => setError(errorText(failure)),
    );
  }, [api, hostId, uuid]);
  useReadOnStateChange(load, running, adding || removing !== null);

  if (error) return <Alert color="red">{error}</Alert>;
  if (!state) return <Loader size="sm" />;
  const device = state.devices.find((d) => d.key === selected) ?? state.devices[0] ?? null;
  return (
    <Stack gap="sm" data-testid="hardware-panel">
      <Group justify="space-between">
        <Text size="sm" c="dimmed">
          {state.running ? t('domainHardware.runningHelp') : t('domainHardware.stoppedHelp')}
        </Text>
        <Group gap="xs">
          <Button size="xs" variant="default" onClick={load}>
            {t('domainHardware.reload')}
          </Button>
          <Button size="xs" leftSection={<IconPlus size={14} />} onClick={() => setAdding(true)}>
            {t('domainHardware.addHardware')}
          </Button>
        </Group>
      </Group>
      <Group align="flex-start" wrap="nowrap">
        <Card withBorder p={0} w={280} style={{ flexShrink: 0 }}>
          <ScrollArea.Autosize mah={640}>
            <Stack gap={0} data-testid="hardware-list" role="listbox" aria-label={t('domainHardware.listLabel')}>
              {state.devices.map((d) => (
                <NavLink
                  key={d.key}
                  role="option"
                  aria-selected={d === device}
                  active={d === device}
                  data-testid={`hardware-item-${d.tag}-${d.name}`}
                  label={deviceLabel(d, t)}
                  description={d.summary.slice(0, 2).join(' · ')}
                  rightSection={
                    !d.inConfig ? (
                      <Badge size="xs" variant="light" color="yellow">
                        {t('domainHardware.liveOnly')}
                      </Badge>
                    ) : state.running && !d.inLive ? (
                      <Badge size="xs" variant="light" color="gray">
                        {t('domainHardware.nextBootOnly')}
                      </Badge>
                    ) : null
                  }
                  onClick={() => setSelected(d.key)}
                />
              ))}
            </Stack>
          </ScrollArea.Autosize>
        </Card>
        {device && (
          <Card withBorder style={{ flex: 1, minWidth: 0 }} data-testid="hardware-details">
            <Group justify="space-between" mb="xs">
              <Title order={3} size="h5">
                {deviceLabel(device, t)}
              </Title>
              <Button size="xs" color="red" variant="light" onClick={() => setRemoving(device)}>
                {t('domainHardware.remove')}
              </Button>
            </Group>
            <Stack gap={4} mb="xs">
              {device.summary.map((line, i) => (
                <Text key={i} size="sm" ff="monospace" style={{ wordBreak: 'break-all' }}>
                  {line}
                </Text>
              ))}
              {state.running && device.inLive && device.liveRemoval && (
                <Text size="xs" c="dimmed">
                  {t(`domainHardware.messages.${device.liveRemoval}` as never)}
                </Text>
              )}
            </Stack>
            <XmlBlock xml={device.xml} testId="hardware-device-element" />
          </Card>
        )}
      </Group>
      {adding && (
        <AddHardwareDialog
          state={state}
          onClose={() => setAdding(false)}
          onAdded={(next) => {
            setAdding(false);
            setState(next);
          }}
        />
      )}
      {removing && (
        <RemoveDeviceDialog
          state={state}
          device={removing}
          onClose={() => setRemoving(null)}
          onDone={(next) => {
            setRemoving(null);
            setState(next);
          }}
        />
      )}
    </Stack>
  );
}

/**
 * Remove, confirmed with the device's name: whether the guest must cooperate (ACPI / PCIe unplug of a PCI
 * device), then waits for the guest to release it and says honestly when it has not yet.
 */
function RemoveDeviceDialog({ state, device, onClose, onDone }: { state: HardwareState; device: HardwareDevice; onClose(): void; onDone(next: HardwareState): void }) {
  const { t } = useTranslation();
  const api = useApi();
  const label = deviceLabel(device, t);
  const canLive = state.running && device.inLive && device.liveRemoval === null;
  const initial: Timing = canLive ? (device.inConfig ? 'both' : 'live') : 'config';
  const [timing, setTiming] = useState<Timing>(initial);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<HardwareRemoveResult | null>(null);
  const flags = timingFlags(timing);

  const remove = async () => {
    setBusy(true);
    setError(null);
    try {
      const done = await api.call('domainHardware.remove', {
        hostId: state.hostId,
        uuid: state.uuid,
        key: device.key,
        ...flags,
        basedOn: state.basedOn,
        waitSeconds: WAIT_SECONDS,
      });
      setResult(done);
      if (done.live !== 'pending') {
        notifications.show({ color: 'green', message: t('domainHardware.removed', { name: label }) });
        onDone(done.state);
      }
    } catch (failure) {
      setError(errorText(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal opened onClose={result ? () => onDone(result.state) : onClose} title={t('domainHardware.removeTitle', { name: label })}>
      <Stack gap="sm">
        {state.running && device.inLive && (
          <Text size="sm" data-testid="hardware-remove-cooperation">
            {device.liveRemoval
              ? t(`domainHardware.messages.${device.liveRemoval}` as never)
              : device.guestMustCooperate
                ? t('domainHardware.guestMustCooperate')
                : t('domainHardware.noCooperation')}
          </Text>
        )}
        {(state.running || state.persistent) && (
          <TimingControl
            state={{ ...state, running: canLive, persistent: state.persistent && device.inConfig }}
            value={timing}
            onChange={setTiming}
          />
        )}
        {error && <Alert color="red">{error}</Alert>}
        {result?.live === 'pending' && (
          <Alert color="yellow" data-testid="hardware-remove-pending">
            {t('domainHardware.pending', { seconds: WAIT_SECONDS })}
          </Alert>
        )}
        <Group justify="flex-end">
          {result ? (
            <Button onClick={() => onDone(result.state)}>{t('domainHardware.close')}</Button>
          ) : (
            <>
              <Button variant="default" onClick={onClose}>
                {t('domainHardware.cancel')}
              </Button>
              <Button color="red" loading={busy} onClick={() => void remove()}>
                {busy && flags.live ? t('domainHardware.waiting') : t('domainHardware.removeNamed', { name: label })}
              </Button>
            </>
          )}
        </Group>
      </Stack>
    </Modal>
  );
}
