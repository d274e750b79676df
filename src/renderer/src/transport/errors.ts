import { ApiError } from '@shared/errors';

/**
 * The station could not be reached at all (network down, server stopped). Kept apart from
 * ApiError because no server answered: the request may be retried unchanged.
 */
export class ConnectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConnectionError';
  }
}

/** One line for an error box; keeps ApiError codes visible because QA quotes them in tickets. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof ConnectionError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

export function isApiError(err: unknown, code?: ApiError['code']): err is ApiError {
  // Checked by shape too: errors from Electron IPC are re-created on this side of the bridge
  // and may not share the class identity.
  const looksLike =
    err instanceof ApiError ||
    (typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'ApiError');
  return looksLike && (code === undefined || (err as ApiError).code === code);
}
