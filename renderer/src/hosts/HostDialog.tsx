import { useEffect } from 'react';
import { Button, Group, Modal, NumberInput, Select, Stack, TagsInput, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import { useTranslation } from 'react-i18next';
import type { HostDraft, HostEntry, LibvirtTransportChoice } from '../../../preload/api-contract';
import { ApiCallError } from '../api';
import { useApi } from '../api/api-context';

export interface HostFormValues {
  displayName: string;
  user: string;
  host: string;
  port: number;
  identityFile: string;
  proxyJump: string;
  libvirtUri: string;
  transport: LibvirtTransportChoice;
  tags: string[];
  group: string;
}

const INITIAL: HostFormValues = {
  displayName: '',
  user: 'root',
  host: '',
  port: 22,
  identityFile: '',
  proxyJump: '',
  libvirtUri: 'qemu:///system',
  transport: 'auto',
  tags: [],
  group: '',
};

function fromEntry(entry: HostEntry): HostFormValues {
  return {
    displayName: entry.displayName,
    user: entry.ssh.user,
    host: entry.ssh.host,
    port: entry.ssh.port,
    identityFile: entry.ssh.identityFile ?? '',
    proxyJump: entry.ssh.proxyJump ?? '',
    libvirtUri: entry.libvirtUri,
    transport: entry.transport,
    tags: entry.tags,
    group: entry.group ?? '',
  };
}

function toDraft(values: HostFormValues): HostDraft {
  const draft: HostDraft = {
    displayName: values.displayName.trim(),
    ssh: { user: values.user.trim(), host: values.host.trim(), port: values.port },
    libvirtUri: values.libvirtUri.trim(),
    transport: values.transport,
    tags: values.tags,
  };
  if (values.identityFile.trim()) draft.ssh.identityFile = values.identityFile.trim();
  if (values.proxyJump.trim()) draft.ssh.proxyJump = values.proxyJump.trim();
  if (values.group.trim()) draft.group = values.group.trim();
  return draft;
}

/** Maps a field path from main's validation ("ssh.host") to the form's field ("host"). */
function formField(field: string | undefined): keyof HostFormValues | null {
  if (!field) return null;
  const last = field.split('.').pop() ?? '';
  return last in INITIAL ? (last as keyof HostFormValues) : null;
}

/** Adds a host, or edits one (`editing`); `preset` pre-fills a new one (import, this computer). */
export function HostDialog({
  opened,
  onClose,
  editing,
  preset,
}: {
  opened: boolean;
  onClose: () => void;
  editing?: HostEntry | null;
  preset?: Partial<HostFormValues> | null;
}) {
  const { t } = useTranslation();
  const api = useApi();
  const form = useForm<HostFormValues>({
    mode: 'controlled',
    initialValues: INITIAL,
    validate: {
      displayName: (v) => (v.trim() ? null : t('hosts.form.required')),
      user: (v) => (v.trim() ? null : t('hosts.form.required')),
      host: (v) => (v.trim() ? null : t('hosts.form.required')),
      libvirtUri: (v) => (v.trim() ? null : t('hosts.form.required')),
    },
  });

  useEffect(() => {
    if (!opened) return;
    form.setValues(editing ? fromEntry(editing) : { ...INITIAL, ...preset });
    // Only when the dialog opens: typing must not be overwritten.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [opened, editing, preset]);

  const close = () => {
    form.reset();
    onClose();
  };

  const submit = form.onSubmit(async (values) => {
    try {
      const draft = toDraft(values);
      const saved = editing ? await api.call('hosts.update', { ...draft, id: editing.id }) : await api.call('hosts.add', draft);
      notifications.show({ color: 'teal', message: t('hosts.saved', { name: saved.displayName }) });
      close();
    } catch (error) {
      const apiError = error instanceof ApiCallError ? error.error : null;
      const field = formField(apiError?.field);
      if (field) form.setFieldError(field, apiError?.message ?? String(error));
      else notifications.show({ color: 'red', title: t('errors.title'), message: (error as Error).message });
    }
  });

  return (
    <Modal opened={opened} onClose={close} title={editing ? t('hosts.form.editTitle', { name: editing.displayName }) : t('hosts.form.title')} size="lg" centered>
      <form onSubmit={submit} noValidate>
        <Stack>
          <TextInput
            label={t('hosts.form.displayName')}
            placeholder={t('hosts.form.displayNamePlaceholder')}
            withAsterisk
            data-autofocus
            {...form.getInputProps('displayName')}
          />
          <Group grow align="flex-start">
            <TextInput label={t('hosts.form.user')} withAsterisk {...form.getInputProps('user')} />
            <TextInput label={t('hosts.form.host')} withAsterisk {...form.getInputProps('host')} />
            <NumberInput label={t('hosts.form.port')} min={1} max={65535} maw={120} {...form.getInputProps('port')} />
          </Group>
          <TextInput
            label={t('hosts.form.identityFile')}
            description={t('hosts.form.identityFileHint')}
            placeholder="~/.ssh/id_ed25519"
            {...form.getInputProps('identityFile')}
          />
          <TextInput
            label={t('hosts.form.proxyJump')}
            description={t('hosts.form.proxyJumpHint')}
            {...form.getInputProps('proxyJump')}
          />
          <Group grow align="flex-start">
            <TextInput label={t('hosts.form.uri')} withAsterisk {...form.getInputProps('libvirtUri')} />
            <Select
              label={t('hosts.form.transport')}
              allowDeselect={false}
              data={(['auto', 'ssh-socket', 'ssh-helper', 'local-socket'] as const).map((value) => ({
                value,
                label: t(`hosts.form.transports.${value}`),
              }))}
              {...form.getInputProps('transport')}
            />
          </Group>
          <TextInput label={t('hosts.form.group')} description={t('hosts.form.groupHint')} {...form.getInputProps('group')} />
          <TagsInput label={t('hosts.form.tags')} description={t('hosts.form.tagsHint')} {...form.getInputProps('tags')} />
          <Group justify="flex-end" mt="sm">
            <Button variant="default" onClick={close}>
              {t('hosts.cancel')}
            </Button>
            <Button type="submit" loading={form.submitting}>
              {t('hosts.save')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
