// Hash routing: works unchanged from file:// in Electron and from any path on the headless
// server, and needs no server-side fallback route.
import { useSyncExternalStore } from 'react';

export const ROUTES = [
  'live',
  'source',
  'products',
  'review',
  'train',
  'models',
  'history',
  'audit',
  'users',
  'settings',
] as const;
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

function currentQuery(): string {
  const hash = window.location.hash;
  const q = hash.indexOf('?');
  return q < 0 ? '' : hash.slice(q + 1);
}

/** Parameters after the route, e.g. `#/review?id=42`; the string form keeps React's snapshot stable. */
export function useRouteQuery(): URLSearchParams {
  const text = useSyncExternalStore(subscribe, currentQuery);
  return new URLSearchParams(text);
}

export function hrefWith(route: Route, params: Record<string, string | number>): string {
  const q = new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)])).toString();
  return q ? `#/${route}?${q}` : `#/${route}`;
}

export function navigate(route: Route, params: Record<string, string | number> = {}): void {
  window.location.hash = hrefWith(route, params);
}
