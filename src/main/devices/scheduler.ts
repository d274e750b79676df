// Maps verdicts to output commands. Each output channel (a stack light, or one relay on a
// board) is scheduled independently:
// - pulse: switch, then after pulseMs switch back (stack light → its idle picture, relay → off).
//   A relay pulse that arrives while the relay is still on re-triggers it (the gate stays open
//   until the last reject's pulse has elapsed) instead of being swallowed: every FAIL part must
//   be rejected.
// - hold: after an action, the channel keeps its state for at least holdMs; verdicts arriving
//   meanwhile coalesce (only the latest is kept) and are applied when the hold ends. A
//   stack-light pulse also holds for its own length, otherwise the next PASS at line rate would
//   wipe the red before anyone could see it.
// All timing runs on the injected Clock; the scheduler never awaits and never throws.
import type { Clock, TimerHandle } from './clock';
import type { OutputAction, OutputsConfig, StackLightState, Verdict } from './config';
import type { SubmitOptions } from './managed-output';
import type { OutputCommand } from './output-device';
import type { StackLightCommand } from './patlite';

export type OutputSink = (deviceId: string, cmd: OutputCommand, options: SubmitOptions) => void;

interface Channel {
  holdUntil: number;
  holdTimer: TimerHandle | null;
  pending: OutputAction | null;
  pulseTimer: TimerHandle | null;
}

export function stackLightCommand(state: StackLightState): StackLightCommand {
  return {
    kind: 'stack-light',
    lamps: { red: state.red, amber: state.amber, green: state.green, blue: state.blue, white: state.white },
    buzzer: { ...state.buzzer },
  };
}

function channelKey(action: Pick<OutputAction, 'type' | 'device'> & { relay?: number }): string {
  return action.type === 'relay' ? `${action.device}#${action.relay}` : action.device;
}

export class OutputScheduler {
  private config: OutputsConfig | null = null;
  private readonly channels = new Map<string, Channel>();

  constructor(private readonly opts: { clock: Clock; sink: OutputSink }) {}

  /** Replaces the configuration: cancels pending timers, shows idle pictures, opens relays. */
  configure(config: OutputsConfig): void {
    this.dispose();
    this.config = config;
    for (const device of config.devices) {
      if (device.type === 'patlite-lr6')
        this.send(device.id, stackLightCommand(device.idle), { sticky: true });
    }
    // Start from the safe state on every relay the configuration uses.
    const relays = new Set<string>();
    for (const actions of Object.values(config.verdicts)) {
      for (const a of actions) {
        if (a.type === 'relay' && !relays.has(channelKey(a))) {
          relays.add(channelKey(a));
          this.send(a.device, { kind: 'relay', relay: a.relay, on: false }, {});
        }
      }
    }
  }

  handleVerdict(verdict: Verdict): void {
    const actions = this.config?.verdicts[verdict];
    if (!actions) return;
    for (const action of actions) {
      try {
        this.schedule(action);
      } catch {
        // One broken action must not keep the others (e.g. the reject gate) from running.
      }
    }
  }

  /** Test buttons: run an action now, ignoring and not starting any hold. */
  runNow(action: OutputAction): void {
    this.apply(this.channel(channelKey(action)), action, false);
  }

  dispose(): void {
    for (const ch of this.channels.values()) {
      if (ch.holdTimer !== null) this.opts.clock.clearTimeout(ch.holdTimer);
      if (ch.pulseTimer !== null) this.opts.clock.clearTimeout(ch.pulseTimer);
    }
    this.channels.clear();
  }

  private schedule(action: OutputAction): void {
    const ch = this.channel(channelKey(action));
    if (this.opts.clock.now() < ch.holdUntil) {
      ch.pending = action; // coalesce: the newest verdict wins when the hold ends
      return;
    }
    this.apply(ch, action, true);
  }

  private apply(ch: Channel, action: OutputAction, startHold: boolean): void {
    const { clock } = this.opts;
    if (ch.pulseTimer !== null) {
      clock.clearTimeout(ch.pulseTimer);
      ch.pulseTimer = null;
    }

    let holdMs = action.holdMs;
    if (action.type === 'stack-light') {
      this.send(action.device, stackLightCommand(action.state), { sticky: true });
      if (action.pulseMs !== undefined) {
        const idle = this.idleOf(action.device);
        ch.pulseTimer = clock.setTimeout(() => {
          ch.pulseTimer = null;
          this.send(action.device, stackLightCommand(idle), { sticky: true });
        }, action.pulseMs);
        holdMs = Math.max(holdMs, action.pulseMs);
      }
    } else if (action.mode === 'pulse') {
      const maxAgeMs = this.config?.timing.pulseMaxLatencyMs;
      this.send(
        action.device,
        { kind: 'relay', relay: action.relay, on: true },
        maxAgeMs === undefined ? {} : { maxAgeMs },
      );
      ch.pulseTimer = clock.setTimeout(() => {
        ch.pulseTimer = null;
        this.send(action.device, { kind: 'relay', relay: action.relay, on: false }, {});
      }, action.pulseMs);
    } else {
      this.send(action.device, { kind: 'relay', relay: action.relay, on: action.mode === 'on' }, {});
    }

    if (!startHold || holdMs <= 0) return;
    ch.holdUntil = clock.now() + holdMs;
    if (ch.holdTimer !== null) clock.clearTimeout(ch.holdTimer);
    ch.holdTimer = clock.setTimeout(() => {
      ch.holdTimer = null;
      ch.holdUntil = 0;
      const next = ch.pending;
      ch.pending = null;
      if (next) this.apply(ch, next, true);
    }, holdMs);
  }

  private idleOf(deviceId: string): StackLightState {
    const device = this.config?.devices.find((d) => d.id === deviceId);
    if (device?.type === 'patlite-lr6') return device.idle;
    return {
      red: 'off',
      amber: 'off',
      green: 'off',
      blue: 'off',
      white: 'off',
      buzzer: { pattern: 'off', count: 0, pitchA: 'default', pitchB: 'default' },
    };
  }

  private channel(key: string): Channel {
    let ch = this.channels.get(key);
    if (!ch) {
      ch = { holdUntil: 0, holdTimer: null, pending: null, pulseTimer: null };
      this.channels.set(key, ch);
    }
    return ch;
  }

  private send(deviceId: string, cmd: OutputCommand, options: SubmitOptions): void {
    try {
      this.opts.sink(deviceId, cmd, options);
    } catch {
      // The sink is the device layer, which already never throws; this is belt and braces
      // for the inspection loop that calls handleVerdict().
    }
  }
}
