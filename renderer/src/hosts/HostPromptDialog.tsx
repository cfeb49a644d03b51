import { useEffect, useState } from 'react';
import { Alert, Button, Code, Group, Modal, PasswordInput, Stack, Text, TextInput } from '@mantine/core';
import { IconKey, IconShieldQuestion } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { HostEntry, HostPrompt, HostPromptAnswer } from '../../../preload/api-contract';
import { useApi } from '../api/api-context';

/** Open questions from host connections, oldest first. */
function usePrompts(): HostPrompt[] {
  const api = useApi();
  const [prompts, setPrompts] = useState<HostPrompt[]>([]);
  useEffect(() => {
    let live = true;
    const unsubscribe = api.subscribe('hosts.prompt', (event) => {
      if (!live) return;
      setPrompts((current) =>
        event.kind === 'closed'
          ? current.filter((p) => p.promptId !== event.promptId)
          : current.some((p) => p.promptId === event.promptId)
            ? current
            : [...current, event],
      );
    });
    api.call('hosts.prompts', null).then(
      (open) => live && setPrompts((current) => [...open.filter((p) => !current.some((c) => c.promptId === p.promptId)), ...current]),
      () => undefined,
    );
    return () => {
      live = false;
      unsubscribe();
    };
  }, [api]);
  return prompts;
}

/**
 * Asks what a host connection needs: an unknown host key (with its SHA256 fingerprint) or a secret.
 * One question at a time; the others wait their turn.
 */
export function HostPromptDialog({ hosts }: { hosts: ReadonlyMap<string, HostEntry> }) {
  const { t } = useTranslation();
  const api = useApi();
  const prompts = usePrompts();
  const prompt = prompts[0];
  const [secret, setSecret] = useState('');
  const [busy, setBusy] = useState(false);

  useEffect(() => setSecret(''), [prompt?.promptId]);

  if (!prompt) return null;
  const hostName = hosts.get(prompt.hostId)?.displayName ?? prompt.hostId;
  const answer = async (value: HostPromptAnswer) => {
    setBusy(true);
    try {
      await api.call('hosts.answerPrompt', value);
    } finally {
      setBusy(false);
    }
  };

  if (prompt.kind === 'host-key') {
    const reject = () => void answer({ promptId: prompt.promptId, kind: 'host-key', decision: 'reject' });
    return (
      <Modal opened onClose={reject} title={t('prompts.hostKey.title', { host: hostName })} size="lg" centered>
        <Stack>
          <Alert icon={<IconShieldQuestion />} color="yellow">
            {t('prompts.hostKey.body', { host: `${prompt.host}:${prompt.port}` })}
          </Alert>
          <Text size="sm">{t('prompts.hostKey.fingerprintLabel', { type: prompt.keyType })}</Text>
          <Code block data-testid="host-key-fingerprint">
            {prompt.fingerprint}
          </Code>
          <Text size="sm" c="dimmed">
            {t('prompts.hostKey.verifyHint')}
          </Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={reject} disabled={busy}>
              {t('prompts.hostKey.reject')}
            </Button>
            <Button
              variant="light"
              disabled={busy}
              onClick={() => void answer({ promptId: prompt.promptId, kind: 'host-key', decision: 'accept-once' })}
            >
              {t('prompts.hostKey.acceptOnce')}
            </Button>
            <Button
              disabled={busy}
              onClick={() => void answer({ promptId: prompt.promptId, kind: 'host-key', decision: 'accept-and-save' })}
            >
              {t('prompts.hostKey.acceptAndSave')}
            </Button>
          </Group>
        </Stack>
      </Modal>
    );
  }

  const cancel = () => void answer({ promptId: prompt.promptId, kind: 'secret', value: null });
  const Input = prompt.echo ? TextInput : PasswordInput;
  return (
    <Modal opened onClose={cancel} title={t(`prompts.secret.${prompt.secret}`, { host: hostName })} centered>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void answer({ promptId: prompt.promptId, kind: 'secret', value: secret });
        }}
      >
        <Stack>
          <Input
            label={prompt.message}
            value={secret}
            onChange={(event) => setSecret(event.currentTarget.value)}
            leftSection={<IconKey size={16} />}
            autoComplete="off"
            data-autofocus
          />
          <Text size="xs" c="dimmed">
            {t('prompts.secret.notStored')}
          </Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={cancel} disabled={busy}>
              {t('hosts.cancel')}
            </Button>
            <Button type="submit" loading={busy}>
              {t('prompts.secret.submit')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
