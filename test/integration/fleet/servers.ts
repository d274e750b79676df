// Real servers for the fleet tests: a throwaway PostgreSQL cluster and a mosquitto broker,
// each on a free port in a temp folder. PostgreSQL refuses to run as root, so as root the
// cluster belongs to the unprivileged "nobody" user.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function pgBinDir(): string | null {
  if (existsSync('/usr/lib/postgresql')) {
    const versions = readdirSync('/usr/lib/postgresql').sort().reverse();
    for (const v of versions)
      if (existsSync(`/usr/lib/postgresql/${v}/bin/initdb`)) return `/usr/lib/postgresql/${v}/bin`;
  }
  return null;
}

export const PG_BIN = pgBinDir();
export const PG_MISSING = PG_BIN
  ? null
  : 'PostgreSQL binaries not found under /usr/lib/postgresql (apt-get install postgresql)';
export const MOSQUITTO = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'].find((p) => existsSync(p)) ?? null;
export const MOSQUITTO_MISSING = MOSQUITTO ? null : 'mosquitto not found (apt-get install mosquitto)';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

const asRoot = process.getuid?.() === 0;

function run(bin: string, args: string[]): string {
  const cmd = asRoot ? 'runuser' : bin;
  const full = asRoot ? ['-u', 'nobody', '--', bin, ...args] : args;
  return execFileSync(cmd, full, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export class TestPostgres {
  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  static async create(): Promise<TestPostgres> {
    if (!PG_BIN) throw new Error(PG_MISSING ?? 'no postgres');
    const dir = mkdtempSync(join(tmpdir(), 'fleet-pg-'));
    chmodSync(dir, 0o777);
    if (asRoot) execFileSync('chown', ['nobody', dir]);
    run(`${PG_BIN}/initdb`, [
      '-D',
      join(dir, 'data'),
      '-A',
      'trust',
      '-U',
      'postgres',
      '--no-sync',
      '-E',
      'UTF8',
    ]);
    const pg = new TestPostgres(dir, await freePort());
    pg.start();
    return pg;
  }

  get config() {
    return { host: '127.0.0.1', port: this.port, user: 'postgres', database: 'postgres' };
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  start(): void {
    run(`${PG_BIN}/pg_ctl`, [
      '-D',
      join(this.dir, 'data'),
      '-l',
      join(this.dir, 'log'),
      '-w',
      '-o',
      `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
      'start',
    ]);
  }

  stop(): void {
    run(`${PG_BIN}/pg_ctl`, ['-D', join(this.dir, 'data'), '-m', 'fast', '-w', 'stop']);
  }

  destroy(): void {
    try {
      this.stop();
    } catch {
      // already stopped
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export class TestMosquitto {
  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly proc: ChildProcess,
  ) {}

  static async create(): Promise<TestMosquitto> {
    if (!MOSQUITTO) throw new Error(MOSQUITTO_MISSING ?? 'no mosquitto');
    const dir = mkdtempSync(join(tmpdir(), 'fleet-mqtt-'));
    const port = await freePort();
    const conf = join(dir, 'mosquitto.conf');
    writeFileSync(
      conf,
      `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n${asRoot ? 'user root\n' : ''}`,
    );
    const proc = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    const broker = new TestMosquitto(dir, port, proc);
    await broker.waitListening();
    return broker;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  private async waitListening(): Promise<void> {
    const { connect } = await import('node:net');
    for (let i = 0; i < 100; i++) {
      const ok = await new Promise<boolean>((resolve) => {
        const s = connect(this.port, '127.0.0.1', () => {
          s.destroy();
          resolve(true);
        });
        s.on('error', () => resolve(false));
      });
      if (ok) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`mosquitto did not listen on ${this.port}`);
  }

  destroy(): void {
    this.proc.kill('SIGTERM');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
