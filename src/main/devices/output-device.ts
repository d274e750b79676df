// The one small interface every physical output implements. Implementations may throw and may
// hang; ManagedOutput (managed-output.ts) is what turns that into a queue that never blocks or
// throws into the inspection loop.
import type { RelayCommand } from './usb-relay';
import type { StackLightCommand } from './patlite';

export type OutputCommand = StackLightCommand | RelayCommand;

export interface OutputDevice<C = OutputCommand> {
  readonly id: string;
  readonly kind: 'stack-light' | 'relay';
  /** USB ids, so hot-plug events can be matched to this output. */
  readonly vendorId: number;
  readonly productId: number;
  /** usbPath() of the physical device while open, so a detach of a twin elsewhere is not mistaken for ours. */
  readonly openedPath?: string | null;
  open(): Promise<void>;
  write(cmd: C): Promise<void>;
  close(): Promise<void>;
}
