// Bounded hand-over between a source and inference. When inference is slower than the line, the
// OLDEST waiting frames are dropped (the operator wants the newest part judged, and a camera
// cannot be paused), each drop counted as an overrun. Memory is capped at `capacity` frames
// whatever the backlog would have been.
export class DropOldestQueue<T> {
  private readonly items: (T | undefined)[];
  private head = 0;
  private count = 0;
  private waiters: Array<() => void> = [];
  private roomWaiters: Array<() => void> = [];
  /** Frames dropped because the queue was full. */
  overruns = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`queue capacity must be a positive integer, got ${capacity}`);
    this.items = new Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  /** Adds an item; returns the item dropped to make room, if any. */
  push(item: T): T | undefined {
    let dropped: T | undefined;
    if (this.count === this.capacity) {
      dropped = this.items[this.head];
      this.items[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
      this.count -= 1;
      this.overruns += 1;
    }
    this.items[(this.head + this.count) % this.capacity] = item;
    this.count += 1;
    const w = this.waiters.shift();
    w?.();
    return dropped;
  }

  /** Removes up to `max` oldest items (FIFO). */
  take(max: number): T[] {
    const n = Math.min(max, this.count);
    const out: T[] = [];
    for (let i = 0; i < n; i++) {
      out.push(this.items[this.head] as T);
      this.items[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
    }
    this.count -= n;
    if (n > 0) this.notifyRoom();
    return out;
  }

  /** Empties the queue without counting overruns (stop, model change). */
  clear(): number {
    const n = this.count;
    this.take(n);
    return n;
  }

  /** Resolves as soon as an item is queued (immediately when one is). */
  whenNotEmpty(): Promise<void> {
    if (this.count > 0) return Promise.resolve();
    return new Promise((r) => this.waiters.push(r));
  }

  /** Resolves when the queue is empty: "the consumer has caught up". */
  whenEmpty(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((r) => this.roomWaiters.push(r));
  }

  /** Wakes every waiter (used on stop so no loop stays parked). */
  wakeAll(): void {
    const ws = [...this.waiters, ...this.roomWaiters];
    this.waiters = [];
    this.roomWaiters = [];
    for (const w of ws) w();
  }

  private notifyRoom(): void {
    if (this.count !== 0) return;
    const ws = this.roomWaiters;
    this.roomWaiters = [];
    for (const w of ws) w();
  }
}
