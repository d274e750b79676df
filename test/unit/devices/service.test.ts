// DeviceService end to end on the node-usb double: hot-plug events reach its listeners (a lost
// camera at once, with its class), verdicts become bytes on the wire, permissions and a broken
// USB stack surface as output states instead of exceptions.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EXAMPLE_OUTPUTS_CONFIG } from '../../../src/main/devices/config';
import { DeviceService, type DeviceServiceEvent } from '../../../src/main/devices/service';
import {
  descriptorInterfaceClasses,
  sysfsInterfaceClasses,
  type UsbChangeEvent,
} from '../../../src/main/devices/watcher';
import { DomainError } from '../../../src/main/util/errors';
import { FakeUsbHost, lr6, relayBoard, uvcCamera } from './fake-usb';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function service(host: FakeUsbHost | (() => Promise<never>)) {
  // Descriptor-based class reading keeps the test independent of this machine's /sys.
  return new DeviceService({ host, platform: 'linux', readInterfaceClasses: descriptorInterfaceClasses });
}

describe('DeviceService hot-plug', () => {
  it('lists devices with ids, strings, path and kind', async () => {
    const host = new FakeUsbHost();
    host.devices.push(lr6({ serialNumber: 'S123' }), uvcCamera());
    const svc = service(host);
    await svc.start();
    const listing = await svc.list();
    expect(listing.usbError).toBeNull();
    expect(listing.usb).toEqual([
      expect.objectContaining({
        id: '191a:8003@001-1.4',
        vidPid: '191a:8003',
        manufacturer: 'PATLITE',
        product: 'LR6-USB',
        serialNumber: 'S123',
        path: '001-1.4',
        kind: 'stack-light',
      }),
      expect.objectContaining({
        vidPid: '046d:0825',
        path: '001-2',
        kind: 'camera',
        interfaceClasses: [0x0e, 0x0e, 0x01],
      }),
    ]);
    await svc.stop();
    expect(host.listenerCount()).toBe(0);
  });

  it('attach/detach reach onChange; a camera unplug is delivered synchronously with its class', async () => {
    const host = new FakeUsbHost();
    const cam = uvcCamera();
    host.devices.push(cam);
    const svc = service(host);
    const events: DeviceServiceEvent[] = [];
    const cameraEvents: UsbChangeEvent[] = [];
    svc.onChange((e) => events.push(e));
    svc.onCamera((e) => cameraEvents.push(e));
    await svc.start();

    host.unplug(cam);
    // No await in between: the live loop learns about it inside node-usb's callback.
    expect(cameraEvents).toHaveLength(1);
    expect(cameraEvents[0]).toMatchObject({
      type: 'detach',
      device: { kind: 'camera', vidPid: '046d:0825', interfaceClasses: [14, 14, 1] },
    });

    const tower = lr6();
    host.plug(tower);
    host.plug(cam);
    const usbEvents = events.filter((e): e is UsbChangeEvent => e.type !== 'output');
    expect(usbEvents.map((e) => `${e.type} ${e.device.kind}`)).toEqual([
      'detach camera',
      'attach stack-light',
      'attach camera',
    ]);
    expect(cameraEvents.map((e) => e.type)).toEqual(['detach', 'attach']);
    await svc.stop();
  });

  it('does not subscribe to node-usb hot-plug when enumeration fails (node-usb would reject unhandled)', async () => {
    const host = new FakeUsbHost();
    host.getDevices = async () => {
      throw new Error('getDevices error: /sys/bus/usb/devices/ not found (errno 2)');
    };
    const svc = service(host);
    await svc.start();
    expect(host.listenerCount()).toBe(0);
    expect((await svc.list()).usbError).toMatch(/not found/);
    await svc.stop();
  });

  it('reads interface classes from sysfs on Linux without opening the device', () => {
    const root = mkdtempSync(join(tmpdir(), 'sysfs-'));
    try {
      for (const [iface, cls] of [
        ['1-2:1.0', '0e'],
        ['1-2:1.1', '0e'],
        ['1-2:1.2', '01'],
      ]) {
        mkdirSync(join(root, '1-2', iface), { recursive: true });
        writeFileSync(join(root, '1-2', iface, 'bInterfaceClass'), `${cls}\n`);
      }
      mkdirSync(join(root, '1-2', 'power'));
      expect(sysfsInterfaceClasses({ bus: '001', ports: [2] }, root)).toEqual([0x0e, 0x0e, 0x01]);
      expect(sysfsInterfaceClasses({ bus: '001', ports: [3] }, root)).toBeNull();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('DeviceService outputs', () => {
  it('verdicts drive the LR6 and the reject relay with the documented bytes', async () => {
    const host = new FakeUsbHost();
    const tower = lr6();
    const gate = relayBoard();
    host.devices.push(tower, gate);
    const svc = service(host);
    await svc.configure(EXAMPLE_OUTPUTS_CONFIG);
    await svc.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(tower.reports).toEqual(['0000000000100000']); // idle: green, buzzer explicitly off

    expect(svc.handleVerdict('FAIL')).toBeUndefined(); // synchronous, nothing to await
    await vi.advanceTimersByTimeAsync(0);
    expect(tower.reports.at(-1)).toBe('000001ef10000000'); // red + continuous buzzer
    expect(gate.relayMask).toBe(0b1); // gate open
    await vi.advanceTimersByTimeAsync(200);
    expect(gate.relayMask).toBe(0);
    await vi.advanceTimersByTimeAsync(300);
    expect(tower.reports.at(-1)).toBe('0000000000100000'); // back to green after 500 ms
    expect(
      gate.calls.filter((c) => c.startsWith('controlTransferOut')).map((c) => c.split(' ').pop()),
    ).toEqual(['fd01000000000000', 'ff01000000000000', 'fd01000000000000']);
    expect((await svc.list()).outputs.map((o) => `${o.deviceId} ${o.status}`)).toEqual([
      'tower ok',
      'reject-gate ok',
    ]);

    await svc.stop();
    for (const dev of [tower, gate]) {
      expect(dev.calls.slice(-3)).toEqual(['releaseInterface 0', 'attachKernelDriver 0', 'close']);
    }
  });

  it('unplugging the tower is reported at once; re-plugging restores its picture', async () => {
    const host = new FakeUsbHost();
    const tower = lr6();
    host.devices.push(tower);
    const svc = service(host);
    const outputs: string[] = [];
    svc.onChange((e) => {
      if (e.type === 'output') outputs.push(e.state.status);
    });
    await svc.configure({ devices: [{ id: 'tower', type: 'patlite-lr6', idle: { green: 'on' } }] });
    await svc.start();
    await vi.advanceTimersByTimeAsync(0);
    host.unplug(tower);
    expect(outputs.at(-1)).toBe('disconnected');
    const again = lr6({ address: 12 });
    host.plug(again);
    await vi.advanceTimersByTimeAsync(0);
    expect(again.reports).toEqual(['0000000000100000']);
    expect(outputs.at(-1)).toBe('ok');
    await svc.stop();
  });

  it('permission denied shows the udev rule in the output state; handleVerdict still never throws', async () => {
    const host = new FakeUsbHost();
    const gate = relayBoard();
    gate.fail.open = Array.from(
      { length: 10 },
      () => new Error('open error: failed to open device (errno 13)'),
    );
    host.devices.push(gate);
    const svc = service(host);
    await svc.configure(EXAMPLE_OUTPUTS_CONFIG);
    await svc.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(() => svc.handleVerdict('FAIL')).not.toThrow();
    const state = (await svc.list()).outputs.find((o) => o.deviceId === 'reject-gate');
    expect(state?.status).toBe('error');
    expect(state?.message).toContain(
      'SUBSYSTEM=="usb", ATTR{idVendor}=="16c0", ATTR{idProduct}=="05df", MODE="0660", GROUP="plugdev"',
    );
    await svc.stop();
  });

  it('test buttons validate their input and drive the device', async () => {
    const host = new FakeUsbHost();
    const tower = lr6();
    const gate = relayBoard();
    host.devices.push(tower, gate);
    const svc = service(host);
    await svc.configure(EXAMPLE_OUTPUTS_CONFIG);
    await svc.start();
    await vi.advanceTimersByTimeAsync(0);
    svc.test('tower', { type: 'stack-light', state: { red: 'on' } });
    svc.test('reject-gate', { type: 'relay', relay: 1, mode: 'pulse', pulseMs: 100 });
    await vi.advanceTimersByTimeAsync(0);
    expect(tower.reports.at(-1)).toBe('0000000010000000');
    expect(gate.relayMask).toBe(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(gate.relayMask).toBe(0);
    // Domain errors; src/main/api/dispatch.ts maps them (not_found → 'not_found', invalid → 'bad_request').
    expect(() => svc.test('nope', { type: 'relay', relay: 1 })).toThrow(
      expect.objectContaining({ name: 'DomainError', kind: 'not_found' }),
    );
    expect(() => svc.test('tower', { type: 'relay', relay: 1 })).toThrow(/is a patlite-lr6/);
    expect(() => svc.test('tower', { type: 'relay', relay: 1 })).toThrow(DomainError);
    await expect(svc.configure({ devices: [{ id: 'x', type: 'smoke-machine' }] })).rejects.toMatchObject({
      name: 'DomainError',
      kind: 'invalid',
      message: expect.stringMatching(/^invalid outputs configuration: /) as unknown,
    });
    await svc.stop();
  });

  it('a node-usb that fails to load degrades to per-output errors, not a crash', async () => {
    const svc = service(async () => {
      throw new Error('Cannot find native binding');
    });
    await svc.configure(EXAMPLE_OUTPUTS_CONFIG);
    await svc.start();
    await vi.advanceTimersByTimeAsync(0);
    svc.handleVerdict('FAIL');
    const listing = await svc.list();
    expect(listing.usbError).toBe('Cannot find native binding');
    expect(listing.outputs.map((o) => o.status)).toEqual(['error', 'error']);
    expect(listing.outputs[0].message).toMatch(/USB support unavailable: Cannot find native binding/);
    await svc.stop();
  });
});
