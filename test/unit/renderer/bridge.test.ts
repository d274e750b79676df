import { describe, expect, it } from 'vitest';
import { ApiError } from '@shared/api';
import { toApiError, wrapBridge } from '../../../src/renderer/src/transport/bridge';

describe('Electron bridge error normalisation', () => {
  it('restores the code from a "[code] message" prefix', () => {
    const err = toApiError(new Error('[bad_request] Invalid request for settings.update: reason: Too small'));
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({
      code: 'bad_request',
      message: 'Invalid request for settings.update: reason: Too small',
    });
  });

  it('strips Electron’s invoke prefix and falls back to internal', () => {
    const err = toApiError(new Error("Error invoking remote method 'station:call': Error: disk full"));
    expect(err).toMatchObject({ code: 'internal', message: 'disk full' });
  });

  it('passes ApiError through and rejects wrapped calls with ApiError', async () => {
    const original = new ApiError('conflict', 'busy');
    expect(toApiError(original)).toBe(original);
    const client = wrapBridge({
      call: () => Promise.reject(new Error('[not_found] no such model')),
      on: () => () => undefined,
    });
    await expect(client.call('system.info', {})).rejects.toMatchObject({
      name: 'ApiError',
      code: 'not_found',
    });
  });
});
