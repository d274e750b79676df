// The Electron transport's client half, shared by the preload script and the contract tests.
import { ApiError, type ApiErrorBody } from './errors';
import type { ApiEventName, ApiEvents, ApiMethod, ApiRequest, ApiResults, StationClient } from './api';

export const IPC_CALL_CHANNEL = 'station:call';
export const IPC_EVENT_CHANNEL = 'station:event';

type CallOutcome = { ok: true; result: unknown } | { ok: false; error: ApiErrorBody };

export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, message: unknown) => void): void;
  removeListener(channel: string, listener: (event: unknown, message: unknown) => void): void;
}

export function createIpcClient(ipc: IpcRendererLike): StationClient {
  return {
    async call<M extends ApiMethod>(method: M, request: ApiRequest<M>): Promise<ApiResults[M]> {
      const outcome = (await ipc.invoke(IPC_CALL_CHANNEL, method, request)) as CallOutcome;
      if (!outcome.ok) throw new ApiError(outcome.error.code, outcome.error.message);
      return outcome.result as ApiResults[M];
    },
    on<E extends ApiEventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void {
      const wrapped = (_e: unknown, message: unknown): void => {
        const m = message as { event: string; payload: unknown };
        if (m && m.event === event) listener(m.payload as ApiEvents[E]);
      };
      ipc.on(IPC_EVENT_CHANNEL, wrapped);
      return () => ipc.removeListener(IPC_EVENT_CHANNEL, wrapped);
    },
  };
}
