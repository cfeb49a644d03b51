import { useEffect, useState } from 'react';
import {
  ActionIcon,
  Code,
  Group,
  NumberInput,
  Popover,
  Select,
  TagsInput,
  Text,
  TextInput,
  Tooltip,
} from '@mantine/core';
import { IconArrowBackUp, IconInfoCircle } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { HostConfigDiagnostic, HostConfigKey, HostConfigValue } from '../../../preload/api-contract';

/** One setting of the form: the input that fits its type, the shipped example as the default, its doc. */
export function ConfField({
  spec,
  value,
  diagnostics,
  onCommit,
  disabled,
}: {
  spec: HostConfigKey;
  /** undefined = not set in the file (libvirt's default applies); null = set but unreadable as its type. */
  value: HostConfigValue | null | undefined;
  diagnostics: HostConfigDiagnostic[];
  onCommit(value: HostConfigValue | null): void;
  disabled: boolean;
}) {
  const { t } = useTranslation();
  const set = value !== undefined;
  const errors = diagnostics.filter((d) => d.severity === 'error');
  const warning = diagnostics
    .filter((d) => d.severity === 'warning')
    .map((d) => d.message)
    .join(' · ');
  // The daemon's own words, and the rule (with its libvirt source) that found it.
  const error =
    errors.length > 0 ? (
      <>
        {errors.map((d) => (
          <span key={d.message} style={{ display: 'block' }} title={d.reference}>
            {d.message}
            {d.rule && (
              <Text span size="xs" c="dimmed" ml={4} data-testid="host-config-rule">
                {t('hostConfig.rule', { rule: d.rule })}
              </Text>
            )}
          </span>
        ))}
      </>
    ) : undefined;
  const description = [
    spec.example !== null
      ? t('hostConfig.form.example', { example: spec.example.replace(/\n/g, ' ') })
      : t('hostConfig.form.noExample'),
    set ? '' : t('hostConfig.form.notSet'),
    warning,
  ]
    .filter(Boolean)
    .join(' · ');
  const label = (
    <Group gap={4} wrap="nowrap" component="span">
      <Text span ff="monospace" size="sm" fw={600}>
        {spec.key}
      </Text>
      <Text span size="xs" c="dimmed">
        {t(`hostConfig.types.${spec.type}`)}
      </Text>
    </Group>
  );
  const reset = set ? (
    <Tooltip label={t('hostConfig.form.reset')}>
      <ActionIcon
        variant="subtle"
        size="sm"
        aria-label={t('hostConfig.form.resetKey', { key: spec.key })}
        onClick={() => onCommit(null)}
        disabled={disabled}
      >
        <IconArrowBackUp size={14} />
      </ActionIcon>
    </Tooltip>
  ) : null;
  const doc = spec.doc ? (
    <Popover width={560} position="bottom-start" withArrow shadow="md">
      <Popover.Target>
        <ActionIcon variant="subtle" size="sm" aria-label={t('hostConfig.form.docFor', { key: spec.key })}>
          <IconInfoCircle size={14} />
        </ActionIcon>
      </Popover.Target>
      <Popover.Dropdown>
        <Code block style={{ whiteSpace: 'pre-wrap', maxHeight: 360, overflow: 'auto' }}>
          {spec.doc}
        </Code>
      </Popover.Dropdown>
    </Popover>
  ) : null;
  const right = (
    <Group gap={2} wrap="nowrap">
      {doc}
      {reset}
    </Group>
  );
  const common = {
    label,
    description,
    error,
    disabled,
    'aria-label': spec.key,
    rightSectionWidth: 56,
    rightSection: right,
  };

  switch (spec.type) {
    case 'bool':
      return (
        <Select
          {...common}
          data={[
            { value: '', label: t('hostConfig.form.default') },
            { value: '1', label: t('hostConfig.form.on') },
            { value: '0', label: t('hostConfig.form.off') },
          ]}
          value={value === true ? '1' : value === false ? '0' : ''}
          onChange={(next) => onCommit(next === '1' ? true : next === '0' ? false : null)}
          allowDeselect={false}
          rightSectionPointerEvents="all"
        />
      );
    case 'string-list':
      return (
        <TagsInput
          {...common}
          value={Array.isArray(value) ? value : []}
          onChange={(next) => onCommit(next.length === 0 && !set ? null : next)}
          placeholder={t('hostConfig.form.listPlaceholder')}
        />
      );
    case 'int':
      return (
        <IntField {...common} value={typeof value === 'number' ? value : undefined} onCommit={onCommit} />
      );
    default:
      return (
        <TextField
          {...common}
          value={typeof value === 'string' || typeof value === 'number' ? String(value) : ''}
          onCommit={onCommit}
          limit={spec.type === 'limit'}
        />
      );
  }
}

type CommonProps = Omit<Parameters<typeof TextInput>[0], 'value' | 'onChange'>;

/** Text committed on Enter or blur; empty removes the setting (libvirt's default applies). */
function TextField({
  value,
  onCommit,
  limit,
  ...props
}: CommonProps & { value: string; limit: boolean; onCommit(value: HostConfigValue | null): void }) {
  const [draft, setDraft] = useState(value);
  useEffect(() => setDraft(value), [value]);
  const commit = () => {
    if (draft === value) return;
    if (draft === '') onCommit(null);
    else if (limit && /^\d+$/.test(draft)) onCommit(Number(draft));
    else onCommit(draft);
  };
  return (
    <TextInput
      {...props}
      value={draft}
      onChange={(event) => setDraft(event.currentTarget.value)}
      onBlur={commit}
      onKeyDown={(event) => {
        if (event.key === 'Enter') commit();
      }}
    />
  );
}

function IntField({
  value,
  onCommit,
  ...props
}: CommonProps & { value: number | undefined; onCommit(value: HostConfigValue | null): void }) {
  const [draft, setDraft] = useState<string | number>(value ?? '');
  useEffect(() => setDraft(value ?? ''), [value]);
  const commit = () => {
    const next = draft === '' ? null : Number(draft);
    if (next === (value ?? null)) return;
    if (next !== null && !Number.isSafeInteger(next)) return;
    onCommit(next);
  };
  return (
    <NumberInput
      {...(props as Omit<Parameters<typeof NumberInput>[0], 'value' | 'onChange'>)}
      value={draft}
      onChange={(next) => setDraft(typeof next === 'bigint' ? Number(next) : next)}
      allowDecimal={false}
      hideControls
      onBlur={commit}
      onKeyDown={(event) => {
        if (event.key === 'Enter') commit();
      }}
    />
  );
}
