// Double of the node-usb 3.x surface the device layer uses (UsbHost / UsbDeviceLike in
// src/main/devices/usb-host.ts). It records every call in order and simulates the two
// devices' firmware just enough to check the bytes: the LR6 accepts 8-byte interrupt OUT
// reports on endpoint 1, the relay board keeps a relay mask that SET_REPORT changes and
// GET_REPORT returns, as described in pavel-a/usb-relay-hid.
import type {
  UsbConfigurationLike,
  UsbConnectionEventLike,
  UsbControlSetup,
  UsbDeviceLike,
  UsbHost,
} from '../../../src/main/devices/usb-host';

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

export interface FakeDeviceInit {
  vendorId: number;
  productId: number;
  bus?: string;
  address?: number;
  ports?: number[];
  deviceClass?: number;
  manufacturerName?: string | null;
  productName?: string | null;
  serialNumber?: string | null;
  configuration?: UsbConfigurationLike | null;
  /** Relay boards: the 5-character ID in the feature report. */
  boardId?: string;
}

type Failure = Error | 'hang';

export class FakeUsbDevice implements UsbDeviceLike {
  readonly vendorId: number;
  readonly productId: number;
  readonly bus: string;
  readonly address: number;
  readonly ports: number[];
  readonly deviceClass: number;
  readonly manufacturerName: string | null;
  readonly productName: string | null;
  readonly serialNumber: string | null;
  readonly configuration: UsbConfigurationLike | null;
  readonly boardId: string;
  readonly calls: string[] = [];
  /** Reports written to the LR6 OUT endpoint, as hex. */
  readonly reports: string[] = [];
  relayMask = 0;
  opened = false;
  kernelDriverAttached = true;
  claimed = new Set<number>();
  /** Next failures per method, consumed one at a time. */
  readonly fail: Partial<
    Record<'open' | 'detachKernelDriver' | 'claimInterface' | 'transferOut' | 'controlTransferOut', Failure[]>
  > = {};
  /** Simulates a relay whose contacts do not follow the command (stuck relay). */
  stuck = false;

  constructor(init: FakeDeviceInit) {
    this.vendorId = init.vendorId;
    this.productId = init.productId;
    this.bus = init.bus ?? '001';
    this.address = init.address ?? 7;
    this.ports = init.ports ?? [1, 4];
    this.deviceClass = init.deviceClass ?? 0;
    this.manufacturerName = init.manufacturerName ?? null;
    this.productName = init.productName ?? null;
    this.serialNumber = init.serialNumber ?? null;
    this.configuration = init.configuration ?? null;
    this.boardId = init.boardId ?? 'AB12C';
  }

  private async step(name: keyof FakeUsbDevice['fail'], detail = ''): Promise<void> {
    this.calls.push(detail ? `${name} ${detail}` : name);
    const f = this.fail[name]?.shift();
    if (f === 'hang') await new Promise<never>(() => undefined);
    if (f) throw f;
  }

  async open(): Promise<void> {
    await this.step('open');
    this.opened = true;
  }
  async close(): Promise<void> {
    this.calls.push('close');
    this.opened = false;
  }
  async detachKernelDriver(n: number): Promise<void> {
    if (!this.kernelDriverAttached) {
      this.calls.push(`detachKernelDriver ${n}`);
      throw new Error('detachKernelDriver error: no kernel driver attached (errno 61)');
    }
    await this.step('detachKernelDriver', String(n));
    this.kernelDriverAttached = false;
  }
  async attachKernelDriver(n: number): Promise<void> {
    this.calls.push(`attachKernelDriver ${n}`);
    this.kernelDriverAttached = true;
  }
  async claimInterface(n: number): Promise<void> {
    if (this.kernelDriverAttached) {
      this.calls.push(`claimInterface ${n}`);
      throw new Error('claimInterface error: interface is busy (errno 16)');
    }
    await this.step('claimInterface', String(n));
    this.claimed.add(n);
  }
  async releaseInterface(n: number): Promise<void> {
    this.calls.push(`releaseInterface ${n}`);
    this.claimed.delete(n);
  }
  async transferOut(endpoint: number, data: Uint8Array): Promise<{ status: string; bytesWritten: number }> {
    await this.step('transferOut', `${endpoint} ${hex(data)}`);
    if (!this.claimed.has(0)) throw new Error('transferOut error: endpoint not found');
    this.reports.push(hex(data));
    return { status: 'ok', bytesWritten: data.length };
  }
  async controlTransferOut(
    setup: UsbControlSetup,
    data?: Uint8Array,
  ): Promise<{ status: string; bytesWritten: number }> {
    await this.step(
      'controlTransferOut',
      `${setup.requestType}/${setup.recipient} req=${setup.request} val=${setup.value.toString(16)} idx=${setup.index} ${hex(data ?? new Uint8Array())}`,
    );
    // node-usb routes control transfers through a claimed interface.
    if (this.claimed.size === 0) throw new Error('controlTransferOut error: invalid state');
    const d = data ?? new Uint8Array();
    if (!this.stuck && setup.request === 0x09 && setup.value === 0x0300) {
      if (d[0] === 0xff) this.relayMask |= 1 << (d[1] - 1);
      if (d[0] === 0xfd) this.relayMask &= ~(1 << (d[1] - 1));
      if (d[0] === 0xfe) this.relayMask = 0xff;
      if (d[0] === 0xfc) this.relayMask = 0;
    }
    return { status: 'ok', bytesWritten: d.length };
  }
  async controlTransferIn(
    setup: UsbControlSetup,
    length: number,
  ): Promise<{ status: string; data?: DataView }> {
    this.calls.push(
      `controlTransferIn ${setup.requestType}/${setup.recipient} req=${setup.request} val=${setup.value.toString(16)} len=${length}`,
    );
    if (this.claimed.size === 0) throw new Error('controlTransferIn error: invalid state');
    const out = new Uint8Array(8);
    out.set(Buffer.from(this.boardId, 'ascii'), 0);
    out[7] = this.relayMask;
    return { status: 'ok', data: new DataView(out.buffer) };
  }
}

export class FakeUsbHost implements UsbHost {
  devices: FakeUsbDevice[] = [];
  private readonly listeners = {
    connect: new Set<(e: UsbConnectionEventLike) => void>(),
    disconnect: new Set<(e: UsbConnectionEventLike) => void>(),
  };

  async getDevices(): Promise<UsbDeviceLike[]> {
    return [...this.devices];
  }
  addEventListener(type: 'connect' | 'disconnect', listener: (e: UsbConnectionEventLike) => void): void {
    this.listeners[type].add(listener);
  }
  removeEventListener(type: 'connect' | 'disconnect', listener: (e: UsbConnectionEventLike) => void): void {
    this.listeners[type].delete(listener);
  }
  listenerCount(): number {
    return this.listeners.connect.size + this.listeners.disconnect.size;
  }
  plug(device: FakeUsbDevice): void {
    this.devices.push(device);
    for (const l of this.listeners.connect) l({ device });
  }
  unplug(device: FakeUsbDevice): void {
    this.devices = this.devices.filter((d) => d !== device);
    for (const l of this.listeners.disconnect) l({ device });
  }
}

export const lr6 = (init: Partial<FakeDeviceInit> = {}): FakeUsbDevice =>
  new FakeUsbDevice({
    vendorId: 0x191a,
    productId: 0x8003,
    manufacturerName: 'PATLITE',
    productName: 'LR6-USB',
    ...init,
  });

export const relayBoard = (init: Partial<FakeDeviceInit> = {}): FakeUsbDevice =>
  new FakeUsbDevice({
    vendorId: 0x16c0,
    productId: 0x05df,
    manufacturerName: 'www.dcttech.com',
    productName: 'USBRelay2',
    address: 9,
    ports: [1, 3],
    ...init,
  });

export const uvcCamera = (init: Partial<FakeDeviceInit> = {}): FakeUsbDevice =>
  new FakeUsbDevice({
    vendorId: 0x046d,
    productId: 0x0825,
    deviceClass: 0xef,
    productName: 'Webcam C270',
    address: 11,
    ports: [2],
    configuration: {
      interfaces: [
        { interfaceNumber: 0, alternate: { interfaceClass: 0x0e, endpoints: [] } },
        { interfaceNumber: 1, alternate: { interfaceClass: 0x0e, endpoints: [] } },
        { interfaceNumber: 2, alternate: { interfaceClass: 0x01, endpoints: [] } },
      ],
    },
    ...init,
  });
