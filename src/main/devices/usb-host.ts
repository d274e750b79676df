// The small slice of node-usb (`usb` 3.x, the WebUSB-style API built on nusb) that the device
// layer uses. Everything else in src/main/devices talks to these interfaces, so tests can put
// a double exactly at the node-usb boundary and the real module is only loaded at run time.
//
// Facts about usb 3.1.0 this file relies on (read from node_modules/usb/dist/index.{js,d.ts}
// and node-usb/node-usb-rs src/webusb_device.rs):
// - `usb.getDevices()`, `usb.addEventListener('connect' | 'disconnect', ev => ev.device)`;
//   the legacy v2 API (getDeviceList, usb.on('attach')) does not exist any more.
// - control transfers are routed through a *claimed* interface (otherwise "controlTransferOut
//   error: invalid state"), so even the relay's feature reports need claimInterface(0).
// - interfaces are only released by releaseInterface(); close() alone keeps them claimed.
// - errors are plain Errors whose message embeds the OS code, e.g.
//   "open error: failed to open device (errno 13)".

export interface UsbControlSetup {
  requestType: 'standard' | 'class' | 'vendor';
  recipient: 'device' | 'interface' | 'endpoint' | 'other';
  request: number;
  value: number;
  index: number;
}

export interface UsbEndpointLike {
  endpointNumber: number;
  direction: 'in' | 'out';
  type: string;
}

export interface UsbInterfaceLike {
  interfaceNumber: number;
  alternate: { interfaceClass: number; endpoints: UsbEndpointLike[] };
}

export interface UsbConfigurationLike {
  interfaces: UsbInterfaceLike[];
}

/** Subset of node-usb's UsbDevice. String and configuration getters may throw (they can open the device). */
export interface UsbDeviceLike {
  readonly vendorId: number;
  readonly productId: number;
  readonly deviceClass: number;
  readonly bus: string;
  readonly address: number;
  readonly ports: number[];
  readonly manufacturerName?: string | null;
  readonly productName?: string | null;
  readonly serialNumber?: string | null;
  readonly configuration?: UsbConfigurationLike | null;
  open(): Promise<void>;
  close(): Promise<void>;
  claimInterface(interfaceNumber: number): Promise<void>;
  releaseInterface(interfaceNumber: number): Promise<void>;
  /** Linux only in node-usb. */
  detachKernelDriver?(interfaceNumber: number): Promise<void>;
  attachKernelDriver?(interfaceNumber: number): Promise<void>;
  transferOut(endpointNumber: number, data: Uint8Array): Promise<{ status: string; bytesWritten: number }>;
  controlTransferOut(
    setup: UsbControlSetup,
    data?: Uint8Array,
  ): Promise<{ status: string; bytesWritten: number }>;
  controlTransferIn(setup: UsbControlSetup, length: number): Promise<{ status: string; data?: DataView }>;
}

export interface UsbConnectionEventLike {
  device: UsbDeviceLike;
}

export interface UsbHost {
  getDevices(): Promise<UsbDeviceLike[]>;
  addEventListener(type: 'connect' | 'disconnect', listener: (event: UsbConnectionEventLike) => void): void;
  removeEventListener(
    type: 'connect' | 'disconnect',
    listener: (event: UsbConnectionEventLike) => void,
  ): void;
}

/**
 * Loads the native module lazily: a missing or broken prebuilt binary must degrade the device
 * features, not stop the station from starting.
 */
export async function loadNodeUsb(): Promise<UsbHost> {
  const mod = await import('usb');
  // `usb` (not `webusb`) is the instance that allows all devices without requestDevice().
  // Its declared types lean on the w3c-web-usb globals, which this project does not load, so
  // the structural subset above is asserted here once.
  return mod.usb as unknown as UsbHost;
}

export function hex4(n: number): string {
  return n.toString(16).padStart(4, '0');
}

export function vidPid(vendorId: number, productId: number): string {
  return `${hex4(vendorId)}:${hex4(productId)}`;
}

/** Physical location "bus-port.port"; stable across re-plugs into the same socket, unlike the address. */
export function usbPath(device: Pick<UsbDeviceLike, 'bus' | 'ports' | 'address'>): string {
  return device.ports.length > 0
    ? `${device.bus}-${device.ports.join('.')}`
    : `${device.bus}:${device.address}`;
}

/** Reads a getter that may throw (node-usb opens the device to read some strings). */
export function safeRead<T>(read: () => T | null | undefined): T | null {
  try {
    return read() ?? null;
  } catch {
    return null;
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// libusb spelling kept for users on other backends; nusb reports errno 13 (EACCES) / 1 (EPERM).
const ACCESS_RE =
  /LIBUSB_ERROR_ACCESS|permission denied|access denied|EACCES|EPERM|\((?:errno|os error) (?:1|13)\)/i;
const GONE_RE = /disconnected|no such device|LIBUSB_ERROR_NO_DEVICE|ENODEV|\((?:errno|os error) 19\)/i;

export function isAccessError(err: unknown): boolean {
  return ACCESS_RE.test(messageOf(err));
}

export function isDisconnectError(err: unknown): boolean {
  return err instanceof DeviceNotPresentError || GONE_RE.test(messageOf(err));
}

export class DeviceNotPresentError extends Error {
  constructor(what: string) {
    super(`${what} is not connected`);
    this.name = 'DeviceNotPresentError';
  }
}

export class UsbAccessError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsbAccessError';
  }
}

export function udevRule(vendorId: number, productId: number): string {
  return `SUBSYSTEM=="usb", ATTR{idVendor}=="${hex4(vendorId)}", ATTR{idProduct}=="${hex4(productId)}", MODE="0660", GROUP="plugdev"`;
}

/**
 * Turns a permission failure into the exact fix, because the operator reading the Settings
 * screen cannot be expected to know udev. Other errors pass through with the step prefixed.
 */
export function explainUsbError(
  err: unknown,
  step: string,
  ids: { vendorId: number; productId: number },
  platform: NodeJS.Platform,
): Error {
  const original = messageOf(err);
  if (!isAccessError(err)) {
    return new Error(`${step} failed for USB device ${vidPid(ids.vendorId, ids.productId)}: ${original}`);
  }
  const id = vidPid(ids.vendorId, ids.productId);
  if (platform === 'linux') {
    return new UsbAccessError(
      `Permission denied during ${step} for USB device ${id} (${original}). ` +
        `Add this line to /etc/udev/rules.d/99-inspection-station.rules: ` +
        `${udevRule(ids.vendorId, ids.productId)} ` +
        `then run: sudo udevadm control --reload-rules && sudo udevadm trigger ` +
        `(the station user must be in group plugdev; unplug and replug the device if it stays denied).`,
    );
  }
  if (platform === 'win32') {
    return new UsbAccessError(
      `Access denied during ${step} for USB device ${id} (${original}). node-usb needs the WinUSB driver ` +
        `for this device (install it with Zadig); a device held by the Windows HID driver cannot be opened.`,
    );
  }
  return new UsbAccessError(`Access denied during ${step} for USB device ${id} (${original}).`);
}

export interface ClaimedInterface {
  readonly device: UsbDeviceLike;
  /** Releases the interface, gives it back to the kernel driver if we took it, closes. Never throws. */
  release(): Promise<void>;
}

const NO_KERNEL_DRIVER_RE =
  /no kernel driver|not attached|ENODATA|LIBUSB_ERROR_NOT_FOUND|\((?:errno|os error) 61\)/i;

/**
 * open → (Linux) detach usbhid → claim. HID-class devices (the LR6 and the relay boards) are
 * bound to the kernel's usbhid driver on Linux, and usbfs refuses to claim an interface that
 * a driver holds; the vendor's own Linux samples detach interface 0 for the same reason.
 */
export async function openAndClaim(
  device: UsbDeviceLike,
  interfaceNumber: number,
  platform: NodeJS.Platform,
): Promise<ClaimedInterface> {
  const ids = { vendorId: device.vendorId, productId: device.productId };
  try {
    await device.open();
  } catch (err) {
    throw explainUsbError(err, 'open', ids, platform);
  }

  let detached = false;
  if (platform === 'linux' && device.detachKernelDriver) {
    try {
      await device.detachKernelDriver(interfaceNumber);
      detached = true;
    } catch (err) {
      // "No driver bound" is the normal case after our own earlier session; anything else
      // (e.g. permission) is reported, because the claim below would fail less clearly.
      if (!NO_KERNEL_DRIVER_RE.test(messageOf(err))) {
        await device.close().catch(() => undefined);
        throw explainUsbError(err, 'detach kernel driver', ids, platform);
      }
    }
  }

  try {
    await device.claimInterface(interfaceNumber);
  } catch (err) {
    if (detached) await device.attachKernelDriver?.(interfaceNumber).catch(() => undefined);
    await device.close().catch(() => undefined);
    throw explainUsbError(err, 'claim interface', ids, platform);
  }

  return {
    device,
    release: async () => {
      // Each step is best effort: the device may already be unplugged, and a failed release
      // must not prevent the re-attach or the close that follow.
      await device.releaseInterface(interfaceNumber).catch(() => undefined);
      if (detached) await device.attachKernelDriver?.(interfaceNumber).catch(() => undefined);
      await device.close().catch(() => undefined);
    },
  };
}

export interface DeviceMatch {
  /** usbPath() of the socket, e.g. "001-1.4". */
  path?: string;
  /** USB serial number (LR6) or the 5-character board ID (relay boards). */
  serial?: string;
}
