// Electron composition root: the only module that imports electron. It opens the same
// services as the headless server and exposes them to a sandboxed renderer over IPC.
import { app, BrowserWindow, ipcMain, session, shell } from 'electron';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bindIpc } from '../api/ipc-binding';
import { CONTENT_SECURITY_POLICY } from '../server/static-files';
import { openStation } from '../station-services';

const rendererDir = join(__dirname, '../renderer');
const rendererUrl = pathToFileURL(join(rendererDir, 'index.html')).href;

async function main(): Promise<void> {
  await app.whenReady();
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
    });
  });
  // No permission (camera, notifications, …) is ever granted to page content; hardware stays in main.
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));

  const station = await openStation({
    dataDir: process.env.STATION_DATA_DIR ?? app.getPath('userData'),
    mode: 'electron',
    electronVersion: process.versions.electron ?? null,
  });

  const window = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 1024,
    minHeight: 700,
    title: 'Inspection Station',
    // resources/ sits at the app root (app.getAppPath()) beside out/.
    icon: join(app.getAppPath(), 'resources', 'icon.png'),
    show: false,
    webPreferences: {
      preload: join(__dirname, '../preload/index.js'),
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  window.once('ready-to-show', () => window.show());
  // Links leave the app in the system browser; the window itself never navigates away.
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (/^https?:/.test(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  window.webContents.on('will-navigate', (event, url) => {
    if (!url.startsWith(rendererUrl)) event.preventDefault();
  });

  const unbind = bindIpc(ipcMain, {
    handlers: station.handlers,
    events: station.events,
    isTrustedSender: (url) => url.startsWith(pathToFileURL(rendererDir).href),
    targets: () => BrowserWindow.getAllWindows().map((w) => w.webContents),
    access: station.access,
  });

  await window.loadURL(rendererUrl);
  station.startLine().catch((err: unknown) => console.error('The line could not start:', err));

  app.on('window-all-closed', () => {
    unbind();
    void station.close().finally(() => app.quit());
  });
}

main().catch((err: unknown) => {
  console.error('The station could not start:', err);
  app.exit(1);
});
