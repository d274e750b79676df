// The per-device queue (order, timeout, retry with back-off, state reporting) exercised with
// the real LR6 and relay drivers on top of the node-usb double, on fake timers.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../../src/main/devices/clock';
import { ManagedOutput, type OutputState } from '../../../src/main/devices/managed-output';
import { PatliteLr6Output, type StackLightCommand } from '../../../src/main/devices/patlite';
import { UsbRelayOutput, type RelayCommand } from '../../../src/main/devices/usb-relay';
import { FakeUsbHost, lr6, relayBoard } from './fake-usb';

const red: StackLightCommand = {
  kind: 'stack-light',
  lamps: { red: 'on', amber: 'off', green: 'off', blue: 'off', white: 'off' },
};
const green: StackLightCommand = {
  kind: 'stack-light',
  lamps: { red: 'off', amber: 'off', green: 'on', blue: 'off', white: 'off' },
};
const RED = '00000f0010000000';
const GREEN = '00000f0000100000';

function tower(host: FakeUsbHost, states: OutputState[] = []) {
  const device = new PatliteLr6Output({ id: 'tower', host, clock: systemClock, platform: 'linux' });
  const managed = new ManagedOutput<StackLightCommand>(device, {
    clock: systemClock,
    writeTimeoutMs: 1000,
    backoff: { initialMs: 500, maxMs: 4000, factor: 2 },
    onState: (s) => states.push(s),
  });
  return { managed, states };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('ManagedOutput over the LR6 driver', () => {
  it('opens once (detach usbhid, claim interface 0) and writes queued commands in order', async () => {
    const host = new FakeUsbHost();
    const dev = lr6();
    host.devices.push(dev);
    const { managed } = tower(host);
    managed.submit(red);
    managed.submit(green, {});
    managed.submit(red);
    await vi.advanceTimersByTimeAsync(0);
    expect(dev.calls).toEqual([
      'open',
      'detachKernelDriver 0',
      'claimInterface 0',
      `transferOut 1 ${RED}`,
      `transferOut 1 ${GREEN}`,
      `transferOut 1 ${RED}`,
    ]);
    expect(managed.state.status).toBe('ok');
    await managed.dispose();
    // Close gives interface 0 back to the kernel HID driver.
    expect(dev.calls.slice(-3)).toEqual(['releaseInterface 0', 'attachKernelDriver 0', 'close']);
    expect(dev.kernelDriverAttached).toBe(true);
  });

  it('a hung write times out, reports error, reconnects after the back-off and replays the last picture', async () => {
    const host = new FakeUsbHost();
    const dev = lr6();
    dev.fail.transferOut = ['hang'];
    host.devices.push(dev);
    const { managed, states } = tower(host);
    managed.submit(red, { sticky: true }); // returns at once although the write will hang
    await vi.advanceTimersByTimeAsync(999);
    expect(managed.state.status).toBe('ok');
    await vi.advanceTimersByTimeAsync(1);
    expect(managed.state).toMatchObject({ status: 'error', retryInMs: 500 });
    expect(managed.state.message).toMatch(/"tower" did not complete within 1000 ms/);
    expect(dev.calls).toContain('releaseInterface 0');
    expect(dev.reports).toEqual([]);
    await vi.advanceTimersByTimeAsync(500);
    expect(dev.reports).toEqual([RED]);
    expect(managed.state.status).toBe('ok');
    const transitions = states.map((s) => s.status).filter((s, i, all) => i === 0 || all[i - 1] !== s);
    expect(transitions).toEqual(['ok', 'error', 'ok']);
  });

  it('permission denied: error names the exact udev rule, retries with doubling back-off, never throws', async () => {
    const host = new FakeUsbHost();
    const dev = lr6();
    const denied = () => new Error('open error: failed to open device (errno 13)');
    dev.fail.open = [denied(), denied(), denied(), denied()];
    host.devices.push(dev);
    const { managed } = tower(host);
    expect(() => managed.submit(red, { sticky: true })).not.toThrow();
    await vi.advanceTimersByTimeAsync(0);
    expect(managed.state.status).toBe('error');
    expect(managed.state.message).toContain(
      'SUBSYSTEM=="usb", ATTR{idVendor}=="191a", ATTR{idProduct}=="8003", MODE="0660", GROUP="plugdev"',
    );
    expect(managed.state.message).toContain('sudo udevadm control --reload-rules && sudo udevadm trigger');
    const opens = () => dev.calls.filter((c) => c === 'open').length;
    expect(opens()).toBe(1);
    await vi.advanceTimersByTimeAsync(500);
    expect(opens()).toBe(2);
    await vi.advanceTimersByTimeAsync(999);
    expect(opens()).toBe(2); // second wait is 1000 ms
    await vi.advanceTimersByTimeAsync(1);
    expect(opens()).toBe(3);
    await vi.advanceTimersByTimeAsync(2000);
    expect(opens()).toBe(4);
    await vi.advanceTimersByTimeAsync(4000); // capped at maxMs
    expect(opens()).toBe(5);
    expect(dev.reports).toEqual([RED]);
    expect(managed.state.status).toBe('ok');
  });

  it('absent device is "disconnected"; a hot-plug attach retries at once and restores the picture', async () => {
    const host = new FakeUsbHost();
    const { managed } = tower(host);
    managed.submit(red, { sticky: true });
    await vi.advanceTimersByTimeAsync(0);
    expect(managed.state.status).toBe('disconnected');
    expect(managed.state.message).toMatch(/LR6-USB .* is not connected/);
    const dev = lr6();
    host.devices.push(dev);
    managed.notifyAttached();
    await vi.advanceTimersByTimeAsync(0);
    expect(dev.reports).toEqual([RED]);
    // Unplugged mid-shift: reported immediately, and the picture comes back after re-plug.
    managed.notifyDetached();
    expect(managed.state.status).toBe('disconnected');
    managed.notifyAttached();
    await vi.advanceTimersByTimeAsync(0);
    expect(dev.reports).toEqual([RED, RED]);
  });
});

describe('ManagedOutput over the relay driver', () => {
  function gate(host: FakeUsbHost) {
    const device = new UsbRelayOutput({ id: 'gate', host, clock: systemClock, platform: 'linux' });
    return new ManagedOutput<RelayCommand>(device, { clock: systemClock, writeTimeoutMs: 1000 });
  }

  it('switches via SET_REPORT, verifies via GET_REPORT', async () => {
    const host = new FakeUsbHost();
    const dev = relayBoard();
    host.devices.push(dev);
    const managed = gate(host);
    managed.submit({ kind: 'relay', relay: 2, on: true });
    await vi.advanceTimersByTimeAsync(0);
    expect(dev.calls).toEqual([
      'open',
      'detachKernelDriver 0',
      'claimInterface 0',
      'controlTransferIn class/device req=1 val=300 len=8',
      'controlTransferOut class/device req=9 val=300 idx=0 ff02000000000000',
      'controlTransferIn class/device req=1 val=300 len=8',
    ]);
    expect(dev.relayMask).toBe(0b10);
    expect(managed.state.status).toBe('ok');
  });

  it('a relay that does not follow the command is reported as an error', async () => {
    const host = new FakeUsbHost();
    const dev = relayBoard();
    dev.stuck = true;
    host.devices.push(dev);
    const managed = gate(host);
    managed.submit({ kind: 'relay', relay: 1, on: true });
    await vi.advanceTimersByTimeAsync(0);
    expect(managed.state).toMatchObject({ status: 'error' });
    expect(managed.state.message).toMatch(/did not switch/);
  });

  it('a pulse that could not be sent in time is dropped, the safe "off" is still delivered', async () => {
    const host = new FakeUsbHost();
    const managed = gate(host);
    managed.submit({ kind: 'relay', relay: 1, on: true }, { maxAgeMs: 500 });
    managed.submit({ kind: 'relay', relay: 1, on: false });
    await vi.advanceTimersByTimeAsync(2000);
    const dev = relayBoard();
    host.devices.push(dev);
    managed.notifyAttached();
    await vi.advanceTimersByTimeAsync(0);
    expect(
      dev.calls.filter((c) => c.startsWith('controlTransferOut')).map((c) => c.split(' ').pop()),
    ).toEqual(['fd01000000000000']);
    expect(managed.state.droppedCommands).toBe(1);
  });

  it('ignores boards on the shared V-USB id that are not "USBRelay<N>"', async () => {
    const host = new FakeUsbHost();
    host.devices.push(relayBoard({ productName: 'DigiSpark' }));
    const managed = gate(host);
    managed.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(managed.state.status).toBe('disconnected');
  });
});
