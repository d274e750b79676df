// Configuration of the verdict-driven outputs, validated with zod at the API boundary so the
// scheduler only ever sees complete, consistent settings (every default filled in, every
// action pointing at a configured device of the right type).
import { z } from 'zod';
import { BUZZER_PATTERNS, BUZZER_PITCHES, LAMP_PATTERNS } from './patlite';

export const VERDICTS = ['PASS', 'REVIEW', 'FAIL'] as const;
/** Same union as storage's Verdict; kept local so the device layer has no storage dependency. */
export type Verdict = (typeof VERDICTS)[number];

const deviceId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, "_", "." and "-" only');

const lampPattern = z.enum(LAMP_PATTERNS);

const buzzerSchema = z.object({
  pattern: z.enum(BUZZER_PATTERNS),
  /** 0 = sound until the next command; 1..15 = repeat the pattern that many times. */
  count: z.number().int().min(0).max(15).default(0),
  pitchA: z.enum(BUZZER_PITCHES).default('default'),
  pitchB: z.enum(BUZZER_PITCHES).default('default'),
});

/** A full tower picture. Tiers left out are switched off, so the result never depends on history. */
export const stackLightStateSchema = z.object({
  red: lampPattern.default('off'),
  amber: lampPattern.default('off'),
  green: lampPattern.default('off'),
  blue: lampPattern.default('off'),
  white: lampPattern.default('off'),
  buzzer: buzzerSchema.prefault({ pattern: 'off' }),
});
export type StackLightState = z.infer<typeof stackLightStateSchema>;

const matchSchema = z
  .object({
    /** Physical socket, as listed by DeviceService.list() (e.g. "001-1.4"). */
    path: z.string().min(1).optional(),
    /** LR6: USB serial number. Relay board: its 5-character board ID. */
    serial: z.string().min(1).optional(),
  })
  .optional();

const patliteDeviceSchema = z.object({
  id: deviceId,
  type: z.literal('patlite-lr6'),
  match: matchSchema,
  /** Picture shown at start-up and after a pulse ends. */
  idle: stackLightStateSchema.prefault({}),
});

const relayDeviceSchema = z.object({
  id: deviceId,
  type: z.literal('usb-relay'),
  match: matchSchema,
});

export const outputDeviceConfigSchema = z.discriminatedUnion('type', [
  patliteDeviceSchema,
  relayDeviceSchema,
]);
export type OutputDeviceConfig = z.infer<typeof outputDeviceConfigSchema>;

const holdMs = z.number().int().min(0).max(600_000).default(0);

const stackLightActionSchema = z.object({
  type: z.literal('stack-light'),
  device: deviceId,
  state: stackLightStateSchema.prefault({}),
  /** Show `state` for this long, then return to the device's idle picture. Omitted = stay. */
  pulseMs: z.number().int().min(1).max(600_000).optional(),
  /** Minimum time before a later verdict may change this output; later verdicts coalesce. */
  holdMs,
});

const relayActionSchema = z.object({
  type: z.literal('relay'),
  device: deviceId,
  relay: z.number().int().min(1).max(8),
  mode: z.enum(['pulse', 'on', 'off']).default('pulse'),
  pulseMs: z.number().int().min(1).max(60_000).default(200),
  holdMs,
});

export const outputActionSchema = z.discriminatedUnion('type', [stackLightActionSchema, relayActionSchema]);
export type OutputAction = z.infer<typeof outputActionSchema>;
export type StackLightAction = z.infer<typeof stackLightActionSchema>;
export type RelayAction = z.infer<typeof relayActionSchema>;

/** Settings-screen test buttons: an action without a target (given separately) and without hold. */
export const testActionSchema = z.discriminatedUnion('type', [
  stackLightActionSchema.omit({ device: true, holdMs: true }),
  relayActionSchema.omit({ device: true, holdMs: true }),
]);
export type TestAction = z.infer<typeof testActionSchema>;

export const outputsConfigSchema = z
  .object({
    devices: z.array(outputDeviceConfigSchema).max(16).default([]),
    verdicts: z
      .object({
        PASS: z.array(outputActionSchema).max(16).default([]),
        REVIEW: z.array(outputActionSchema).max(16).default([]),
        FAIL: z.array(outputActionSchema).max(16).default([]),
      })
      .prefault({}),
    timing: z
      .object({
        /** One write, including the relay read-back. */
        writeTimeoutMs: z.number().int().min(50).max(10_000).default(1500),
        /** A relay "on" that cannot be sent within this time is dropped (late rejects hit the wrong part). */
        pulseMaxLatencyMs: z.number().int().min(10).max(10_000).default(500),
        retryInitialMs: z.number().int().min(50).max(60_000).default(500),
        retryMaxMs: z.number().int().min(100).max(600_000).default(30_000),
      })
      .prefault({}),
  })
  .superRefine((cfg, ctx) => {
    const byId = new Map<string, OutputDeviceConfig['type']>();
    cfg.devices.forEach((d, i) => {
      if (byId.has(d.id))
        ctx.addIssue({
          code: 'custom',
          path: ['devices', i, 'id'],
          message: `duplicate device id "${d.id}"`,
        });
      byId.set(d.id, d.type);
    });
    for (const verdict of VERDICTS) {
      cfg.verdicts[verdict].forEach((a, i) => {
        const type = byId.get(a.device);
        const want = a.type === 'stack-light' ? 'patlite-lr6' : 'usb-relay';
        if (type === undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['verdicts', verdict, i, 'device'],
            message: `unknown device "${a.device}"`,
          });
        } else if (type !== want) {
          ctx.addIssue({
            code: 'custom',
            path: ['verdicts', verdict, i, 'type'],
            message: `a ${a.type} action cannot drive "${a.device}" (a ${type})`,
          });
        }
      });
    }
  });

export type OutputsConfig = z.infer<typeof outputsConfigSchema>;
export type OutputsConfigInput = z.input<typeof outputsConfigSchema>;

/** The issue's example: FAIL = red + buzzer for 500 ms then green, reject gate pulse; REVIEW = amber blink held 2 s; PASS = green. */
export const EXAMPLE_OUTPUTS_CONFIG: OutputsConfigInput = {
  devices: [
    { id: 'tower', type: 'patlite-lr6', idle: { green: 'on' } },
    { id: 'reject-gate', type: 'usb-relay' },
  ],
  verdicts: {
    PASS: [{ type: 'stack-light', device: 'tower', state: { green: 'on' } }],
    REVIEW: [{ type: 'stack-light', device: 'tower', state: { amber: 'pattern1' }, holdMs: 2000 }],
    FAIL: [
      {
        type: 'stack-light',
        device: 'tower',
        state: { red: 'on', buzzer: { pattern: 'continuous' } },
        pulseMs: 500,
      },
      { type: 'relay', device: 'reject-gate', relay: 1, mode: 'pulse', pulseMs: 200 },
    ],
  },
};
