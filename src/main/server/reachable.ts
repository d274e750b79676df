// What to print for a wildcard bind: the URLs of this PC's own addresses, which people can open.
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';

export function reachableUrls(
  listening: string,
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces(),
): string[] {
  const url = new URL(listening);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (host !== '0.0.0.0' && host !== '::') return [];
  const out: string[] = [];
  for (const list of Object.values(interfaces)) {
    for (const a of list ?? []) {
      if (a.internal) continue;
      if (a.family === 'IPv4') out.push(`http://${a.address}:${url.port}/`);
      else if (host === '::' && !a.address.startsWith('fe80')) out.push(`http://[${a.address}]:${url.port}/`);
    }
  }
  return out.length > 0 ? out : [`http://localhost:${url.port}/`];
}
