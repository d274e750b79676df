// Device DTOs shared by the main process (node-usb layer) and the UI's Settings screen.

export type UsbDeviceKind = 'camera' | 'stack-light' | 'relay' | 'other';

export interface UsbDeviceInfo {
  /** vid:pid@path, stable while the device stays in the same socket. */
  id: string;
  vendorId: number;
  productId: number;
  /** "191a:8003" */
  vidPid: string;
  manufacturer: string | null;
  product: string | null;
  serialNumber: string | null;
  bus: string;
  ports: number[];
  address: number;
  /** "bus-port.port", e.g. "001-1.4". */
  path: string;
  deviceClass: number;
  /** bInterfaceClass of every interface; null when the descriptors could not be read. */
  interfaceClasses: number[] | null;
  kind: UsbDeviceKind;
}

export interface UsbChangeEvent {
  type: 'attach' | 'detach';
  device: UsbDeviceInfo;
  /** clock.now() when the event was seen. */
  at: number;
}

export type OutputStatus = 'ok' | 'error' | 'disconnected';

export interface OutputState {
  deviceId: string;
  kind: 'stack-light' | 'relay';
  status: OutputStatus;
  /** Why it is not ok (the udev hint for permission errors); null when ok. */
  message: string | null;
  /** clock.now() of the last status change. */
  since: number;
  /** Milliseconds until the next reconnect attempt, when one is scheduled. */
  retryInMs: number | null;
  /** Commands dropped because they became too old while the device was failing. */
  droppedCommands: number;
}

export interface DeviceListing {
  usb: UsbDeviceInfo[];
  outputs: OutputState[];
  /** Why USB could not be used at all (library missing, no permission to enumerate); null when fine. */
  usbError: string | null;
}
