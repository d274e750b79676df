// Generic HID USB relay boards ("USBRelay1/2/4/8", V-USB firmware, USB 16c0:05df).
//
// Protocol source: pavel-a/usb-relay-hid, the open re-implementation of the vendor DLL:
//   lib/usb_relay_lib.c            rel_onoff(), rel_read_status_raw(), enumfunc()
//   commandline/hiddata_libusb01.c usbhidSetReport(), usbhidGetReport()
//   doc/hidrelay.md                device description
// - Commands are HID *feature* reports with report ID 0, sent as a control transfer:
//   bmRequestType class | device | OUT, bRequest SET_REPORT (0x09),
//   wValue = (3 << 8) | 0 (feature report, id 0), wIndex 0, 8 data bytes:
//     [0xFF, n, 0,0,0,0,0,0]  relay n (1..8) ON
//     [0xFD, n, 0,0,0,0,0,0]  relay n OFF
//     [0xFE, 0, …]            all ON        [0xFC, 0, …]  all OFF
// - State is read with GET_REPORT (0x01), same wValue, 8 bytes back:
//     bytes 0..4 = board ID (5 printable ASCII chars), byte 5 = 0, byte 7 = relay bit mask
//     (bit 0 = relay 1). The library reads it back after every write to verify; so do we.
// - 16c0:05df is the *shared* V-USB HID id, so the product string must be "USBRelay<N>"
//   (N = number of relays) before we drive anything; other gadgets use the same id.
// - The boards forget their relay state when unplugged (doc/hidrelay.md), so "off" is the
//   state after every reconnect.
import type { Clock } from './clock';
import { withTimeout } from './clock';
import type { OutputDevice } from './output-device';
import {
  DeviceNotPresentError,
  openAndClaim,
  safeRead,
  usbPath,
  type ClaimedInterface,
  type DeviceMatch,
  type UsbControlSetup,
  type UsbDeviceLike,
  type UsbHost,
} from './usb-host';

export const USB_RELAY_VENDOR_ID = 0x16c0;
export const USB_RELAY_PRODUCT_ID = 0x05df;
export const RELAY_REPORT_LENGTH = 8;

export const RELAY_CMD = { on: 0xff, off: 0xfd, allOn: 0xfe, allOff: 0xfc } as const;

const HID_GET_REPORT = 0x01;
const HID_SET_REPORT = 0x09;
const HID_FEATURE_REPORT_ID0 = (3 << 8) | 0;

export const RELAY_SET_FEATURE: UsbControlSetup = {
  requestType: 'class',
  recipient: 'device',
  request: HID_SET_REPORT,
  value: HID_FEATURE_REPORT_ID0,
  index: 0,
};

export const RELAY_GET_FEATURE: UsbControlSetup = {
  requestType: 'class',
  recipient: 'device',
  request: HID_GET_REPORT,
  value: HID_FEATURE_REPORT_ID0,
  index: 0,
};

export interface RelayCommand {
  kind: 'relay';
  /** 1-based relay number, or every relay on the board. */
  relay: number | 'all';
  on: boolean;
}

export interface RelayStatus {
  boardId: string;
  /** Bit 0 = relay 1. */
  mask: number;
}

/** Exact 8-byte feature report for a relay command (see the table at the top of this file). */
export function encodeRelayReport(cmd: RelayCommand): Uint8Array {
  const report = new Uint8Array(RELAY_REPORT_LENGTH);
  if (cmd.relay === 'all') {
    report[0] = cmd.on ? RELAY_CMD.allOn : RELAY_CMD.allOff;
    report[1] = 0;
  } else {
    if (!Number.isInteger(cmd.relay) || cmd.relay < 1 || cmd.relay > 8) {
      throw new RangeError(`relay number must be 1..8, got ${cmd.relay}`);
    }
    report[0] = cmd.on ? RELAY_CMD.on : RELAY_CMD.off;
    report[1] = cmd.relay;
  }
  return report;
}

export function decodeRelayStatus(data: Uint8Array): RelayStatus {
  if (data.length < RELAY_REPORT_LENGTH) {
    throw new Error(`relay status report too short: ${data.length} bytes, expected 8`);
  }
  const id = data.subarray(0, 5);
  if (!id.every((c) => c > 0x20 && c < 0x7f) || data[5] !== 0) {
    throw new Error('relay status report has no valid board ID (not a USBRelay board?)');
  }
  return { boardId: String.fromCharCode(...id), mask: data[7] };
}

/** "USBRelay2" → 2; anything else → null (the shared V-USB id is not a relay board). */
export function relayCountFromProduct(product: string | null): number | null {
  const m = /^USBRelay([1-8])$/.exec(product ?? '');
  return m ? Number(m[1]) : null;
}

/** Which bits must read back as set after a command. */
export function expectedMask(cmd: RelayCommand, relayCount: number): { mask: number; value: number } {
  if (cmd.relay === 'all') {
    const all = (1 << relayCount) - 1;
    return { mask: all, value: cmd.on ? all : 0 };
  }
  const bit = 1 << (cmd.relay - 1);
  return { mask: bit, value: cmd.on ? bit : 0 };
}

export interface UsbRelayOptions {
  id: string;
  host: UsbHost;
  clock: Clock;
  platform?: NodeJS.Platform;
  match?: DeviceMatch;
  transferTimeoutMs?: number;
}

export class UsbRelayOutput implements OutputDevice<RelayCommand> {
  readonly id: string;
  readonly kind = 'relay' as const;
  readonly vendorId = USB_RELAY_VENDOR_ID;
  readonly productId = USB_RELAY_PRODUCT_ID;
  private claimed: ClaimedInterface | null = null;
  openedPath: string | null = null;
  private relayCount = 0;
  private boardId: string | null = null;

  constructor(private readonly opts: UsbRelayOptions) {
    this.id = opts.id;
  }

  /** Board ID and relay count of the open board, for the Settings screen. */
  describe(): { boardId: string | null; relayCount: number } {
    return { boardId: this.boardId, relayCount: this.relayCount };
  }

  async open(): Promise<void> {
    if (this.claimed) return;
    const platform = this.opts.platform ?? process.platform;
    const candidates = (await this.opts.host.getDevices()).filter(
      (d) =>
        d.vendorId === USB_RELAY_VENDOR_ID &&
        d.productId === USB_RELAY_PRODUCT_ID &&
        relayCountFromProduct(safeRead(() => d.productName)) !== null &&
        (this.opts.match?.path === undefined || usbPath(d) === this.opts.match.path),
    );
    let lastError: unknown = null;
    for (const device of candidates) {
      let claimed: ClaimedInterface | null = null;
      try {
        claimed = await openAndClaim(device, 0, platform);
        const status = await this.readStatus(device);
        // The board ID lives in the feature report, not in the USB serial number, so a
        // configured board can only be recognised after opening it.
        if (this.opts.match?.serial !== undefined && status.boardId !== this.opts.match.serial) {
          await claimed.release();
          continue;
        }
        this.claimed = claimed;
        this.relayCount = relayCountFromProduct(safeRead(() => device.productName)) ?? 1;
        this.boardId = status.boardId;
        this.openedPath = usbPath(device);
        return;
      } catch (err) {
        lastError = err;
        await claimed?.release();
      }
    }
    if (lastError) throw lastError;
    throw new DeviceNotPresentError(
      `USB relay board (16c0:05df "USBRelay<N>")${this.opts.match?.serial ? ` with ID ${this.opts.match.serial}` : ''} for output "${this.id}"`,
    );
  }

  async write(cmd: RelayCommand): Promise<void> {
    const claimed = this.claimed;
    if (!claimed) throw new Error(`relay board "${this.id}" is not open`);
    if (cmd.relay !== 'all' && cmd.relay > this.relayCount) {
      throw new RangeError(
        `relay ${cmd.relay} does not exist on "${this.id}" (a ${this.relayCount}-relay board)`,
      );
    }
    const timeoutMs = this.opts.transferTimeoutMs ?? 1000;
    const out = await withTimeout(
      claimed.device.controlTransferOut(RELAY_SET_FEATURE, encodeRelayReport(cmd)),
      timeoutMs,
      this.opts.clock,
      `relay write on "${this.id}"`,
    );
    if (out.status !== 'ok') throw new Error(`relay write on "${this.id}" failed: status ${out.status}`);
    const status = await this.readStatus(claimed.device);
    const want = expectedMask(cmd, this.relayCount);
    if ((status.mask & want.mask) !== want.value) {
      throw new Error(
        `relay "${this.id}" did not switch: wanted relay ${cmd.relay} ${cmd.on ? 'on' : 'off'}, board reports mask 0x${status.mask.toString(16).padStart(2, '0')}`,
      );
    }
  }

  async close(): Promise<void> {
    const claimed = this.claimed;
    this.claimed = null;
    this.openedPath = null;
    await claimed?.release();
  }

  private async readStatus(device: UsbDeviceLike): Promise<RelayStatus> {
    const res = await withTimeout(
      device.controlTransferIn(RELAY_GET_FEATURE, RELAY_REPORT_LENGTH),
      this.opts.transferTimeoutMs ?? 1000,
      this.opts.clock,
      `relay status read on "${this.id}"`,
    );
    if (res.status !== 'ok' || !res.data)
      throw new Error(`relay status read on "${this.id}" failed: status ${res.status}`);
    return decodeRelayStatus(new Uint8Array(res.data.buffer, res.data.byteOffset, res.data.byteLength));
  }
}
