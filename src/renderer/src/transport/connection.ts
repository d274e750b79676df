// Connection state as a tiny external store, so React reads it with useSyncExternalStore and
// non-React code (the transports) can update it without knowing about components.

export type ConnectionState =
  /** Electron IPC: there is no network link that could drop. */
  | { kind: 'local' }
  | { kind: 'connecting' }
  | { kind: 'online' }
  /** The event socket closed; `retryAt` is when the next attempt starts (ms since epoch). */
  | { kind: 'reconnecting'; attempt: number; retryAt: number }
  /** The server refused us: the browser has no valid token cookie. Retrying cannot fix this. */
  | { kind: 'unauthorized'; message: string };

type Listener = () => void;

export class ConnectionMonitor {
  private state: ConnectionState;
  private readonly listeners = new Set<Listener>();
  private readonly reconnectListeners = new Set<Listener>();

  constructor(initial: ConnectionState) {
    this.state = initial;
  }

  get = (): ConnectionState => this.state;

  subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /**
   * Called after the link comes back. Events sent while we were away are lost, so screens
   * that show server state reload when this fires.
   */
  onReconnect(listener: Listener): () => void {
    this.reconnectListeners.add(listener);
    return () => this.reconnectListeners.delete(listener);
  }

  set(next: ConnectionState): void {
    const prev = this.state;
    // Once unauthorized, only a page reload (after opening the token URL) can help; ignore the
    // socket's own state changes so the access page does not flicker away.
    if (prev.kind === 'unauthorized' && next.kind !== 'unauthorized') return;
    this.state = next;
    for (const l of [...this.listeners]) l();
    if (next.kind === 'online' && prev.kind === 'reconnecting') {
      for (const l of [...this.reconnectListeners]) l();
    }
  }
}
