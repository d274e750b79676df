// The station's settings are needed everywhere (operator name in the header, actor for every
// audited change), so they are loaded once and kept current by the settings.changed event.
import { createContext, useContext, useState, type ReactNode } from 'react';
import type { Settings } from '@shared/api';
import { useApi } from './useApi';
import { useEvent, useOnReconnect } from './station';

interface SettingsContextValue {
  settings: Settings | undefined;
  error: unknown;
  reload: () => void;
  /** Apply a fresh copy from a settings.update answer before the event arrives. */
  replace: (next: Settings) => void;
}

const SettingsContext = createContext<SettingsContextValue | null>(null);

export function SettingsProvider({ children }: { children: ReactNode }) {
  const { data, error, reload } = useApi('settings.get', {});
  // Newer than `data` whenever set: it comes from an event or an update answer.
  const [pushed, setPushed] = useState<Settings | undefined>(undefined);
  useEvent('settings.changed', setPushed);
  // After an outage the reloaded copy is authoritative; the pushed one may be stale.
  useOnReconnect(() => setPushed(undefined));
  const settings = pushed ?? data;
  return (
    <SettingsContext.Provider value={{ settings, error, reload, replace: setPushed }}>
      {children}
    </SettingsContext.Provider>
  );
}

export function useSettings(): SettingsContextValue {
  const value = useContext(SettingsContext);
  if (!value) throw new Error('useSettings must be used inside <SettingsProvider>.');
  return value;
}
