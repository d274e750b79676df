// What each station service that talks to the central database shares: one client at a time,
// reopened after the link drops, the last error in words for the Settings card, and a sleep that
// stop() cuts short.
import { Client, type ClientConfig } from 'pg';

export class CentralLink {
  client: Client | null = null;
  lastError: string | null = null;
  private wakeFn: (() => void) | null = null;

  constructor(
    private readonly config: ClientConfig,
    /** Runs on every new connection before it is used (e.g. the schema migration). */
    private readonly onConnect?: (client: Client) => Promise<void>,
  ) {}

  get connected(): boolean {
    return this.client !== null;
  }

  async connect(): Promise<Client> {
    if (this.client) return this.client;
    const client = new Client({ connectionTimeoutMillis: 5000, query_timeout: 30_000, ...this.config });
    // A dropped link surfaces here as well as on the pending query; without a listener Node
    // would treat it as an unhandled error and end the station.
    client.on('error', (err) => {
      this.lastError = err.message;
      if (this.client === client) this.client = null;
    });
    try {
      await client.connect();
      await this.onConnect?.(client);
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    this.client = client;
    return client;
  }

  async disconnect(): Promise<void> {
    const c = this.client;
    this.client = null;
    await c?.end().catch(() => undefined);
  }

  noteError(err: unknown): void {
    this.lastError = err instanceof Error ? err.message : String(err);
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wakeFn = done;
    });
  }

  /** Ends the current sleep now (stop, or new work to ship). */
  wake(): void {
    this.wakeFn?.();
  }
}
