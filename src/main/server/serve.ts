// Headless composition root: `node out/main/serve.js` (what `npm run serve` runs).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openStation } from '../station-services';
import { resolveAccessToken } from './access-token';
import { startHeadlessServer } from './http-server';
import { reachableUrls } from './reachable';
import { FLEET_SERVER_DB, startFleetServer } from './fleet-server';
import { parseServeArgs, SERVE_USAGE, UsageRequested, type ServeOptions } from './serve-args';

async function main(): Promise<void> {
  let opts;
  try {
    opts = parseServeArgs(process.argv.slice(2), process.env);
  } catch (err) {
    if (err instanceof UsageRequested) {
      console.log(SERVE_USAGE);
      return;
    }
    console.error(`${(err as Error).message}\n${SERVE_USAGE}`);
    process.exit(2);
  }

  const staticDir = resolve(__dirname, '../renderer');
  if (!existsSync(join(staticDir, 'index.html'))) {
    console.error(`The UI build is missing (${staticDir}); run \`npm run build\` first.`);
    process.exit(1);
  }

  if (opts.fleet) return serveFleet(opts, opts.fleet, staticDir);

  const station = await openStation({ dataDir: resolve(opts.dataDir), mode: 'headless' });

  const { tokenHash, freshToken } = resolveAccessToken(station.settings, {
    host: opts.host,
    newToken: opts.newToken,
    envToken: process.env.STATION_TOKEN,
  });

  const server = await startHeadlessServer({
    handlers: station.handlers,
    events: station.events,
    staticDir,
    host: opts.host,
    port: opts.port,
    tokenHash,
    access: station.access,
    files: {
      readImage: (ref) => station.readImage(ref),
      csvLines: (filter) => station.reads.csvLines(filter),
    },
  });
  station.setHeadlessUrl(server.url);
  console.log(`Station listening on ${server.url}`);
  // 0.0.0.0 / :: is where the server listens, not an address anyone can open.
  for (const url of reachableUrls(server.url)) console.log(`  reachable at ${url}`);
  console.log(`Data directory: ${station.paths.root}`);
  if (station.firstAdminPassword) {
    console.log('First start: administrator account "admin" created.');
    console.log(
      `  One-time password (shown once, change it at first sign-in): ${station.firstAdminPassword}`,
    );
  }
  if (freshToken) {
    console.log(`Access token (shown once, keep it): ${freshToken}`);
    console.log(`Open ${server.url}?token=${freshToken}`);
  } else if (process.env.STATION_TOKEN) {
    console.log('Access token required: the one given in STATION_TOKEN.');
  } else if (tokenHash) {
    console.log(
      'Access token required: use the token shown when it was created (--new-token makes a new one).',
    );
  }

  if (opts.demo) {
    // Fitting the demo model takes seconds on first launch; the UI is usable meanwhile.
    station.startLine().then(
      () => console.log('Line started: the Live screen shows inspections.'),
      (err: unknown) =>
        console.error(`The line could not start: ${err instanceof Error ? err.message : String(err)}`),
    );
  }

  let closing = false;
  const shutdown = (): void => {
    if (closing) return;
    closing = true;
    void server
      .close()
      .then(() => station.close())
      .finally(() => process.exit(0));
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

async function serveFleet(opts: ServeOptions, centralUrl: string, staticDir: string): Promise<void> {
  const fleet = await startFleetServer({
    centralUrl,
    dataDir: opts.dataDir,
    staticDir,
    host: opts.host,
    port: opts.port,
    newToken: opts.newToken,
    envToken: process.env.STATION_TOKEN,
  });
  console.log(`Fleet server listening on ${fleet.url}`);
  for (const url of reachableUrls(fleet.url)) console.log(`  reachable at ${url}`);
  console.log(`Central database: ${fleet.store.database}`);
  console.log(`Data directory: ${resolve(opts.dataDir)}`);
  console.log(`  accounts and the server's audit trail: ${join(resolve(opts.dataDir), FLEET_SERVER_DB)}`);
  if (fleet.firstAdminPassword) {
    console.log('First start: administrator account "admin" created.');
    console.log(`  One-time password (shown once, change it at first sign-in): ${fleet.firstAdminPassword}`);
  }
  if (fleet.freshToken) {
    console.log(`Access token (shown once, keep it): ${fleet.freshToken}`);
    console.log(`Open ${fleet.url}?token=${fleet.freshToken}`);
  } else if (fleet.tokenRequired) {
    console.log('Access token required: the one shown when it was created (or STATION_TOKEN).');
  }
  let closing = false;
  const shutdown = (): void => {
    if (closing) return;
    closing = true;
    void fleet.close().finally(() => process.exit(0));
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((err: unknown) => {
  console.error('The station could not start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
