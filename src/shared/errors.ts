// Kept apart from api.ts so that the sandboxed preload bundle does not pull in zod.

/** Errors that cross a transport keep their code so the UI can tell bad input from failures. */
/** `forbidden`: not signed in, a role that may not do this, or a failed signature. */
export interface ApiErrorBody {
  code: 'bad_request' | 'unauthorized' | 'forbidden' | 'not_found' | 'conflict' | 'internal';
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorBody['code'],
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}
