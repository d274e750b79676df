// Which access token the headless server demands. Only a hash is stored, so the token itself
// can be shown exactly once, when it is made.
import { generateToken, hashToken, isLoopbackHost } from './auth';

export interface TokenStore {
  getInternal<T = unknown>(key: string): T | undefined;
  setInternal(key: string, value: unknown, audit?: { actor: string; reason: string }): void;
}

export interface AccessTokenDecision {
  /** null: no token required (loopback bind). */
  tokenHash: string | null;
  /** Set only when a token was generated now and must be shown to the user. */
  freshToken: string | null;
}

export const TOKEN_KEY = 'server.token_sha256';

export function resolveAccessToken(
  store: TokenStore,
  opts: { host: string; newToken: boolean; envToken?: string },
): AccessTokenDecision {
  if (isLoopbackHost(opts.host) && !opts.envToken) return { tokenHash: null, freshToken: null };
  const stored = store.getInternal<string>(TOKEN_KEY) ?? null;
  let tokenHash = stored;
  let freshToken: string | null = null;
  let reason = '';
  if (opts.envToken) {
    tokenHash = hashToken(opts.envToken);
    reason = 'access token set from STATION_TOKEN';
  } else if (!stored || opts.newToken) {
    freshToken = generateToken();
    tokenHash = hashToken(freshToken);
    reason = opts.newToken
      ? 'new access token requested (--new-token)'
      : 'access token generated for a non-loopback bind';
  }
  if (tokenHash !== stored) store.setInternal(TOKEN_KEY, tokenHash, { actor: 'system', reason });
  return { tokenHash, freshToken };
}
