import { useEffect, useState } from 'react';
import { Alert, Badge, Button, Code, CopyButton, Group, Modal, NumberInput, Stack, Switch, Text, TextInput, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { MetricsExportState } from '../../../preload/api-contract';
import { errorMessage } from '../api';
import { useBusyCall } from '../api/use-busy-call';
import { useApi } from '../api/api-context';


/** The prometheus.yml job that scrapes this endpoint (with the token when one is set). */
export function exampleScrapeConfig(state: MetricsExportState, token: string | null, placeholder: string): string {
  const { address, port } = state.config;
  const target = `${address === '0.0.0.0' ? '<this computer>' : address.includes(':') ? `[${address}]` : address}:${port}`;
  const auth = state.tokenSet || token ? `    authorization:\n      type: Bearer\n      credentials: ${token ?? placeholder}\n` : '';
  return `scrape_configs:\n  - job_name: virtdeck\n    scrape_interval: 15s\n${auth}    static_configs:\n      - targets: ['${target}']\n`;
}

/** Settings → Prometheus export: enable, address and port, the bearer token, an example scrape config. */
export function MetricsExportDialog({ opened, onClose }: { opened: boolean; onClose(): void }) {
  const { t } = useTranslation();
  const api = useApi();
  const [state, setState] = useState<MetricsExportState | null>(null);
  const [enabled, setEnabled] = useState(false);
  const [address, setAddress] = useState('127.0.0.1');
  const [port, setPort] = useState<number>(9177);
  const [token, setToken] = useState<string | null>(null);
  const { busy, error, setError, run } = useBusyCall();

  const show = (next: MetricsExportState) => {
    setState(next);
    setEnabled(next.config.enabled);
    setAddress(next.config.address);
    setPort(next.config.port);
  };

  useEffect(() => {
    if (!opened) return;
    setToken(null);
    setError(null);
    let live = true;
    const load = () => api.call('metricsExport.get', null).then((next) => live && setState(next), () => undefined);
    api.call('metricsExport.get', null).then((next) => live && show(next), (e: unknown) => live && setError(errorMessage(e)));
    // The scrape count moves while the dialog is open.
    const timer = setInterval(() => void load(), 2_000);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [api, opened, setError]);

  const apply = () => run(async () => show(await api.call('metricsExport.set', { enabled, address: address.trim(), port })));
  const newToken = () =>
    run(async () => {
      const answer = await api.call('metricsExport.newToken', null);
      setToken(answer.token);
      setState(answer.state);
    });
  const clearToken = () =>
    run(async () => {
      setToken(null);
      setState(await api.call('metricsExport.clearToken', null));
    });

  return (
    <Modal opened={opened} onClose={onClose} title={t('metricsExport.title')} size="lg">
      <Stack gap="sm" data-testid="metrics-export">
        <Text size="sm" c="dimmed">
          {t('metricsExport.intro')}
        </Text>
        {error && <Alert color="red">{error}</Alert>}
        <Switch label={t('metricsExport.enable')} checked={enabled} onChange={(e) => setEnabled(e.currentTarget.checked)} />
        <Group grow align="flex-start">
          <TextInput label={t('metricsExport.address')} value={address} onChange={(e) => setAddress(e.currentTarget.value)} />
          <NumberInput label={t('metricsExport.port')} value={port} min={1} max={65535} allowDecimal={false} onChange={(v) => setPort(Number(v) || 0)} />
        </Group>
        <Group justify="space-between">
          {state?.url ? (
            <Group gap="xs">
              <Badge color="teal" variant="light">
                {t('metricsExport.listening', { url: state.url })}
              </Badge>
              <Text size="xs" c="dimmed" data-testid="metrics-export-scrapes">
                {t('metricsExport.scrapes', { count: state.scrapes })}
                {state.lastScrapeAt ? ` · ${t('metricsExport.lastScrape', { time: new Date(state.lastScrapeAt).toLocaleTimeString() })}` : ''}
              </Text>
            </Group>
          ) : (
            <Badge color="gray" variant="light">
              {t('metricsExport.off')}
            </Badge>
          )}
          <Button onClick={() => void apply()} loading={busy} disabled={!state}>
            {t('metricsExport.apply')}
          </Button>
        </Group>
        {state?.error && <Alert color="red">{state.error}</Alert>}

        <Title order={4} size="h5" mt="sm">
          {t('metricsExport.token.title')}
        </Title>
        <Text size="sm">{state?.tokenSet ? t('metricsExport.token.set') : t('metricsExport.token.none')}</Text>
        {token && (
          <Alert color="yellow" title={t('metricsExport.token.once')}>
            <Group gap="xs" wrap="nowrap">
              <Code data-testid="metrics-export-token" style={{ wordBreak: 'break-all' }}>
                {token}
              </Code>
              <CopyButton value={token}>
                {({ copied, copy }) => (
                  <Button size="xs" variant="light" onClick={copy}>
                    {copied ? t('metricsExport.token.copied') : t('metricsExport.token.copy')}
                  </Button>
                )}
              </CopyButton>
            </Group>
          </Alert>
        )}
        <Group gap="xs">
          <Button size="xs" variant="default" onClick={() => void newToken()} disabled={busy || !state}>
            {state?.tokenSet ? t('metricsExport.token.regenerate') : t('metricsExport.token.generate')}
          </Button>
          {state?.tokenSet && (
            <Button size="xs" variant="subtle" color="red" onClick={() => void clearToken()} disabled={busy}>
              {t('metricsExport.token.remove')}
            </Button>
          )}
        </Group>

        {state && (
          <>
            <Title order={4} size="h5" mt="sm">
              {t('metricsExport.example')}
            </Title>
            <Code block data-testid="metrics-export-example">
              {exampleScrapeConfig(state, token, t('metricsExport.tokenPlaceholder'))}
            </Code>
          </>
        )}
      </Stack>
    </Modal>
  );
}
