// Wraps one OutputDevice so the inspection loop can fire commands and forget them:
// - submit() is synchronous, never throws and never waits for USB;
// - commands go through a per-device FIFO, one transfer at a time, each with a timeout;
// - a failure moves the device to "error" (or "disconnected"), closes it, and a retry with
//   exponential back-off reopens it; a hot-plug attach short-cuts the wait;
// - after a reopen the last "sticky" command (the stack light's current picture) is replayed,
//   because the hardware comes back dark.
// Commands carry a maximum age: a reject pulse that could not be sent in time is dropped,
// because firing the gate late would reject the wrong part. Safe-state commands (relay off)
// have no age limit and are retried until they go through.
import { withTimeout, type Clock, type TimerHandle } from './clock';
import type { OutputDevice } from './output-device';
import { isDisconnectError } from './usb-host';

import type { OutputState, OutputStatus } from '@shared/devices';

export type { OutputState, OutputStatus };

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  factor: number;
}

export interface ManagedOutputOptions {
  clock: Clock;
  /** Upper bound for one write (including any read-back). */
  writeTimeoutMs?: number;
  openTimeoutMs?: number;
  closeTimeoutMs?: number;
  backoff?: Partial<BackoffOptions>;
  /** Hard cap on queued commands; the oldest expiring ones go first. */
  maxQueue?: number;
  onState?: (state: OutputState) => void;
}

export interface SubmitOptions {
  /** Replayed after a reconnect; a newer sticky command replaces an older queued one. */
  sticky?: boolean;
  /** Drop the command if it cannot be written within this many ms. Default: no limit. */
  maxAgeMs?: number;
}

interface Entry<C> {
  cmd: C;
  expiresAt: number;
  sticky: boolean;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 30_000, factor: 2 };

export class ManagedOutput<C> {
  private readonly queue: Entry<C>[] = [];
  private isOpen = false;
  private pumping = false;
  private retryTimer: TimerHandle | null = null;
  private retryAt: number | null = null;
  private failures = 0;
  private lastSticky: C | null = null;
  private disposed = false;
  private current: OutputState;
  private readonly backoff: BackoffOptions;

  constructor(
    readonly device: OutputDevice<C>,
    private readonly opts: ManagedOutputOptions,
  ) {
    this.backoff = { ...DEFAULT_BACKOFF, ...opts.backoff };
    this.current = {
      deviceId: device.id,
      kind: device.kind,
      status: 'disconnected',
      message: 'not opened yet',
      since: opts.clock.now(),
      retryInMs: null,
      droppedCommands: 0,
    };
  }

  get state(): OutputState {
    const retryInMs = this.retryAt === null ? null : Math.max(0, this.retryAt - this.opts.clock.now());
    return { ...this.current, retryInMs };
  }

  /** Opens eagerly so a permission problem shows up in Settings before the first verdict. */
  start(): void {
    this.kick();
  }

  submit(cmd: C, options: SubmitOptions = {}): void {
    if (this.disposed) return;
    try {
      const now = this.opts.clock.now();
      const sticky = options.sticky ?? false;
      if (sticky) {
        this.lastSticky = cmd;
        // Only the newest picture matters; an older one still waiting is obsolete.
        for (let i = this.queue.length - 1; i >= 0; i--) if (this.queue[i].sticky) this.queue.splice(i, 1);
      }
      this.queue.push({
        cmd,
        sticky,
        expiresAt: options.maxAgeMs === undefined ? Infinity : now + options.maxAgeMs,
      });
      this.enforceCap();
      this.kick();
    } catch {
      // submit() is called from the inspection loop; nothing here may escape into it.
    }
  }

  /** Hot-plug: the device (or one like it) came back; retry now instead of waiting out the back-off. */
  notifyAttached(): void {
    if (this.disposed || this.isOpen) return;
    this.cancelRetry();
    this.failures = 0;
    this.kick();
  }

  /** Hot-plug: our device went away. Report it at once rather than on the next failed write. */
  notifyDetached(): void {
    if (this.disposed) return;
    if (this.isOpen) {
      this.isOpen = false;
      this.closeQuietly();
    }
    this.setStatus('disconnected', 'unplugged');
    this.scheduleRetry();
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    this.cancelRetry();
    this.queue.length = 0;
    if (this.isOpen) {
      this.isOpen = false;
      await withTimeout(
        this.device.close(),
        this.opts.closeTimeoutMs ?? 2000,
        this.opts.clock,
        'close',
      ).catch(() => undefined);
    }
  }

  private kick(): void {
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.pumping || this.disposed) return;
    this.pumping = true;
    try {
      for (;;) {
        if (this.disposed) return;
        if (!this.isOpen) {
          if (this.retryTimer !== null) return; // back-off in progress
          if (!(await this.tryOpen())) return;
        }
        this.dropExpired();
        const entry = this.queue.shift();
        if (!entry) return;
        try {
          await withTimeout(
            this.device.write(entry.cmd),
            this.opts.writeTimeoutMs ?? 1500,
            this.opts.clock,
            `write to "${this.device.id}"`,
          );
          // A hot-plug detach may have arrived while this write was in flight.
          if (this.isOpen) this.setStatus('ok', null);
        } catch (err) {
          if (err instanceof RangeError) {
            // The device refused this command itself (e.g. relay 3 on a 2-relay board):
            // retrying cannot help, and it must not block the commands behind it.
            this.current = { ...this.current, droppedCommands: this.current.droppedCommands + 1 };
            this.setStatus('error', err.message);
            continue;
          }
          // Keep the command if it may still go through after the reconnect (safe states,
          // fresh pulses); dropExpired() decides on the next round.
          this.queue.unshift(entry);
          this.fail(err);
          return;
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  private async tryOpen(): Promise<boolean> {
    try {
      await withTimeout(
        this.device.open(),
        this.opts.openTimeoutMs ?? 3000,
        this.opts.clock,
        `open "${this.device.id}"`,
      );
    } catch (err) {
      this.fail(err);
      return false;
    }
    if (this.disposed) {
      this.closeQuietly();
      return false;
    }
    this.isOpen = true;
    this.failures = 0;
    this.setStatus('ok', null);
    // Reconnected hardware is dark: put the last picture back unless a newer one is queued.
    if (this.lastSticky !== null && !this.queue.some((e) => e.sticky)) {
      this.queue.unshift({ cmd: this.lastSticky, sticky: true, expiresAt: Infinity });
    }
    return true;
  }

  private fail(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    if (this.isOpen) {
      this.isOpen = false;
      this.closeQuietly();
    }
    this.setStatus(isDisconnectError(err) ? 'disconnected' : 'error', message);
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.disposed || this.retryTimer !== null) return;
    const delay = Math.min(this.backoff.maxMs, this.backoff.initialMs * this.backoff.factor ** this.failures);
    this.failures++;
    this.retryAt = this.opts.clock.now() + delay;
    this.retryTimer = this.opts.clock.setTimeout(() => {
      this.retryTimer = null;
      this.retryAt = null;
      this.kick();
    }, delay);
    this.emit();
  }

  private cancelRetry(): void {
    if (this.retryTimer !== null) this.opts.clock.clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.retryAt = null;
  }

  private closeQuietly(): void {
    // Not awaited: a hung close must not stall the queue; the retry reopens from scratch.
    withTimeout(this.device.close(), this.opts.closeTimeoutMs ?? 2000, this.opts.clock, 'close').catch(
      () => undefined,
    );
  }

  private dropExpired(): void {
    const now = this.opts.clock.now();
    for (let i = this.queue.length - 1; i >= 0; i--) {
      if (this.queue[i].expiresAt < now) {
        this.queue.splice(i, 1);
        this.current = { ...this.current, droppedCommands: this.current.droppedCommands + 1 };
      }
    }
  }

  private enforceCap(): void {
    const cap = this.opts.maxQueue ?? 64;
    while (this.queue.length > cap) {
      // Prefer dropping commands that would expire anyway; safe states (no expiry) go last.
      let victim = this.queue.findIndex((e) => e.expiresAt !== Infinity);
      if (victim < 0) victim = 0;
      this.queue.splice(victim, 1);
      this.current = { ...this.current, droppedCommands: this.current.droppedCommands + 1 };
    }
  }

  private setStatus(status: OutputStatus, message: string | null): void {
    if (this.current.status === status && this.current.message === message) return;
    this.current = { ...this.current, status, message, since: this.opts.clock.now() };
    this.emit();
  }

  private emit(): void {
    try {
      this.opts.onState?.(this.state);
    } catch {
      // A faulty listener (e.g. a closed UI socket) must not break the output queue.
    }
  }
}
