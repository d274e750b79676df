import { createContext, useContext, useEffect, useRef, useSyncExternalStore, type ReactNode } from 'react';
import type { ApiEventName, ApiEvents } from '@shared/api';
import type { ConnectionState, Station } from '../transport';

const StationContext = createContext<Station | null>(null);

export function StationProvider({ station, children }: { station: Station; children: ReactNode }) {
  return <StationContext.Provider value={station}>{children}</StationContext.Provider>;
}

export function useStation(): Station {
  const station = useContext(StationContext);
  if (!station) throw new Error('useStation must be used inside <StationProvider>.');
  return station;
}

export function useConnection(): ConnectionState {
  const { connection } = useStation();
  return useSyncExternalStore(connection.subscribe, connection.get);
}

/** Subscribes for the component's lifetime; the latest listener is used without resubscribing. */
export function useEvent<E extends ApiEventName>(event: E, listener: (payload: ApiEvents[E]) => void): void {
  const { client } = useStation();
  const ref = useRef(listener);
  useEffect(() => {
    ref.current = listener;
  });
  useEffect(() => client.on(event, (p) => ref.current(p)), [client, event]);
}

/** Runs `fn` whenever the link to the station comes back after an outage. */
export function useOnReconnect(fn: () => void): void {
  const { connection } = useStation();
  const ref = useRef(fn);
  useEffect(() => {
    ref.current = fn;
  });
  useEffect(() => connection.onReconnect(() => ref.current()), [connection]);
}
