import { useEffect, useState } from 'react';
import { Alert, Button, Checkbox, Group, Loader, Modal, ScrollArea, Stack, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useTranslation } from 'react-i18next';
import type { HostEntry, SshConfigCandidate } from '../../../preload/api-contract';
import { errorMessage } from '../api';
import { useApi } from '../api/api-context';

/**
 * Lists the Host entries of ~/.ssh/config (as ssh resolves them) and adds the ticked ones. Each keeps
 * its alias as the host name, so ~/.ssh/config still decides HostName, keys and ProxyJump at connect.
 */
export function ImportSshConfigDialog({ opened, onClose, hosts }: { opened: boolean; onClose(): void; hosts: HostEntry[] }) {
  const { t } = useTranslation();
  const api = useApi();
  const [candidates, setCandidates] = useState<SshConfigCandidate[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!opened) return;
    setCandidates(null);
    setChosen(new Set());
    api.call('hosts.sshConfigCandidates', null).then(setCandidates, (e: unknown) =>
      setError(errorMessage(e)),
    );
  }, [api, opened]);

  const known = new Set(hosts.map((host) => host.ssh.host));
  const importChosen = async () => {
    setBusy(true);
    const failures: string[] = [];
    for (const candidate of candidates ?? []) {
      if (!chosen.has(candidate.alias)) continue;
      try {
        await api.call('hosts.add', {
          displayName: candidate.alias,
          ssh: { user: candidate.user, host: candidate.alias, port: candidate.port },
          libvirtUri: 'qemu:///system',
          transport: 'auto',
          tags: [],
        });
      } catch (e) {
        failures.push(`${candidate.alias}: ${errorMessage(e)}`);
      }
    }
    setBusy(false);
    if (failures.length > 0) notifications.show({ color: 'red', title: t('errors.title'), message: failures.join('\n') });
    onClose();
  };

  return (
    <Modal opened={opened} onClose={onClose} title={t('hosts.import.title')} size="lg" centered>
      <Stack>
        <Text size="sm" c="dimmed">
          {t('hosts.import.body')}
        </Text>
        {error && <Alert color="red">{error}</Alert>}
        {!candidates && !error && <Loader size="sm" />}
        {candidates?.length === 0 && <Text size="sm">{t('hosts.import.none')}</Text>}
        <ScrollArea.Autosize mah={360}>
          <Stack gap="xs">
            {candidates?.map((candidate) => (
              <Checkbox
                key={candidate.alias}
                disabled={known.has(candidate.alias)}
                checked={chosen.has(candidate.alias)}
                onChange={(event) => {
                  const next = new Set(chosen);
                  if (event.currentTarget.checked) next.add(candidate.alias);
                  else next.delete(candidate.alias);
                  setChosen(next);
                }}
                label={
                  <Text size="sm">
                    <b>{candidate.alias}</b>{' '}
                    <Text span ff="monospace" c="dimmed" size="xs">
                      {candidate.user}@{candidate.hostName}:{candidate.port}
                      {candidate.proxyJump ? ` via ${candidate.proxyJump}` : ''}
                    </Text>
                    {known.has(candidate.alias) ? ` (${t('hosts.import.added')})` : ''}
                  </Text>
                }
              />
            ))}
          </Stack>
        </ScrollArea.Autosize>
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t('hosts.cancel')}
          </Button>
          <Button disabled={chosen.size === 0} loading={busy} onClick={() => void importChosen()}>
            {t('hosts.import.button', { count: chosen.size })}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
