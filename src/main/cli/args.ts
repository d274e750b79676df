// Strict option parsing shared by the CLI commands: unknown flags fail instead of being ignored.
import { parseArgs, type ParseArgsConfig } from 'node:util';

export class CliUsageError extends Error {}

export function parseOptions<T extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: T,
  allowPositionals = false,
): {
  values: ReturnType<typeof parseArgs<{ options: T; allowPositionals: boolean }>>['values'];
  positionals: string[];
} {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, strict: true, allowPositionals });
    return { values, positionals };
  } catch (err) {
    throw new CliUsageError((err as Error).message);
  }
}

export function requireOption(value: string | undefined, flag: string): string {
  if (!value) throw new CliUsageError(`Missing required option ${flag}.`);
  return value;
}

export function intOption(value: string | undefined, flag: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new CliUsageError(`${flag} must be an integer ≥ ${min}, got "${value}".`);
  return n;
}

export function floatOption(
  value: string | undefined,
  flag: string,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new CliUsageError(`${flag} must be a number in [${min}, ${max}], got "${value}".`);
  }
  return n;
}

/** Where the CLI keeps converted backbones and other caches: the station's data directory. */
export function dataDirOption(value: string | undefined): string {
  return value ?? process.env.STATION_DATA_DIR ?? '.data';
}
