// Byte-exact checks of the two USB protocols. Expected bytes are the ones PATLITE's own sample
// programs (PATLITE-Corporation/LR6-USB_linux_python_example, src/main.py) and
// pavel-a/usb-relay-hid (lib/usb_relay_lib.c, commandline/hiddata_libusb01.c) put on the wire.
import { describe, expect, it } from 'vitest';
import { encodeLr6Report } from '../../../src/main/devices/patlite';
import { stackLightCommand } from '../../../src/main/devices/scheduler';
import { stackLightStateSchema } from '../../../src/main/devices/config';
import {
  RELAY_GET_FEATURE,
  RELAY_SET_FEATURE,
  decodeRelayStatus,
  encodeRelayReport,
  expectedMask,
  relayCountFromProduct,
} from '../../../src/main/devices/usb-relay';
import { hex } from './fake-usb';

describe('PATLITE LR6-USB report', () => {
  it('set_tower(red on, others off) keeps the buzzer and packs red<<4|yellow, green<<4|blue, white<<4', () => {
    expect(
      hex(
        encodeLr6Report({
          kind: 'stack-light',
          lamps: { red: 'on', amber: 'off', green: 'off', blue: 'off', white: 'off' },
        }),
      ),
    ).toBe('00000f0010000000');
    expect(
      hex(
        encodeLr6Report({
          kind: 'stack-light',
          lamps: { red: 'on', amber: 'pattern1', green: 'pattern2', blue: 'pattern3', white: 'pattern4' },
        }),
      ),
    ).toBe('00000f0012345000');
  });

  it('set_light(green, pattern 2) leaves every other tier on KEEP (0xF)', () => {
    expect(hex(encodeLr6Report({ kind: 'stack-light', lamps: { green: 'pattern2' } }))).toBe(
      '00000f00ff3ff000',
    );
  });

  it('set_buz(pattern 1, 3 times) uses the default pitches 0xE/0xF and keeps the lamps', () => {
    expect(
      hex(encodeLr6Report({ kind: 'stack-light', lamps: {}, buzzer: { pattern: 'pattern1', count: 3 } })),
    ).toBe('000032effffff000');
  });

  it('set_buz_ex(continuous, no limit, A6, A7) encodes both notes', () => {
    expect(
      hex(
        encodeLr6Report({
          kind: 'stack-light',
          lamps: {},
          buzzer: { pattern: 'continuous', count: 0, pitchA: 'A6', pitchB: 'A7' },
        }),
      ),
    ).toBe('0000011dfffff000');
  });

  it('an all-off picture is the vendor reset command (8 zero bytes)', () => {
    expect(hex(encodeLr6Report(stackLightCommand(stackLightStateSchema.parse({}))))).toBe('0000000000000000');
  });

  it('red + continuous buzzer from a configured state', () => {
    const state = stackLightStateSchema.parse({ red: 'on', buzzer: { pattern: 'continuous' } });
    expect(hex(encodeLr6Report(stackLightCommand(state)))).toBe('000001ef10000000');
  });

  it('rejects a buzzer count that does not fit the nibble', () => {
    expect(() =>
      encodeLr6Report({ kind: 'stack-light', lamps: {}, buzzer: { pattern: 'continuous', count: 16 } }),
    ).toThrow(RangeError);
  });
});

describe('HID USB relay (16c0:05df) feature reports', () => {
  it('ON = 0xFF n, OFF = 0xFD n, ALL ON = 0xFE, ALL OFF = 0xFC, padded to 8 bytes', () => {
    expect(hex(encodeRelayReport({ kind: 'relay', relay: 2, on: true }))).toBe('ff02000000000000');
    expect(hex(encodeRelayReport({ kind: 'relay', relay: 1, on: false }))).toBe('fd01000000000000');
    expect(hex(encodeRelayReport({ kind: 'relay', relay: 'all', on: true }))).toBe('fe00000000000000');
    expect(hex(encodeRelayReport({ kind: 'relay', relay: 'all', on: false }))).toBe('fc00000000000000');
    expect(() => encodeRelayReport({ kind: 'relay', relay: 9, on: true })).toThrow(RangeError);
  });

  it('uses class SET_REPORT / GET_REPORT on feature report 0', () => {
    expect(RELAY_SET_FEATURE).toEqual({
      requestType: 'class',
      recipient: 'device',
      request: 0x09,
      value: 0x0300,
      index: 0,
    });
    expect(RELAY_GET_FEATURE).toEqual({
      requestType: 'class',
      recipient: 'device',
      request: 0x01,
      value: 0x0300,
      index: 0,
    });
  });

  it('status: 5-char board ID, byte 5 zero, relay mask in byte 7', () => {
    const data = new Uint8Array([0x41, 0x42, 0x31, 0x32, 0x43, 0x00, 0x00, 0b10]);
    expect(decodeRelayStatus(data)).toEqual({ boardId: 'AB12C', mask: 2 });
    expect(() => decodeRelayStatus(new Uint8Array(8))).toThrow(/board ID/);
    expect(expectedMask({ kind: 'relay', relay: 2, on: true }, 2)).toEqual({ mask: 2, value: 2 });
    expect(expectedMask({ kind: 'relay', relay: 'all', on: true }, 4)).toEqual({ mask: 0xf, value: 0xf });
  });

  it('only "USBRelay<N>" products are relay boards (16c0:05df is the shared V-USB id)', () => {
    expect(relayCountFromProduct('USBRelay2')).toBe(2);
    expect(relayCountFromProduct('USBRelay8')).toBe(8);
    expect(relayCountFromProduct('DigiSpark')).toBeNull();
    expect(relayCountFromProduct(null)).toBeNull();
  });
});
