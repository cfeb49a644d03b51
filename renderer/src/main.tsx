import '@mantine/core/styles.css';
import '@mantine/notifications/styles.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { MantineProvider } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import { ApiProvider } from './api/api-context';
import { createApiClient } from './api';
import { App } from './app/App';
import { ConsoleWindow } from './consoles/ConsoleWindow';
import { parseConsoleWindowHash } from './consoles/console-window-route';
import { theme } from './app/theme';
import { initI18n } from './i18n';

async function boot(): Promise<void> {
  await initI18n();
  const root = document.getElementById('root');
  if (!root) throw new Error('index.html has no #root');
  // A console opened in a window of its own shows just that console.
  const consoleRoute = parseConsoleWindowHash(location.hash);
  createRoot(root).render(
    <StrictMode>
      <MantineProvider theme={theme} defaultColorScheme="auto">
        <Notifications position="bottom-right" />
        <ApiProvider client={createApiClient()}>
          {consoleRoute ? <ConsoleWindow route={consoleRoute} /> : <App />}
        </ApiProvider>
      </MantineProvider>
    </StrictMode>,
  );
}

void boot();
