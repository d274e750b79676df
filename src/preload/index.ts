// The renderer's only door to the station: one typed client object, nothing else.
import { contextBridge, ipcRenderer } from 'electron';
import { ApiError } from '@shared/errors';
import { createIpcClient } from '@shared/ipc';
import type { ApiMethod, ApiRequest } from '@shared/api';

const client = createIpcClient(ipcRenderer);

contextBridge.exposeInMainWorld('station', {
  // contextBridge keeps only an Error's message, so the code travels as a "[code] " prefix that
  // the renderer's bridge turns back into an ApiError.
  call: <M extends ApiMethod>(method: M, request: ApiRequest<M>) =>
    client.call(method, request).catch((err: unknown) => {
      if (err instanceof ApiError) throw new Error(`[${err.code}] ${err.message}`);
      throw err;
    }),
  on: client.on,
});
