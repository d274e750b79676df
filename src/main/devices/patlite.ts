// PATLITE LR6-USB signal tower (USB 191a:8003).
//
// Protocol source: PATLITE Corporation's own Linux samples,
//   https://github.com/PATLITE-Corporation/LR6-USB_linux_python_example  (src/main.py)
//   https://github.com/PATLITE-Corporation/LR6-USB_linux_cpp_example     (src/main.cpp)
// Both send one 8-byte report as an interrupt OUT transfer to endpoint 1 of interface 0,
// after detaching the kernel driver from interface 0 on Linux:
//   byte 0  command version, 0x00 fixed
//   byte 1  command id, 0x00 fixed
//   byte 2  buzzer control: high nibble = repeat count (0 = continuous, 1..15 = times),
//           low nibble = pattern (0 stop, 1 continuous, 2..5 pattern 1..4, 0xF keep)
//   byte 3  buzzer pitch: high nibble = note A, low nibble = note B
//           (0 stop, 1..13 = A6, B♭6, B6, C7, D♭7, D7, E♭7, E7, F7, G♭7, G7, A♭7, A7;
//            0xE = default for note A (D7), 0xF = default for note B (stop))
//   byte 4  red << 4 | yellow      LED: 0 off, 1 on, 2..5 pattern 1..4, 0xF keep
//   byte 5  green << 4 | blue
//   byte 6  white << 4             (low nibble unused; the samples send 0)
//   byte 7  0x00
// When the buzzer is "keep" (set_light/set_tower) or "off" (reset) the samples send 0x00 as
// pitch byte; we do the same, so an all-off picture is byte-identical to the vendor's reset.
// Cross-checked with syohex/WebHID-Patlite-Demo (src/components/LR6Usb.tsx), same layout.
import type { Clock } from './clock';
import type { OutputDevice } from './output-device';
import {
  DeviceNotPresentError,
  openAndClaim,
  safeRead,
  usbPath,
  type ClaimedInterface,
  type DeviceMatch,
  type UsbHost,
} from './usb-host';
import { withTimeout } from './clock';

export const PATLITE_VENDOR_ID = 0x191a;
export const LR6_USB_PRODUCT_ID = 0x8003;
export const LR6_INTERFACE = 0;
export const LR6_OUT_ENDPOINT = 1;
export const LR6_REPORT_LENGTH = 8;

/** Tier order as the protocol numbers them (PATLITE calls the amber tier "yellow"). */
export const LAMP_COLOURS = ['red', 'amber', 'green', 'blue', 'white'] as const;
export type LampColour = (typeof LAMP_COLOURS)[number];

export const LAMP_PATTERNS = ['off', 'on', 'pattern1', 'pattern2', 'pattern3', 'pattern4', 'keep'] as const;
export type LampPattern = (typeof LAMP_PATTERNS)[number];

export const BUZZER_PATTERNS = [
  'off',
  'continuous',
  'pattern1',
  'pattern2',
  'pattern3',
  'pattern4',
  'keep',
] as const;
export type BuzzerPattern = (typeof BUZZER_PATTERNS)[number];

export const BUZZER_PITCHES = [
  'off',
  'A6',
  'Bb6',
  'B6',
  'C7',
  'Db7',
  'D7',
  'Eb7',
  'E7',
  'F7',
  'Gb7',
  'G7',
  'Ab7',
  'A7',
  'default',
] as const;
export type BuzzerPitch = (typeof BUZZER_PITCHES)[number];

export interface BuzzerSetting {
  pattern: BuzzerPattern;
  /** 0 = sound until changed; 1..15 = play the pattern that many times. */
  count?: number;
  pitchA?: BuzzerPitch;
  pitchB?: BuzzerPitch;
}

export interface StackLightCommand {
  kind: 'stack-light';
  /** Tiers not listed keep their current state. */
  lamps: Partial<Record<LampColour, LampPattern>>;
  /** Omitted = keep the buzzer as it is. */
  buzzer?: BuzzerSetting;
}

const LAMP_CODE: Record<LampPattern, number> = {
  off: 0x0,
  on: 0x1,
  pattern1: 0x2,
  pattern2: 0x3,
  pattern3: 0x4,
  pattern4: 0x5,
  keep: 0xf,
};
const BUZZER_CODE: Record<BuzzerPattern, number> = {
  off: 0x0,
  continuous: 0x1,
  pattern1: 0x2,
  pattern2: 0x3,
  pattern3: 0x4,
  pattern4: 0x5,
  keep: 0xf,
};

function pitchCode(pitch: BuzzerPitch, note: 'A' | 'B'): number {
  if (pitch === 'default') return note === 'A' ? 0xe : 0xf;
  return BUZZER_PITCHES.indexOf(pitch); // 'off' = 0, 'A6' = 1 … 'A7' = 13, matching the table above
}

/** Exact 8-byte LR6-USB report for a command (see the byte table at the top of this file). */
export function encodeLr6Report(cmd: StackLightCommand): Uint8Array {
  const lamp = (c: LampColour): number => LAMP_CODE[cmd.lamps[c] ?? 'keep'];
  const report = new Uint8Array(LR6_REPORT_LENGTH);
  report[0] = 0x00;
  report[1] = 0x00;
  const buzzer = cmd.buzzer ?? { pattern: 'keep' as const };
  const count = buzzer.count ?? 0;
  if (!Number.isInteger(count) || count < 0 || count > 15) {
    throw new RangeError(`LR6 buzzer count must be an integer 0..15, got ${count}`);
  }
  report[2] = (count << 4) | BUZZER_CODE[buzzer.pattern];
  report[3] =
    buzzer.pattern === 'keep' || buzzer.pattern === 'off'
      ? 0x00
      : (pitchCode(buzzer.pitchA ?? 'default', 'A') << 4) | pitchCode(buzzer.pitchB ?? 'default', 'B');
  report[4] = (lamp('red') << 4) | lamp('amber');
  report[5] = (lamp('green') << 4) | lamp('blue');
  report[6] = lamp('white') << 4;
  report[7] = 0x00;
  return report;
}

export interface PatliteOptions {
  id: string;
  host: UsbHost;
  clock: Clock;
  platform?: NodeJS.Platform;
  match?: DeviceMatch;
  /** Per-transfer timeout; the managed queue adds its own overall timeout on top. */
  transferTimeoutMs?: number;
}

export class PatliteLr6Output implements OutputDevice<StackLightCommand> {
  readonly id: string;
  readonly kind = 'stack-light' as const;
  readonly vendorId = PATLITE_VENDOR_ID;
  readonly productId = LR6_USB_PRODUCT_ID;
  private claimed: ClaimedInterface | null = null;
  openedPath: string | null = null;

  constructor(private readonly opts: PatliteOptions) {
    this.id = opts.id;
  }

  async open(): Promise<void> {
    if (this.claimed) return;
    const candidates = (await this.opts.host.getDevices()).filter(
      (d) =>
        d.vendorId === PATLITE_VENDOR_ID &&
        d.productId === LR6_USB_PRODUCT_ID &&
        (this.opts.match?.path === undefined || usbPath(d) === this.opts.match.path) &&
        (this.opts.match?.serial === undefined || safeRead(() => d.serialNumber) === this.opts.match.serial),
    );
    const device = candidates[0];
    if (!device) throw new DeviceNotPresentError(`PATLITE LR6-USB (191a:8003) for output "${this.id}"`);
    this.claimed = await openAndClaim(device, LR6_INTERFACE, this.opts.platform ?? process.platform);
    this.openedPath = usbPath(device);
  }

  async write(cmd: StackLightCommand): Promise<void> {
    const claimed = this.claimed;
    if (!claimed) throw new Error(`stack light "${this.id}" is not open`);
    const report = encodeLr6Report(cmd);
    const result = await withTimeout(
      claimed.device.transferOut(LR6_OUT_ENDPOINT, report),
      this.opts.transferTimeoutMs ?? 1000,
      this.opts.clock,
      `LR6-USB write on "${this.id}"`,
    );
    // Windows HID stacks report one byte more (the report ID); PATLITE's sample subtracts it.
    if (result.status !== 'ok' || result.bytesWritten < LR6_REPORT_LENGTH) {
      throw new Error(
        `LR6-USB write on "${this.id}" failed: status ${result.status}, ${result.bytesWritten} of 8 bytes`,
      );
    }
  }

  async close(): Promise<void> {
    const claimed = this.claimed;
    this.claimed = null;
    this.openedPath = null;
    await claimed?.release();
  }
}
