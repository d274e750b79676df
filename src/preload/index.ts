// The renderer's only door to the station: one typed client object, nothing else.
import { contextBridge, ipcRenderer } from 'electron';
import { createIpcClient } from '@shared/ipc';

const client = createIpcClient(ipcRenderer);
contextBridge.exposeInMainWorld('station', {
  call: client.call,
  on: client.on,
});
