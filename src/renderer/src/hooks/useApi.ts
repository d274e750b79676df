import { useCallback, useEffect, useState } from 'react';
import type { ApiMethod, ApiRequest, ApiResults } from '@shared/api';
import { useOnReconnect, useStation } from './station';

export interface ApiState<T> {
  data: T | undefined;
  error: unknown;
  /** True while the answer for the current request is outstanding. */
  loading: boolean;
  /** Fetch again; the previous data stays on screen meanwhile so tables do not blink. */
  reload: () => void;
}

interface Settled<T> {
  /** Which request (value + reload count) this answer belongs to. */
  id: string;
  data: T | undefined;
  error: unknown;
}

/**
 * Calls one API method and keeps the answer. The request is compared by value (JSON), so
 * callers can pass object literals. Answers to superseded requests are dropped.
 */
export function useApi<M extends ApiMethod>(method: M, request: ApiRequest<M>): ApiState<ApiResults[M]> {
  const { client } = useStation();
  const key = JSON.stringify(request ?? {});
  const [tick, setTick] = useState(0);
  const id = `${method}|${key}|${tick}`;
  const [settled, setSettled] = useState<Settled<ApiResults[M]>>({ id: '', data: undefined, error: null });

  useEffect(() => {
    let live = true;
    client.call(method, JSON.parse(key) as ApiRequest<M>).then(
      (data) => {
        if (live) setSettled({ id, data, error: null });
      },
      (error: unknown) => {
        // Keep the last good data: an error banner above a stale table beats an empty page.
        if (live) setSettled((prev) => ({ id, data: prev.data, error }));
      },
    );
    return () => {
      live = false;
    };
  }, [client, method, key, id]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  // Events were missed while offline, so whatever is on screen may be stale.
  useOnReconnect(reload);
  return { data: settled.data, error: settled.error, loading: settled.id !== id, reload };
}
