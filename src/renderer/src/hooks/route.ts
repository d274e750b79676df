// Hash routing: works unchanged from file:// in Electron and from any path on the headless
// server, and needs no server-side fallback route.
import { useSyncExternalStore } from 'react';

export const ROUTES = ['live', 'review', 'train', 'models', 'history', 'audit', 'settings'] as const;
export type Route = (typeof ROUTES)[number];

function current(): Route {
  const name = window.location.hash.replace(/^#\/?/, '').split(/[/?]/)[0];
  return (ROUTES as readonly string[]).includes(name) ? (name as Route) : 'live';
}

function subscribe(cb: () => void): () => void {
  window.addEventListener('hashchange', cb);
  return () => window.removeEventListener('hashchange', cb);
}

export function useRoute(): Route {
  return useSyncExternalStore(subscribe, current);
}

export function hrefFor(route: Route): string {
  return `#/${route}`;
}
