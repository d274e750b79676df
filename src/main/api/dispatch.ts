// Transport-independent request dispatch: every IPC call and every HTTP call goes through
// here, so access control, validation and error mapping are written once.
import type { z } from 'zod';
import {
  ApiError,
  isApiMethod,
  requestSchemas,
  type ApiErrorBody,
  type ApiMethod,
  type ApiParsedRequest,
  type ApiResults,
} from '@shared/api';
import { DomainError, type DomainErrorKind } from '../util/errors';
import type { AccessControl, Caller } from '../users/access';

/** Answered by the access control itself: they read or change the caller's session. */
export type AuthMethod = 'auth.status' | 'auth.signIn' | 'auth.signOut' | 'auth.changePassword';
const AUTH_METHODS: ReadonlySet<string> = new Set<AuthMethod>([
  'auth.status',
  'auth.signIn',
  'auth.signOut',
  'auth.changePassword',
]);

export type ApiHandlers = {
  [M in Exclude<ApiMethod, AuthMethod>]: (
    request: ApiParsedRequest<M>,
  ) => Promise<ApiResults[M]> | ApiResults[M];
};

/** Core modules' domain errors as the API reports them. */
const API_CODE: Record<DomainErrorKind, ApiErrorBody['code']> = {
  invalid: 'bad_request',
  not_found: 'not_found',
  conflict: 'conflict',
  forbidden: 'forbidden',
};

export type DispatchResult =
  | {
      ok: true;
      result: unknown;
      /** Set by sign-in (a new token) and sign-out (null); the transport keeps or drops it. */
      session?: string | null;
    }
  | { ok: false; error: ApiErrorBody };

/** Accounts and the connection's session; without it (bare test servers) every call is open. */
export interface DispatchAccess {
  control: AccessControl;
  caller: Caller;
}

export async function dispatch(
  handlers: ApiHandlers,
  method: string,
  raw: unknown,
  access?: DispatchAccess,
): Promise<DispatchResult> {
  if (!isApiMethod(method)) {
    return { ok: false, error: { code: 'not_found', message: `Unknown API method "${method}".` } };
  }
  let input = raw ?? {};
  if (access) {
    const admitted = access.control.admit(method, input, access.caller);
    if (!admitted.ok) return { ok: false, error: errorBodyOf(admitted.error) };
    input = admitted.request;
  }
  const parsed = requestSchemas[method].safeParse(input);
  if (!parsed.success) {
    return { ok: false, error: { code: 'bad_request', message: describeZodError(method, parsed.error) } };
  }
  try {
    if (AUTH_METHODS.has(method)) {
      if (!access) {
        return {
          ok: false,
          error: { code: 'not_found', message: 'Accounts are not enabled on this connection.' },
        };
      }
      const out = access.control.auth(method, parsed.data as Record<string, unknown>, access.caller);
      return { ok: true, result: out.result, ...(out.session !== undefined ? { session: out.session } : {}) };
    }
    const handler = handlers[method as keyof ApiHandlers] as (req: unknown) => Promise<unknown> | unknown;
    return { ok: true, result: await handler(parsed.data) };
  } catch (err) {
    return { ok: false, error: errorBodyOf(err) };
  }
}

/** What a thrown error becomes on the wire: its API code or domain kind, else `internal`. */
export function errorBodyOf(err: unknown): ApiErrorBody {
  if (err instanceof ApiError) return { code: err.code, message: err.message };
  if (err instanceof DomainError) return { code: API_CODE[err.kind], message: err.message };
  return { code: 'internal', message: err instanceof Error ? err.message : String(err) };
}

function describeZodError(method: string, error: z.ZodError): string {
  const parts = error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(request)'}: ${i.message}`);
  return `Invalid request for ${method}: ${parts.join('; ')}`;
}
