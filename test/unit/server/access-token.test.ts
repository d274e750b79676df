import { describe, expect, it } from 'vitest';
import { hashToken } from '../../../src/main/server/auth';
import { resolveAccessToken, TOKEN_KEY, type TokenStore } from '../../../src/main/server/access-token';

function memoryStore(): TokenStore & { values: Map<string, unknown>; audits: string[] } {
  const values = new Map<string, unknown>();
  const audits: string[] = [];
  return {
    values,
    audits,
    getInternal: <T>(k: string) => values.get(k) as T | undefined,
    setInternal: (k, v, audit) => {
      values.set(k, v);
      if (audit) audits.push(audit.reason);
    },
  };
}

describe('resolveAccessToken', () => {
  it('needs no token on loopback', () => {
    const store = memoryStore();
    expect(resolveAccessToken(store, { host: '127.0.0.1', newToken: false })).toEqual({
      tokenHash: null,
      freshToken: null,
    });
    expect(store.values.size).toBe(0);
  });

  it('generates a token once for a non-loopback bind, stores only its hash, and keeps it', () => {
    const store = memoryStore();
    const first = resolveAccessToken(store, { host: '0.0.0.0', newToken: false });
    expect(first.freshToken).toBeTruthy();
    expect(first.tokenHash).toBe(hashToken(first.freshToken!));
    expect(store.values.get(TOKEN_KEY)).toBe(first.tokenHash);
    expect(JSON.stringify([...store.values])).not.toContain(first.freshToken!);

    const second = resolveAccessToken(store, { host: '0.0.0.0', newToken: false });
    expect(second).toEqual({ tokenHash: first.tokenHash, freshToken: null });
    expect(store.audits).toHaveLength(1);
  });

  it('replaces the token on request and honours STATION_TOKEN', () => {
    const store = memoryStore();
    const first = resolveAccessToken(store, { host: '10.0.0.5', newToken: false });
    const renewed = resolveAccessToken(store, { host: '10.0.0.5', newToken: true });
    expect(renewed.freshToken).not.toBe(first.freshToken);
    expect(renewed.tokenHash).not.toBe(first.tokenHash);
    const fromEnv = resolveAccessToken(store, {
      host: '10.0.0.5',
      newToken: false,
      envToken: 'plant-secret',
    });
    expect(fromEnv).toEqual({ tokenHash: hashToken('plant-secret'), freshToken: null });
    expect(store.audits).toHaveLength(3);
  });
});
