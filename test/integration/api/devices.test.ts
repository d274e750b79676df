// USB over the API: hot-plug events from a node-usb double reach an API client as
// 'devices.changed', the listing shows the device, and a test button puts the documented bytes
// on the wire. (No real USB hardware exists on the development machine: see docs/usb-devices.md.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiEvents } from '@shared/api';
import { descriptorInterfaceClasses } from '../../../src/main/devices/watcher';
import { FakeUsbHost, lr6, uvcCamera } from '../../unit/devices/fake-usb';
import { httpHarness, type Harness } from './harness';

describe('USB devices over the HTTP + WebSocket API', () => {
  let h: Harness;
  const host = new FakeUsbHost();
  const events: ApiEvents['devices.changed'][] = [];
  const camera = uvcCamera();

  beforeAll(async () => {
    host.devices.push(camera);
    h = await httpHarness({
      usb: true,
      devices: { host, platform: 'linux', readInterfaceClasses: descriptorInterfaceClasses },
    });
    h.client.on('devices.changed', (e) => events.push(e));
    await new Promise((r) => setTimeout(r, 300));
  });
  afterAll(async () => {
    await h?.close();
  });

  async function until(check: () => boolean): Promise<void> {
    const deadline = Date.now() + 5000;
    while (!check()) {
      if (Date.now() > deadline) throw new Error('event did not arrive');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('lists connected devices with their kind', async () => {
    const listing = await h.client.call('devices.list', {});
    expect(listing.usbError).toBeNull();
    expect(listing.usb.map((d) => `${d.vidPid} ${d.kind}`)).toEqual(['046d:0825 camera']);
  });

  it('forwards unplug and plug events to API clients', async () => {
    host.unplug(camera);
    const tower = lr6();
    host.plug(tower);
    await until(() => events.filter((e) => e.type !== 'output').length >= 2);
    const usb = events.filter((e) => e.type !== 'output') as Array<
      Extract<ApiEvents['devices.changed'], { device: unknown }>
    >;
    expect(usb.map((e) => `${e.type} ${e.device.kind}`)).toEqual(['detach camera', 'attach stack-light']);
    const listing = await h.client.call('devices.list', {});
    expect(listing.usb.map((d) => d.kind)).toEqual(['stack-light']);
  });

  it("answers a device's domain errors with API codes in words", async () => {
    await expect(
      h.client.call('devices.test', { deviceId: 'nope', action: { type: 'relay', relay: 1 } }),
    ).rejects.toMatchObject({ code: 'not_found', message: 'no configured output "nope"' });
    await expect(
      h.client.call('devices.configure', {
        config: { devices: [{ id: 'x', type: 'smoke-machine' }] },
        actor: 'admin',
        reason: 'wrong device type',
      }),
    ).rejects.toMatchObject({
      code: 'bad_request',
      message: expect.stringMatching(/^invalid outputs configuration/) as unknown,
    });
  });
});
