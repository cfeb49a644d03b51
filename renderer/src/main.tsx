import '@mantine/core/styles.css';
import '@mantine/notifications/styles.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { MantineProvider } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import { ApiProvider } from './api/api-context';
import { createApiClient } from './api';
import { App } from './app/App';
import { theme } from './app/theme';
import { initI18n } from './i18n';

async function boot(): Promise<void> {
  await initI18n();
  const root = document.getElementById('root');
  if (!root) throw new Error('index.html has no #root');
  createRoot(root).render(
    <StrictMode>
      <MantineProvider theme={theme} defaultColorScheme="auto">
        <Notifications position="bottom-right" />
        <ApiProvider client={createApiClient()}>
          <App />
        </ApiProvider>
      </MantineProvider>
    </StrictMode>,
  );
}

void boot();
