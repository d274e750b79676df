// Image-store files (frames, heatmaps) reach the UI through the images.get call in both the
// Electron window and the browser, so one code path works over IPC and HTTP alike. Refs are
// content addresses, so a cached answer never goes stale.
import { useEffect, useState } from 'react';
import type { StationClient } from '@shared/api';
import { useStation } from './station';

const MAX_CACHED = 300;
const cache = new Map<string, Promise<string>>();

export function storeImageUrl(client: StationClient, ref: string): Promise<string> {
  let hit = cache.get(ref);
  if (hit) {
    // Refresh its place: the map's insertion order is the eviction order.
    cache.delete(ref);
    cache.set(ref, hit);
    return hit;
  }
  hit = client.call('images.get', { ref }).then((img) => `data:${img.mime};base64,${img.base64}`);
  hit.catch(() => cache.delete(ref));
  cache.set(ref, hit);
  while (cache.size > MAX_CACHED) cache.delete(cache.keys().next().value as string);
  return hit;
}

export interface StoreImage {
  url: string | null;
  error: unknown;
}

export function useStoreImage(ref: string | null | undefined): StoreImage {
  const { client } = useStation();
  const [state, setState] = useState<{ ref: string | null; url: string | null; error: unknown }>({
    ref: null,
    url: null,
    error: null,
  });
  useEffect(() => {
    if (!ref) return;
    let live = true;
    storeImageUrl(client, ref).then(
      (url) => live && setState({ ref, url, error: null }),
      (error: unknown) => live && setState({ ref, url: null, error }),
    );
    return () => {
      live = false;
    };
  }, [client, ref]);
  // A previous ref's picture must never show under a new part's heading.
  return state.ref === ref && ref ? { url: state.url, error: state.error } : { url: null, error: null };
}
