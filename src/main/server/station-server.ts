// The headless server over one opened station: its handlers, events, access control, images and
// streamed CSV. One place, so the `serve` command, benchmarks and tests serve a station the same way.
import type { Station } from '../station-services';
import { startHeadlessServer, type HeadlessServer } from './http-server';

export interface StationServerNet {
  staticDir: string;
  host: string;
  port: number;
  /** SHA-256 of the access token; null serves loopback only. */
  tokenHash: string | null;
}

export function startStationServer(station: Station, net: StationServerNet): Promise<HeadlessServer> {
  return startHeadlessServer({
    handlers: station.handlers,
    events: station.events,
    ...net,
    access: station.access,
    files: {
      readImage: (ref) => station.readImage(ref),
      csvLines: (filter) => station.reads.csvLines(filter),
    },
  });
}
