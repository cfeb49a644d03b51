import { app, BrowserWindow, shell } from 'electron';
import { join } from 'node:path';
import { createAppServices, type AppServices } from '../app-services';
import { installAlertNotifications } from './alert-notifications';
import { installAppMenu } from './app-menu';
import { APP_ORIGIN, registerAppScheme, serveRendererFiles } from './app-protocol';
import { installIpcBridge } from './ipc-bridge';
import { TrustedSenders, originOf } from './trusted-sender';
import { decideWindowOpen } from './window-policy';

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

/** Every VirtDeck window runs sandboxed, isolated, with the bundled preload only. */
const WEB_PREFERENCES = {
  preload: join(import.meta.dirname, '../preload/preload.cjs'),
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  webSecurity: true,
  spellcheck: false,
} as const;

/**
 * Trusts a VirtDeck window's IPC and keeps it on the app: no navigation away, no new windows except
 * VirtDeck's own console windows; http(s) links open in the user's browser.
 */
function guardWindow(window: BrowserWindow): void {
  senders.add(window.webContents);
  window.webContents.on('will-navigate', (event, url) => {
    if (originOf(url) !== rendererOrigin) event.preventDefault();
  });
  window.webContents.setWindowOpenHandler(({ url }) => {
    const decision = decideWindowOpen(url, rendererOrigin);
    if (decision === 'console-window') {
      return {
        action: 'allow',
        overrideBrowserWindowOptions: { width: 1100, height: 820, minWidth: 480, minHeight: 320, webPreferences: WEB_PREFERENCES },
      };
    }
    if (decision === 'external') void shell.openExternal(url);
    return { action: 'deny' };
  });
  // A console window is guarded like the main one (it is created by the 'allow' above).
  window.webContents.on('did-create-window', (child) => guardWindow(child));
}

function createMainWindow(): BrowserWindow {
  const window = new BrowserWindow({
    width: 1400,
    height: 900,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: 'VirtDeck',
    webPreferences: WEB_PREFERENCES,
  });
  guardWindow(window);
  window.once('ready-to-show', () => window.show());
  void window.loadURL(rendererUrl);
  return window;
}

app.on('web-contents-created', (_event, contents) => {
  contents.on('will-attach-webview', (event) => event.preventDefault());
});

void app.whenReady().then(() => {
  serveRendererFiles(join(import.meta.dirname, '../renderer'), () => services?.deps.storage.transfers ?? null);
  services = createAppServices({ transport: 'electron' });
  installIpcBridge(services.router, senders);
  installAppMenu();
  const mainWindow = createMainWindow();
  installAlertNotifications(services, () => (mainWindow.isDestroyed() ? null : mainWindow));
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createMainWindow();
  });
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

// Quit only once the services are disposed (libvirt connections closed with CONNECT_CLOSE before their
// SSH connections), at most 5 s: an exit that cuts them mid-call is what crashes libvirtd 9.0.
let servicesDisposed = false;
app.on('will-quit', (event) => {
  if (servicesDisposed || !services) return;
  servicesDisposed = true;
  event.preventDefault();
  const disposing = services.dispose().catch(() => undefined);
  void Promise.race([disposing, new Promise((resolve) => setTimeout(resolve, 5_000))]).then(() => app.quit());
});
