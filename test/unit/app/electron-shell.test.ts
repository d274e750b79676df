// The desktop window's security settings, checked on the real composition root with Electron
// replaced by a recorder (the binary is a download this environment cannot make): the renderer is
// sandboxed, context-isolated and without Node; it cannot navigate away, open windows or get
// permissions; only our own renderer frame may call the API; the preload exposes one object.
import { beforeAll, describe, expect, it, vi } from 'vitest';

const seen = vi.hoisted(() => ({
  windowOptions: [] as Record<string, unknown>[],
  openHandler: null as null | ((d: { url: string }) => { action: string }),
  navigate: null as null | ((e: { preventDefault: () => void }, url: string) => void),
  permission: null as null | ((wc: unknown, p: string, cb: (ok: boolean) => void) => void),
  headers: null as
    null | ((d: { responseHeaders: Record<string, string[]> }, cb: (r: unknown) => void) => void),
  ipcCall: null as null | ((event: { senderFrame?: { url: string } | null }, ...a: unknown[]) => unknown),
  loaded: [] as string[],
  exposed: new Map<string, unknown>(),
  external: [] as string[],
}));

vi.mock('electron', () => {
  class BrowserWindow {
    webContents = {
      setWindowOpenHandler: (h: typeof seen.openHandler) => (seen.openHandler = h),
      on: (name: string, h: typeof seen.navigate) => {
        if (name === 'will-navigate') seen.navigate = h;
      },
      send: () => {},
      isDestroyed: () => false,
    };
    constructor(options: Record<string, unknown>) {
      seen.windowOptions.push(options);
    }
    once() {}
    loadURL(url: string) {
      seen.loaded.push(url);
      return Promise.resolve();
    }
    static getAllWindows() {
      return [];
    }
  }
  return {
    app: {
      whenReady: () => Promise.resolve(),
      getPath: () => '/nonexistent/user-data',
      getAppPath: () => '/nonexistent/app',
      on: () => {},
      quit: () => {},
      exit: () => {},
    },
    BrowserWindow,
    ipcMain: {
      handle: (_channel: string, h: typeof seen.ipcCall) => (seen.ipcCall = h),
      removeHandler: () => {},
    },
    session: {
      defaultSession: {
        webRequest: { onHeadersReceived: (h: typeof seen.headers) => (seen.headers = h) },
        setPermissionRequestHandler: (h: typeof seen.permission) => (seen.permission = h),
      },
    },
    shell: { openExternal: (url: string) => seen.external.push(url) },
    contextBridge: { exposeInMainWorld: (key: string, api: unknown) => seen.exposed.set(key, api) },
    ipcRenderer: { invoke: () => Promise.resolve(), on: () => {}, removeListener: () => {} },
  };
});

vi.mock('../../../src/main/station-services', () => ({
  openStation: () =>
    Promise.resolve({
      handlers: { 'system.info': () => ({ ok: true }) },
      events: { subscribe: () => () => {} },
      access: undefined,
      startLine: () => Promise.resolve(),
      close: () => Promise.resolve(),
    }),
}));

async function settle(): Promise<void> {
  for (let i = 0; i < 20 && seen.loaded.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
}

describe('Electron shell', () => {
  beforeAll(async () => {
    await import('../../../src/main/app/index');
    await import('../../../src/preload/index');
    await settle();
  });

  it('opens one window whose renderer is sandboxed, context-isolated and has no Node', () => {
    expect(seen.windowOptions).toHaveLength(1);
    const prefs = seen.windowOptions[0].webPreferences as Record<string, unknown>;
    expect(prefs.sandbox).toBe(true);
    expect(prefs.contextIsolation).toBe(true);
    expect(prefs.nodeIntegration).toBe(false);
    expect(prefs.webSecurity).toBe(true);
    expect(prefs.nodeIntegrationInWorker ?? false).toBe(false);
    expect(prefs.nodeIntegrationInSubFrames ?? false).toBe(false);
    expect(prefs.webviewTag ?? false).toBe(false);
    expect(prefs.allowRunningInsecureContent ?? false).toBe(false);
    expect(String(prefs.preload)).toMatch(/preload[\\/]index\.js$/);
  });

  it('loads only the bundled renderer and refuses navigation and new windows', () => {
    expect(seen.loaded).toHaveLength(1);
    const own = seen.loaded[0];
    expect(own).toMatch(/^file:\/\/.*renderer\/index\.html$/);
    const navigate = (url: string) => {
      let prevented = false;
      seen.navigate!({ preventDefault: () => (prevented = true) }, url);
      return prevented;
    };
    expect(navigate('https://evil.example/')).toBe(true);
    expect(navigate('file:///etc/passwd')).toBe(true);
    expect(navigate(own)).toBe(false);
    expect(seen.openHandler!({ url: 'https://docs.example/' }).action).toBe('deny');
    expect(seen.external).toEqual(['https://docs.example/']);
    expect(seen.openHandler!({ url: 'file:///etc/passwd' }).action).toBe('deny');
    expect(seen.external).toHaveLength(1);
  });

  it('grants page content no permission and sends the content security policy', () => {
    for (const p of ['media', 'notifications', 'geolocation', 'hid', 'usb', 'serial']) {
      let granted: boolean | null = null;
      seen.permission!({}, p, (ok) => (granted = ok));
      expect(granted).toBe(false);
    }
    let sent: { responseHeaders: Record<string, string[]> } | null = null;
    seen.headers!({ responseHeaders: {} }, (r) => (sent = r as typeof sent));
    expect(sent!.responseHeaders['Content-Security-Policy'][0]).toMatch(/default-src 'self'/);
  });

  it('answers API calls only from the bundled renderer frame', async () => {
    const own = seen.loaded[0];
    const foreign = (await seen.ipcCall!(
      { senderFrame: { url: 'https://evil.example/' } },
      'system.info',
      {},
    )) as {
      ok: boolean;
      error?: { code: string };
    };
    expect(foreign).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    const none = (await seen.ipcCall!({ senderFrame: null }, 'system.info', {})) as { ok: boolean };
    expect(none.ok).toBe(false);
    const mine = (await seen.ipcCall!({ senderFrame: { url: own } }, 'system.info', {})) as { ok: boolean };
    expect(mine.ok).toBe(true);
  });

  it('exposes exactly one object to the page: call and on, no Node or ipcRenderer', () => {
    expect([...seen.exposed.keys()]).toEqual(['station']);
    const api = seen.exposed.get('station') as Record<string, unknown>;
    expect(Object.keys(api).sort()).toEqual(['call', 'on']);
    expect(typeof api.call).toBe('function');
  });
});
