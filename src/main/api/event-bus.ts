// Main → UI events. Services publish here; each transport subscribes once and forwards.
import type { ApiEventName, ApiEvents } from '@shared/api';

export type AnyEventListener = (event: ApiEventName, payload: unknown) => void;

export class EventBus {
  private readonly listeners = new Set<AnyEventListener>();

  emit<E extends ApiEventName>(event: E, payload: ApiEvents[E]): void {
    for (const listener of this.listeners) {
      try {
        listener(event, payload);
      } catch {
        // A broken subscriber (e.g. a closed socket) must never break the service that emitted.
      }
    }
  }

  subscribe(listener: AnyEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
