import { describe, expect, it } from 'vitest';
import { reachableUrls } from '../../../src/main/server/reachable';

const nics = {
  lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true }],
  eth0: [
    { address: '192.168.1.20', family: 'IPv4', internal: false },
    { address: 'fe80::1', family: 'IPv6', internal: false },
    { address: '2001:db8::5', family: 'IPv6', internal: false },
  ],
} as unknown as Parameters<typeof reachableUrls>[1];

describe('addresses printed for a wildcard bind', () => {
  it('lists this PC’s addresses instead of 0.0.0.0', () => {
    expect(reachableUrls('http://0.0.0.0:8080/', nics)).toEqual(['http://192.168.1.20:8080/']);
    expect(reachableUrls('http://[::]:8080/', nics)).toEqual([
      'http://192.168.1.20:8080/',
      'http://[2001:db8::5]:8080/',
    ]);
  });

  it('prints nothing extra for a specific address', () => {
    expect(reachableUrls('http://127.0.0.1:8080/', nics)).toEqual([]);
  });
});
