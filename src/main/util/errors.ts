// Errors core modules throw for the caller's input or the state it asked about. They know nothing
// of transports: the API layer maps `kind` onto its error codes (src/main/api/dispatch.ts), the CLI
// prints the message.
// 'forbidden': the caller may not do this (not signed in, wrong password or role).
export type DomainErrorKind = 'invalid' | 'not_found' | 'conflict' | 'forbidden';

export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DomainError';
  }
}
