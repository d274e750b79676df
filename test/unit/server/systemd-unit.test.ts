// The shipped systemd unit must restart the station whatever ends it, and its command line must
// be one `serve` accepts (a typo there would leave a headless line in a restart loop).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseServeArgs } from '../../../src/main/server/serve-args';

const UNIT = readFileSync(
  resolve(__dirname, '../../../resources/systemd/inspection-station.service'),
  'utf8',
);
const directive = (name: string): string[] =>
  UNIT.split('\n')
    .filter((l) => l.startsWith(`${name}=`))
    .map((l) => l.slice(name.length + 1).trim());

describe('systemd unit for headless stations', () => {
  it('restarts always, without a start limit, and stops with SIGTERM', () => {
    expect(directive('Restart')).toEqual(['always']);
    expect(directive('StartLimitIntervalSec')).toEqual(['0']);
    expect(Number(directive('RestartSec')[0])).toBeLessThanOrEqual(5);
    expect(directive('KillSignal')).toEqual(['SIGTERM']);
  });

  it('runs out/main/serve.js with options serve accepts, on loopback', () => {
    const [exec] = directive('ExecStart');
    const [node, script, ...args] = exec.split(/\s+/);
    expect(node).toMatch(/node$/);
    expect(script).toMatch(/\/out\/main\/serve\.js$/);
    const opts = parseServeArgs(args, {});
    expect(opts.host).toBe('127.0.0.1');
    expect(opts.dataDir).toBe(directive('ReadWritePaths')[0]);
  });

  it('runs unprivileged with the data directory private', () => {
    expect(directive('User')[0]).not.toBe('root');
    expect(directive('NoNewPrivileges')).toEqual(['yes']);
    expect(directive('StateDirectoryMode')).toEqual(['0700']);
  });
});
