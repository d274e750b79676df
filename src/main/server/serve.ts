// Headless composition root: `node out/main/serve.js` (what `npm run serve` runs).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openStation } from '../station-services';
import { generateToken, hashToken, isLoopbackHost } from './auth';
import { startHeadlessServer } from './http-server';
import { parseServeArgs, SERVE_USAGE, UsageRequested } from './serve-args';

const TOKEN_KEY = 'server.token_sha256';

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

  const station = await openStation({ dataDir: resolve(opts.dataDir), mode: 'headless' });

  let tokenHash: string | null = null;
  let freshToken: string | null = null;
  if (!isLoopbackHost(opts.host)) {
    const fromEnv = process.env.STATION_TOKEN;
    tokenHash = station.settings.getInternal<string>(TOKEN_KEY);
    if (fromEnv) {
      tokenHash = hashToken(fromEnv);
    } else if (!tokenHash || opts.newToken) {
      freshToken = generateToken();
      tokenHash = hashToken(freshToken);
    }
    if (tokenHash !== station.settings.getInternal<string>(TOKEN_KEY)) {
      station.settings.setInternal(TOKEN_KEY, tokenHash);
      station.audit.append({
        actor: 'system',
        action: 'server.token_changed',
        entity: 'headless-server',
        oldValue: null,
        newValue: `sha256:${tokenHash.slice(0, 12)}…`,
        reason: fromEnv ? 'token set from STATION_TOKEN' : 'token generated for a non-loopback bind',
      });
    }
  }

  const server = await startHeadlessServer({
    handlers: station.handlers,
    events: station.events,
    staticDir,
    host: opts.host,
    port: opts.port,
    tokenHash,
  });
  station.setHeadlessUrl(server.url);
  console.log(`Station listening on ${server.url}`);
  console.log(`Data directory: ${station.paths.root}`);
  if (freshToken) {
    console.log(`Access token (shown once, keep it): ${freshToken}`);
    console.log(`Open ${server.url}?token=${freshToken}`);
  } else if (tokenHash) {
    console.log('Access token required: use the token shown when it was created (--new-token makes a new one).');
  }

  let closing = false;
  const shutdown = (): void => {
    if (closing) return;
    closing = true;
    void server.close().finally(() => {
      station.close();
      process.exit(0);
    });
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((err: unknown) => {
  console.error('The station could not start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
