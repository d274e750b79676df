// USB inventory and hot-plug. Devices are described once, when listed or attached (strings,
// interface classes), and cached by bus+address, because on detach the device is already
// gone and nothing can be read from it any more. The detach event is emitted synchronously
// from node-usb's callback so a lost camera reaches the live loop at once.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from './clock';
import { systemClock } from './clock';
import { LR6_USB_PRODUCT_ID, PATLITE_VENDOR_ID } from './patlite';
import { relayCountFromProduct, USB_RELAY_PRODUCT_ID, USB_RELAY_VENDOR_ID } from './usb-relay';
import {
  safeRead,
  usbPath,
  vidPid,
  type UsbConnectionEventLike,
  type UsbDeviceLike,
  type UsbHost,
} from './usb-host';

/** USB class codes (usb.org "Defined Class Codes"). */
export const USB_CLASS = { hid: 0x03, video: 0x0e, miscellaneous: 0xef } as const;

import type { UsbChangeEvent, UsbDeviceInfo, UsbDeviceKind } from '@shared/devices';

export type { UsbChangeEvent, UsbDeviceInfo, UsbDeviceKind };

export type InterfaceClassReader = (device: UsbDeviceLike) => number[] | null;

/**
 * Linux: interface classes from sysfs (/sys/bus/usb/devices/<busnum>-<ports>/<…>:<cfg>.<n>/
 * bInterfaceClass), readable without opening the device and thus without udev rules. This is
 * where nusb itself reads them (platform/linux_usbfs/enumeration.rs).
 */
export function sysfsInterfaceClasses(
  device: Pick<UsbDeviceLike, 'bus' | 'ports'>,
  root = '/sys/bus/usb/devices',
): number[] | null {
  if (device.ports.length === 0) return null;
  const name = `${Number.parseInt(device.bus, 10)}-${device.ports.join('.')}`;
  try {
    const classes = readdirSync(join(root, name))
      .filter((entry) => entry.startsWith(`${name}:`))
      .sort()
      .map((entry) =>
        Number.parseInt(readFileSync(join(root, name, entry, 'bInterfaceClass'), 'utf8').trim(), 16),
      )
      .filter((c) => Number.isFinite(c));
    return classes.length > 0 ? classes : null;
  } catch {
    return null;
  }
}

/** Other platforms: the configuration descriptor (node-usb may open the device to read it). */
export function descriptorInterfaceClasses(device: UsbDeviceLike): number[] | null {
  const config = safeRead(() => device.configuration);
  return config ? config.interfaces.map((i) => i.alternate.interfaceClass) : null;
}

export function defaultInterfaceClassReader(platform: NodeJS.Platform): InterfaceClassReader {
  return (device) =>
    (platform === 'linux' ? sysfsInterfaceClasses(device) : null) ?? descriptorInterfaceClasses(device);
}

export function classify(
  device: UsbDeviceLike,
  interfaceClasses: number[] | null,
  product: string | null,
): UsbDeviceKind {
  if (device.deviceClass === USB_CLASS.video || interfaceClasses?.includes(USB_CLASS.video)) return 'camera';
  if (device.vendorId === PATLITE_VENDOR_ID && device.productId === LR6_USB_PRODUCT_ID) return 'stack-light';
  if (
    device.vendorId === USB_RELAY_VENDOR_ID &&
    device.productId === USB_RELAY_PRODUCT_ID &&
    relayCountFromProduct(product) !== null
  ) {
    return 'relay';
  }
  return 'other';
}

export function describeUsbDevice(device: UsbDeviceLike, readClasses: InterfaceClassReader): UsbDeviceInfo {
  const path = usbPath(device);
  const product = safeRead(() => device.productName);
  const interfaceClasses = safeRead(() => readClasses(device));
  return {
    id: `${vidPid(device.vendorId, device.productId)}@${path}`,
    vendorId: device.vendorId,
    productId: device.productId,
    vidPid: vidPid(device.vendorId, device.productId),
    manufacturer: safeRead(() => device.manufacturerName),
    product,
    serialNumber: safeRead(() => device.serialNumber),
    bus: device.bus,
    ports: [...device.ports],
    address: device.address,
    path,
    deviceClass: device.deviceClass,
    interfaceClasses,
    kind: classify(device, interfaceClasses, product),
  };
}

const keyOf = (d: Pick<UsbDeviceLike, 'bus' | 'address'>): string => `${d.bus}/${d.address}`;

export interface DeviceWatcherOptions {
  host: UsbHost;
  clock?: Clock;
  platform?: NodeJS.Platform;
  readInterfaceClasses?: InterfaceClassReader;
}

export class DeviceWatcher {
  private readonly known = new Map<string, UsbDeviceInfo>();
  private readonly listeners = new Set<(e: UsbChangeEvent) => void>();
  private readonly clock: Clock;
  private readonly readClasses: InterfaceClassReader;
  private started = false;

  constructor(private readonly opts: DeviceWatcherOptions) {
    this.clock = opts.clock ?? systemClock;
    this.readClasses =
      opts.readInterfaceClasses ?? defaultInterfaceClassReader(opts.platform ?? process.platform);
  }

  /**
   * Takes the inventory, then subscribes to hot-plug. The order matters: node-usb's
   * addEventListener() enumerates in the background without handling errors, so on a host
   * where enumeration fails (no /sys/bus/usb, e.g. a container) subscribing first would end
   * in an unhandled rejection. Enumerating first turns that into an error the caller sees.
   */
  async start(): Promise<void> {
    if (this.started) return;
    await this.list();
    this.started = true;
    this.opts.host.addEventListener('connect', this.onConnect);
    this.opts.host.addEventListener('disconnect', this.onDisconnect);
    // Catch anything plugged in between the first enumeration and the subscription.
    await this.list();
  }

  stop(): void {
    if (!this.started) return;
    this.started = false;
    this.opts.host.removeEventListener('connect', this.onConnect);
    this.opts.host.removeEventListener('disconnect', this.onDisconnect);
  }

  /** Fresh enumeration; also refreshes the cache used to describe later detaches. */
  async list(): Promise<UsbDeviceInfo[]> {
    const devices = await this.opts.host.getDevices();
    const fresh = new Map<string, UsbDeviceInfo>();
    for (const d of devices)
      fresh.set(keyOf(d), this.known.get(keyOf(d)) ?? describeUsbDevice(d, this.readClasses));
    this.known.clear();
    for (const [k, v] of fresh) this.known.set(k, v);
    return [...fresh.values()];
  }

  onChange(listener: (e: UsbChangeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private readonly onConnect = (event: UsbConnectionEventLike): void => {
    const info = describeUsbDevice(event.device, this.readClasses);
    this.known.set(keyOf(event.device), info);
    this.emit({ type: 'attach', device: info, at: this.clock.now() });
  };

  private readonly onDisconnect = (event: UsbConnectionEventLike): void => {
    const key = keyOf(event.device);
    // Fall back to what can still be read from the stale object (ids, path, device class).
    const info = this.known.get(key) ?? describeUsbDevice(event.device, () => null);
    this.known.delete(key);
    this.emit({ type: 'detach', device: info, at: this.clock.now() });
  };

  private emit(event: UsbChangeEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // One failing subscriber (e.g. a closed UI socket) must not hide the event from the others.
      }
    }
  }
}
