// Electron IPC transport, written against structural types so it is testable without
// Electron: the app passes the real ipcMain, tests pass an in-memory pair.
import { IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL } from '@shared/ipc';
import type { AccessControl } from '../users/access';
import { dispatch, type ApiHandlers } from './dispatch';
import type { EventBus } from './event-bus';

export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcInvokeEventLike, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}
export interface IpcInvokeEventLike {
  senderFrame?: { url: string } | null;
}
export interface EventTarget {
  send(channel: string, message: unknown): void;
  isDestroyed(): boolean;
}

export interface IpcBindingOptions {
  handlers: ApiHandlers;
  events: EventBus;
  /** Only frames loaded from our own renderer may call the API (not a navigated-away page). */
  isTrustedSender: (url: string) => boolean;
  targets: () => EventTarget[];
  /** Accounts: the desktop window's session is held here, never in the renderer. */
  access?: AccessControl;
}

export function bindIpc(ipcMain: IpcMainLike, opts: IpcBindingOptions): () => void {
  let session: string | null = null;
  ipcMain.handle(IPC_CALL_CHANNEL, async (event, method, request) => {
    const url = event.senderFrame?.url ?? '';
    if (!opts.isTrustedSender(url)) {
      return { ok: false, error: { code: 'unauthorized', message: 'Untrusted sender.' } };
    }
    if (typeof method !== 'string') {
      return { ok: false, error: { code: 'bad_request', message: 'Method name must be a string.' } };
    }
    const access = opts.access ? { control: opts.access, caller: { session, local: true } } : undefined;
    const outcome = await dispatch(opts.handlers, method, request, access);
    if (outcome.ok && outcome.session !== undefined) {
      session = outcome.session;
      return { ok: true, result: outcome.result };
    }
    return outcome;
  });
  const unsubscribe = opts.events.subscribe((name, payload) => {
    for (const target of opts.targets()) {
      if (!target.isDestroyed()) target.send(IPC_EVENT_CHANNEL, { event: name, payload });
    }
  });
  return () => {
    unsubscribe();
    ipcMain.removeHandler(IPC_CALL_CHANNEL);
  };
}
