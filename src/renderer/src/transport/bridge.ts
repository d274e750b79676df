// Electron transport: the preload's window.station, with errors put back into shape.
// contextBridge copies only `message` of a rejected Error (electron/electron#25596), so the
// ApiError class and its `code` do not survive the trip. If the preload encodes the code as a
// "[code] " message prefix we restore it; otherwise the error still reads correctly, as
// 'internal'.
import type { StationClient } from '@shared/api';
import { ApiError, type ApiErrorBody } from '@shared/errors';

const PREFIXED = /^\[(bad_request|unauthorized|not_found|conflict|internal)\]\s*([\s\S]*)$/;

export function toApiError(err: unknown): unknown {
  if (err instanceof ApiError) return err;
  if (!(err instanceof Error)) return err;
  // Electron may prepend "Error invoking remote method 'x': Error: " to the real message.
  const message = err.message.replace(/^Error invoking remote method '[^']*':\s*(?:\w*Error:\s*)?/, '');
  const m = PREFIXED.exec(message);
  if (m) return new ApiError(m[1] as ApiErrorBody['code'], m[2]);
  return new ApiError('internal', message);
}

export function wrapBridge(bridge: StationClient): StationClient {
  return {
    call: (method, request) =>
      bridge.call(method, request).catch((err: unknown) => {
        throw toApiError(err);
      }),
    on: (event, listener) => bridge.on(event, listener),
  };
}
