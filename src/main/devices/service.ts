// API-facing facade of the device layer. The lead exposes these methods over IPC/HTTP and the
// Settings screen; the inspection loop only calls handleVerdict(), which never blocks or throws.
import type { DeviceListing } from '@shared/devices';
import { DomainError } from '../util/errors';
import { systemClock, type Clock } from './clock';
import {
  outputsConfigSchema,
  testActionSchema,
  type OutputDeviceConfig,
  type OutputsConfig,
  type Verdict,
} from './config';
import { ManagedOutput, type OutputState } from './managed-output';
import type { OutputCommand, OutputDevice } from './output-device';
import { PatliteLr6Output } from './patlite';
import { OutputScheduler } from './scheduler';
import { UsbRelayOutput } from './usb-relay';
import { loadNodeUsb, type UsbHost } from './usb-host';
import { DeviceWatcher, type InterfaceClassReader, type UsbChangeEvent, type UsbDeviceInfo } from './watcher';

export type DeviceServiceEvent = UsbChangeEvent | { type: 'output'; state: OutputState };

export type { DeviceListing } from '@shared/devices';

export interface DeviceServiceOptions {
  /** The node-usb instance, or a loader; defaults to loading the `usb` package on start(). */
  host?: UsbHost | (() => Promise<UsbHost>);
  clock?: Clock;
  platform?: NodeJS.Platform;
  readInterfaceClasses?: InterfaceClassReader;
  /** Override how a configured output becomes a device (the defaults drive real hardware). */
  createOutput?: (config: OutputDeviceConfig, host: UsbHost, clock: Clock) => OutputDevice<OutputCommand>;
}

/** Routes each command to the device type that understands it; a mismatch is a rejected command, not a device fault. */
function typed<C extends OutputCommand>(
  device: OutputDevice<C>,
  kind: C['kind'],
): OutputDevice<OutputCommand> {
  return {
    id: device.id,
    kind: device.kind,
    vendorId: device.vendorId,
    productId: device.productId,
    get openedPath() {
      return device.openedPath ?? null;
    },
    open: () => device.open(),
    close: () => device.close(),
    write: async (cmd) => {
      if (cmd.kind !== kind)
        throw new RangeError(`output "${device.id}" cannot execute a ${cmd.kind} command`);
      await device.write(cmd as C);
    },
  };
}

export function createHardwareOutput(
  config: OutputDeviceConfig,
  host: UsbHost,
  clock: Clock,
  platform: NodeJS.Platform,
  transferTimeoutMs: number,
): OutputDevice<OutputCommand> {
  const common = { id: config.id, host, clock, platform, match: config.match, transferTimeoutMs };
  return config.type === 'patlite-lr6'
    ? typed(new PatliteLr6Output(common), 'stack-light')
    : typed(new UsbRelayOutput(common), 'relay');
}

/** Stands in for outputs when node-usb itself is unusable, so the failure shows per output. */
function unavailableOutput(config: OutputDeviceConfig, reason: string): OutputDevice<OutputCommand> {
  const fail = async (): Promise<never> => {
    throw new Error(`USB support unavailable: ${reason}`);
  };
  return {
    id: config.id,
    kind: config.type === 'patlite-lr6' ? 'stack-light' : 'relay',
    vendorId: -1,
    productId: -1,
    open: fail,
    write: fail,
    close: async () => undefined,
  };
}

interface LiveOutput {
  config: OutputDeviceConfig;
  managed: ManagedOutput<OutputCommand>;
}

export class DeviceService {
  private readonly clock: Clock;
  private readonly platform: NodeJS.Platform;
  private host: UsbHost | null = null;
  private usbError: string | null = null;
  private watcher: DeviceWatcher | null = null;
  private readonly outputs = new Map<string, LiveOutput>();
  private readonly listeners = new Set<(e: DeviceServiceEvent) => void>();
  private readonly scheduler: OutputScheduler;
  private config: OutputsConfig = outputsConfigSchema.parse({});
  private started = false;

  constructor(private readonly opts: DeviceServiceOptions = {}) {
    this.clock = opts.clock ?? systemClock;
    this.platform = opts.platform ?? process.platform;
    this.scheduler = new OutputScheduler({
      clock: this.clock,
      sink: (deviceId, cmd, options) => this.outputs.get(deviceId)?.managed.submit(cmd, options),
    });
  }

  /** Loads node-usb and starts watching. Never rejects: a missing USB stack becomes usbError. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    try {
      const h = this.opts.host ?? loadNodeUsb;
      this.host = typeof h === 'function' ? await h() : h;
      this.watcher = new DeviceWatcher({
        host: this.host,
        clock: this.clock,
        platform: this.platform,
        readInterfaceClasses: this.opts.readInterfaceClasses,
      });
      this.watcher.onChange((e) => this.onUsbChange(e));
      await this.watcher.start();
    } catch (err) {
      this.usbError = err instanceof Error ? err.message : String(err);
    }
    await this.rebuildOutputs();
  }

  async stop(): Promise<void> {
    this.started = false;
    this.watcher?.stop();
    this.scheduler.dispose();
    await Promise.all([...this.outputs.values()].map((o) => o.managed.dispose()));
    this.outputs.clear();
  }

  async list(): Promise<DeviceListing> {
    let usb: UsbDeviceInfo[] = [];
    if (this.watcher) {
      try {
        usb = await this.watcher.list();
      } catch (err) {
        return {
          usb,
          outputs: this.outputStates(),
          usbError: err instanceof Error ? err.message : String(err),
        };
      }
    }
    return { usb, outputs: this.outputStates(), usbError: this.usbError };
  }

  /** Hot-plug and output health events, for the UI. Returns the unsubscribe function. */
  onChange(listener: (e: DeviceServiceEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Camera (USB video class) attach/detach only: the live loop shows its banner and reconnects on these. */
  onCamera(listener: (e: UsbChangeEvent) => void): () => void {
    return this.onChange((e) => {
      if (e.type !== 'output' && e.device.kind === 'camera') listener(e);
    });
  }

  getConfig(): OutputsConfig {
    return this.config;
  }

  /** Validates and applies an outputs configuration; DomainError('invalid') lists what is wrong. */
  async configure(input: unknown): Promise<OutputsConfig> {
    const parsed = outputsConfigSchema.safeParse(input);
    if (!parsed.success) {
      const issues = parsed.error.issues
        .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
        .join('; ');
      throw new DomainError('invalid', `invalid outputs configuration: ${issues}`);
    }
    this.config = parsed.data;
    if (this.started) await this.rebuildOutputs();
    return this.config;
  }

  /** Settings-screen buttons ("light red", "pulse relay 1"). Bypasses holds. Returns the output's state now; the write's outcome follows as an 'output' event. */
  test(deviceId: string, action: unknown): OutputState {
    const live = this.outputs.get(deviceId);
    if (!live) throw new DomainError('not_found', `no configured output "${deviceId}"`);
    const parsed = testActionSchema.safeParse(action);
    if (!parsed.success) {
      throw new DomainError(
        'invalid',
        `invalid test action: ${parsed.error.issues.map((i) => i.message).join('; ')}`,
      );
    }
    const want = live.config.type === 'patlite-lr6' ? 'stack-light' : 'relay';
    if (parsed.data.type !== want) {
      throw new DomainError(
        'invalid',
        `"${deviceId}" is a ${live.config.type}; a ${parsed.data.type} action does not apply`,
      );
    }
    this.scheduler.runNow({ ...parsed.data, device: deviceId, holdMs: 0 });
    return live.managed.state;
  }

  /** Called by the inspection loop for every part. Synchronous, never throws, never waits for USB. */
  handleVerdict(verdict: Verdict): void {
    try {
      this.scheduler.handleVerdict(verdict);
    } catch {
      // Outputs are advisory to the inspection itself; a bug here must not stop the line.
    }
  }

  private outputStates(): OutputState[] {
    return [...this.outputs.values()].map((o) => o.managed.state);
  }

  private async rebuildOutputs(): Promise<void> {
    const wanted = new Map(this.config.devices.map((d) => [d.id, d]));
    const stale: LiveOutput[] = [];
    for (const [id, live] of this.outputs) {
      if (JSON.stringify(wanted.get(id)) !== JSON.stringify(live.config)) {
        stale.push(live);
        this.outputs.delete(id);
      }
    }
    await Promise.all(stale.map((o) => o.managed.dispose()));

    const { timing } = this.config;
    for (const config of this.config.devices) {
      if (this.outputs.has(config.id)) continue;
      const device = this.host
        ? (this.opts.createOutput?.(config, this.host, this.clock) ??
          createHardwareOutput(config, this.host, this.clock, this.platform, timing.writeTimeoutMs))
        : unavailableOutput(config, this.usbError ?? 'node-usb not loaded');
      const managed = new ManagedOutput<OutputCommand>(device, {
        clock: this.clock,
        writeTimeoutMs: timing.writeTimeoutMs,
        backoff: { initialMs: timing.retryInitialMs, maxMs: timing.retryMaxMs },
        onState: (state) => this.emit({ type: 'output', state }),
      });
      this.outputs.set(config.id, { config, managed });
      managed.start();
    }
    this.scheduler.configure(this.config);
  }

  private onUsbChange(event: UsbChangeEvent): void {
    this.emit(event);
    for (const { managed } of this.outputs.values()) {
      const dev = managed.device;
      if (dev.vendorId !== event.device.vendorId || dev.productId !== event.device.productId) continue;
      if (event.type === 'attach') managed.notifyAttached();
      else if (!dev.openedPath || dev.openedPath === event.device.path) managed.notifyDetached();
    }
  }

  private emit(event: DeviceServiceEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A broken subscriber must not break hot-plug handling or the outputs.
      }
    }
  }
}
