// Verdict → command timing (pulse, hold, coalescing, relay re-trigger) on fake timers, with a
// sink that records what would be queued to each device.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../../src/main/devices/clock';
import {
  EXAMPLE_OUTPUTS_CONFIG,
  outputsConfigSchema,
  type OutputsConfigInput,
} from '../../../src/main/devices/config';
import type { SubmitOptions } from '../../../src/main/devices/managed-output';
import type { OutputCommand } from '../../../src/main/devices/output-device';
import { OutputScheduler } from '../../../src/main/devices/scheduler';

interface Sent {
  t: number;
  device: string;
  what: string;
  options: SubmitOptions;
}

function describeCmd(cmd: OutputCommand): string {
  if (cmd.kind === 'relay') return `relay${cmd.relay} ${cmd.on ? 'on' : 'off'}`;
  const lit = Object.entries(cmd.lamps)
    .filter(([, p]) => p !== 'off')
    .map(([c, p]) => (p === 'on' ? c : `${c}:${p}`));
  if (cmd.buzzer && cmd.buzzer.pattern !== 'off') lit.push(`buzzer:${cmd.buzzer.pattern}`);
  return lit.join('+') || 'dark';
}

function setup(config: OutputsConfigInput = EXAMPLE_OUTPUTS_CONFIG) {
  const sent: Sent[] = [];
  const t0 = Date.now();
  const scheduler = new OutputScheduler({
    clock: systemClock,
    sink: (device, cmd, options) =>
      sent.push({ t: Date.now() - t0, device, what: describeCmd(cmd), options }),
  });
  scheduler.configure(outputsConfigSchema.parse(config));
  const log = () => sent.map((s) => `${s.t} ${s.device} ${s.what}`);
  return { scheduler, sent, log };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('OutputScheduler', () => {
  it('configure shows the idle picture and puts used relays in the safe state', () => {
    const { log, sent } = setup();
    expect(log()).toEqual(['0 tower green', '0 reject-gate relay1 off']);
    expect(sent[0].options.sticky).toBe(true);
  });

  it('FAIL: red + buzzer for 500 ms then back to green; reject relay pulsed 200 ms', async () => {
    const { scheduler, log, sent } = setup();
    scheduler.handleVerdict('FAIL');
    await vi.advanceTimersByTimeAsync(1000);
    expect(log().slice(2)).toEqual([
      '0 tower red+buzzer:continuous',
      '0 reject-gate relay1 on',
      '200 reject-gate relay1 off',
      '500 tower green',
    ]);
    // A late "on" must be dropped (max age), the "off" must never be.
    expect(sent[3].options.maxAgeMs).toBe(500);
    expect(sent[4].options.maxAgeMs).toBeUndefined();
  });

  it('a stack-light pulse holds for its length: a PASS 100 ms after a FAIL waits, the reject still fires at once', async () => {
    const { scheduler, log } = setup();
    scheduler.handleVerdict('FAIL');
    await vi.advanceTimersByTimeAsync(100);
    scheduler.handleVerdict('PASS');
    await vi.advanceTimersByTimeAsync(900);
    expect(log().slice(2)).toEqual([
      '0 tower red+buzzer:continuous',
      '0 reject-gate relay1 on',
      '200 reject-gate relay1 off',
      '500 tower green', // end of the pulse (idle)
      '500 tower green', // the held PASS, applied when the hold ends
    ]);
  });

  it('hold: REVIEW stays 2 s; verdicts during the hold coalesce to the latest one', async () => {
    const { scheduler, log } = setup();
    scheduler.handleVerdict('REVIEW');
    await vi.advanceTimersByTimeAsync(100);
    scheduler.handleVerdict('FAIL');
    await vi.advanceTimersByTimeAsync(100);
    scheduler.handleVerdict('PASS');
    await vi.advanceTimersByTimeAsync(1799);
    expect(log().slice(2)).toEqual([
      '0 tower amber:pattern1',
      '100 reject-gate relay1 on',
      '300 reject-gate relay1 off',
    ]);
    await vi.advanceTimersByTimeAsync(1);
    expect(log().slice(5)).toEqual(['2000 tower green']);
    // After the hold a new verdict applies immediately again.
    scheduler.handleVerdict('REVIEW');
    expect(log().slice(6)).toEqual(['2000 tower amber:pattern1']);
  });

  it('back-to-back FAILs re-trigger the relay pulse instead of cutting it short', async () => {
    const { scheduler, log } = setup();
    scheduler.handleVerdict('FAIL');
    await vi.advanceTimersByTimeAsync(150);
    scheduler.handleVerdict('FAIL');
    await vi.advanceTimersByTimeAsync(1000);
    const relay = log().filter((l) => l.includes('relay1'));
    expect(relay).toEqual([
      '0 reject-gate relay1 off',
      '0 reject-gate relay1 on',
      '150 reject-gate relay1 on',
      '350 reject-gate relay1 off',
    ]);
  });

  it('runNow (test buttons) ignores holds and reconfigure cancels pending timers', async () => {
    const { scheduler, log } = setup();
    scheduler.handleVerdict('REVIEW');
    scheduler.runNow({
      type: 'relay',
      device: 'reject-gate',
      relay: 1,
      mode: 'pulse',
      pulseMs: 50,
      holdMs: 0,
    });
    await vi.advanceTimersByTimeAsync(60);
    expect(log().slice(3)).toEqual(['0 reject-gate relay1 on', '50 reject-gate relay1 off']);
    scheduler.handleVerdict('FAIL'); // held by REVIEW …
    scheduler.configure(outputsConfigSchema.parse({}));
    await vi.advanceTimersByTimeAsync(5000);
    expect(log().length).toBe(6); // … and dropped with the old configuration: only the relay part ran
  });
});

describe('outputs configuration schema', () => {
  it('rejects actions on unknown devices or of the wrong type, and duplicate ids', () => {
    const bad = outputsConfigSchema.safeParse({
      devices: [
        { id: 'tower', type: 'patlite-lr6' },
        { id: 'tower', type: 'usb-relay' },
      ],
      verdicts: {
        FAIL: [{ type: 'relay', device: 'gate', relay: 1 }],
        PASS: [{ type: 'relay', device: 'tower', relay: 1 }],
      },
    });
    expect(bad.success).toBe(false);
    const messages = bad.error?.issues.map((i) => i.message) ?? [];
    expect(messages).toEqual(
      expect.arrayContaining(['duplicate device id "tower"', 'unknown device "gate"']),
    );
    expect(
      outputsConfigSchema.safeParse({ verdicts: { FAIL: [{ type: 'relay', device: 'x', relay: 9 }] } })
        .success,
    ).toBe(false);
  });
});
