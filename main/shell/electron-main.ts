import { app, BrowserWindow, shell } from 'electron';
import { join } from 'node:path';
import { createAppServices, type AppServices } from '../app-services';
import { installAppMenu } from './app-menu';
import { APP_ORIGIN, registerAppScheme, serveRendererFiles } from './app-protocol';
import { installIpcBridge } from './ipc-bridge';
import { TrustedSenders, originOf } from './trusted-sender';

/**
 * The Electron shell: window, menu and IPC wiring around the same services serve mode uses.
 * Keep it thin — everything testable lives outside main/shell/.
 */
const devServerUrl = process.env.ELECTRON_RENDERER_URL;
const rendererUrl = devServerUrl ?? `${APP_ORIGIN}/index.html`;
const rendererOrigin = originOf(rendererUrl);
const senders = new TrustedSenders(rendererOrigin ? [rendererOrigin] : []);
let services: AppServices | null = null;

registerAppScheme();

function createMainWindow(): BrowserWindow {
  const window = new BrowserWindow({
    width: 1400,
    height: 900,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: 'VirtDeck',
    webPreferences: {
      preload: join(import.meta.dirname, '../preload/preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  senders.add(window.webContents);
  window.once('ready-to-show', () => window.show());
  // No navigation away from the app, no new windows; http(s) links open in the user's browser.
  window.webContents.on('will-navigate', (event, url) => {
    if (originOf(url) !== rendererOrigin) event.preventDefault();
  });
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (/^https?:\/\//.test(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  void window.loadURL(rendererUrl);
  return window;
}

app.on('web-contents-created', (_event, contents) => {
  contents.on('will-attach-webview', (event) => event.preventDefault());
});

void app.whenReady().then(() => {
  serveRendererFiles(join(import.meta.dirname, '../renderer'));
  services = createAppServices({ transport: 'electron' });
  installIpcBridge(services.router, senders);
  installAppMenu();
  createMainWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createMainWindow();
  });
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

app.on('will-quit', () => {
  void services?.dispose();
});
