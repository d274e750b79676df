// Command-line options of `npm run serve`, parsed strictly so a typo fails loudly.
import { parseArgs } from 'node:util';

export interface ServeOptions {
  host: string;
  port: number;
  dataDir: string;
  newToken: boolean;
  demo: boolean;
  /** Central database URL: serve the fleet's review UI from it instead of running a station. */
  fleet: string | null;
}

export const DEFAULT_PORT = 8737;

export const SERVE_USAGE = `Usage: npm run serve -- [--port N] [--host ADDRESS] [--data-dir DIR] [--new-token] [--fleet URL]
  --port N        TCP port (default ${DEFAULT_PORT}; 0 picks a free one)
  --host ADDRESS  bind address (default 127.0.0.1; any other address requires an access token)
  --data-dir DIR  database, images and models (default: $STATION_DATA_DIR or ./.data)
  --new-token     generate a new access token for non-loopback binds and print it once
  --no-demo       do not start the line on launch (by default: the last source, or the demo line)
  --fleet URL     be the fleet server: review every station from the central database
                  (postgres://user:password@host:5432/db); accounts live in DIR/fleet-server.db`;

export function parseServeArgs(argv: string[], env: NodeJS.ProcessEnv): ServeOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      'new-token': { type: 'boolean' },
      'no-demo': { type: 'boolean' },
      help: { type: 'boolean' },
      fleet: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) throw new UsageRequested();
  const port = values.port === undefined ? DEFAULT_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--port must be an integer between 0 and 65535, got "${values.port}".`);
  }
  const fleet = values.fleet ?? null;
  if (fleet !== null && !/^postgres(ql)?:\/\/\S+$/.test(fleet)) {
    throw new Error(`--fleet must be a postgres:// URL, got "${fleet.replace(/:[^:@/]*@/, ':•••@')}".`);
  }
  return {
    fleet,
    host: values.host ?? '127.0.0.1',
    port,
    dataDir: values['data-dir'] ?? env.STATION_DATA_DIR ?? '.data',
    newToken: values['new-token'] ?? false,
    demo: !(values['no-demo'] ?? env.STATION_NO_DEMO === '1'),
  };
}

export class UsageRequested extends Error {
  constructor() {
    super(SERVE_USAGE);
  }
}
