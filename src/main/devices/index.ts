// Public surface of the USB device layer (hot-plug watcher, stack light, reject relay).
export { systemClock, withTimeout, TimeoutError, type Clock, type TimerHandle } from './clock';
export {
  EXAMPLE_OUTPUTS_CONFIG,
  VERDICTS,
  outputActionSchema,
  outputDeviceConfigSchema,
  outputsConfigSchema,
  stackLightStateSchema,
  testActionSchema,
  type OutputAction,
  type OutputDeviceConfig,
  type OutputsConfig,
  type OutputsConfigInput,
  type StackLightState,
  type TestAction,
  type Verdict,
} from './config';
export { ManagedOutput, type OutputState, type OutputStatus, type SubmitOptions } from './managed-output';
export type { OutputCommand, OutputDevice } from './output-device';
export { encodeLr6Report, PatliteLr6Output, type StackLightCommand } from './patlite';
export { OutputScheduler, stackLightCommand } from './scheduler';
export { DeviceService, createHardwareOutput, type DeviceListing, type DeviceServiceEvent } from './service';
export { decodeRelayStatus, encodeRelayReport, UsbRelayOutput, type RelayCommand } from './usb-relay';
export { explainUsbError, loadNodeUsb, udevRule, type UsbDeviceLike, type UsbHost } from './usb-host';
export {
  DeviceWatcher,
  describeUsbDevice,
  type UsbChangeEvent,
  type UsbDeviceInfo,
  type UsbDeviceKind,
} from './watcher';
