// Time source for the device layer. Pulses, holds, write timeouts and retry back-off all go
// through this, so tests drive them with fake timers instead of sleeping, and nothing here
// reads Date.now() or setTimeout directly.

export type TimerHandle = unknown;

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/**
 * Wall clock. Globals are looked up at call time (not captured at import) so vitest's fake
 * timers also steer code that was handed this default clock.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    // A pending retry or pulse must never keep a headless process alive on shutdown.
    if (typeof t === 'object' && t !== null && 'unref' in t) t.unref();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export class TimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`${what} did not complete within ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

/**
 * Races `promise` against a timer on `clock`. Native USB calls cannot be cancelled, so the
 * loser is left running; its eventual rejection is swallowed here so it never surfaces as an
 * unhandled rejection in the station process.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, clock: Clock, what: string): Promise<T> {
  promise.catch(() => undefined);
  return new Promise<T>((resolve, reject) => {
    const timer = clock.setTimeout(() => reject(new TimeoutError(what, ms)), ms);
    promise.then(
      (value) => {
        clock.clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clock.clearTimeout(timer);
        reject(err);
      },
    );
  });
}
