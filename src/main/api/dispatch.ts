// Transport-independent request dispatch: every IPC call and every HTTP call goes through
// here, so validation and error mapping are written once.
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

export type ApiHandlers = {
  [M in ApiMethod]: (request: ApiParsedRequest<M>) => Promise<ApiResults[M]> | ApiResults[M];
};

/** Core modules' domain errors as the API reports them. */
const API_CODE: Record<DomainErrorKind, ApiErrorBody['code']> = {
  invalid: 'bad_request',
  not_found: 'not_found',
  conflict: 'conflict',
};

export type DispatchResult = { ok: true; result: unknown } | { ok: false; error: ApiErrorBody };

export async function dispatch(handlers: ApiHandlers, method: string, raw: unknown): Promise<DispatchResult> {
  if (!isApiMethod(method)) {
    return { ok: false, error: { code: 'not_found', message: `Unknown API method "${method}".` } };
  }
  const parsed = requestSchemas[method].safeParse(raw ?? {});
  if (!parsed.success) {
    return { ok: false, error: { code: 'bad_request', message: describeZodError(method, parsed.error) } };
  }
  try {
    const handler = handlers[method] as (req: unknown) => Promise<unknown> | unknown;
    return { ok: true, result: await handler(parsed.data) };
  } catch (err) {
    if (err instanceof ApiError) return { ok: false, error: { code: err.code, message: err.message } };
    if (err instanceof DomainError) return { ok: false, error: { code: API_CODE[err.kind], message: err.message } };
    const message = err instanceof Error ? err.message : String(err);
    return { ok: false, error: { code: 'internal', message } };
  }
}

function describeZodError(method: string, error: z.ZodError): string {
  const parts = error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(request)'}: ${i.message}`);
  return `Invalid request for ${method}: ${parts.join('; ')}`;
}
