// `station audit verify|export-checkpoint`: checks the records of a data directory from outside the
// running station (read-only, so it can run next to a live line or on a copied data dir), and
// writes the latest signed checkpoint for a QA engineer to keep elsewhere.
import Database from 'better-sqlite3';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AuditVerification } from '@shared/api';
import { verifyStationChain } from '../storage/chain-verify';
import {
  EXPORT_FORMAT,
  parseExport,
  parseStatement,
  publicKeyPem,
  readSigningKey,
  signatureValid,
  SIGNING_KEY_FILE,
  type CheckpointExport,
  type SigningKey,
} from '../storage/checkpoints';
import { schemaVersion, type Db } from '../storage/database';
import { CliUsageError, dataDirOption, parseOptions } from './args';
import type { CliCommand } from './commands';

const SEALING_SCHEMA = 3;

export const auditCommand: CliCommand = {
  name: 'audit',
  summary: 'verify the audit trail and sealed inspections; export the signed checkpoint',
  usage:
    'Usage: station audit verify [--data-dir DIR] [--checkpoint FILE] [--json]\n' +
    '       station audit export-checkpoint [--data-dir DIR] --out FILE\n\n' +
    'verify exits 0 when every record verifies, 1 naming the first damage, 2 when it cannot check.',
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub === 'verify') return verify(rest);
    if (sub === 'export-checkpoint') return exportLatest(rest);
    throw new CliUsageError(`Unknown audit subcommand "${sub ?? ''}" (verify, export-checkpoint).`);
  },
};

function openReadOnly(dataDirArg: string | undefined): { db: Db; root: string } {
  const root = resolve(dataDirOption(dataDirArg));
  const file = join(root, 'station.db');
  if (!existsSync(file)) throw new Error(`No station database at ${file}.`);
  const db = new Database(file, { readonly: true, fileMustExist: true });
  const version = schemaVersion(db);
  if (version < SEALING_SCHEMA) {
    db.close();
    throw new Error(
      `${file} has schema version ${version}: inspections are sealed from version ${SEALING_SCHEMA} on. ` +
        'Start the station once to upgrade it, then verify.',
    );
  }
  return { db, root };
}

function stationKey(root: string): { key: SigningKey | null; problem?: string } {
  const file = join(root, SIGNING_KEY_FILE);
  if (!existsSync(file)) return { key: null, problem: `key file ${file} is missing` };
  try {
    return { key: readSigningKey(file) };
  } catch (err) {
    return { key: null, problem: `key file ${file} is unreadable: ${(err as Error).message}` };
  }
}

async function verify(argv: string[]): Promise<number> {
  const { values } = parseOptions(argv, {
    'data-dir': { type: 'string' },
    checkpoint: { type: 'string' },
    json: { type: 'boolean' },
  });
  let external: CheckpointExport | null = null;
  if (values.checkpoint) {
    try {
      external = parseExport(readFileSync(values.checkpoint, 'utf8'));
    } catch (err) {
      console.error(`Cannot use checkpoint ${values.checkpoint}: ${(err as Error).message}`);
      return 2;
    }
  }
  let opened: { db: Db; root: string };
  try {
    opened = openReadOnly(values['data-dir']);
  } catch (err) {
    console.error((err as Error).message);
    return 2;
  }
  try {
    const { key, problem } = stationKey(opened.root);
    const v = verifyStationChain(opened.db, {
      publicKey: key?.publicKey ?? null,
      keyProblem: problem,
      external,
    });
    if (values.json) console.log(JSON.stringify(v, null, 2));
    else console.log(describe(v, external !== null));
    return v.ok ? 0 : 1;
  } finally {
    opened.db.close();
  }
}

function describe(v: AuditVerification, withExternal: boolean): string {
  const counts = `${v.checkedRows} audit rows, ${v.checkedInspections ?? 0} inspections`;
  if (v.ok) {
    return (
      `OK: ${counts} verified; signed checkpoint ${v.checkpointAt ?? '(none: empty station)'}` +
      (withExternal ? '; matches the kept checkpoint.' : '.')
    );
  }
  const where =
    v.firstBadId === null
      ? ''
      : ` First bad ${v.scope === 'audit' ? 'audit row' : 'inspection'}: ${v.firstBadId}.`;
  const window = v.window
    ? `\nTime window: ${v.window.from ?? 'start of records'} to ${v.window.to ?? 'now'}`
    : '';
  return `DAMAGED (${v.scope} / ${v.damage}).${where}\n${v.problem}${window}\nChecked before the damage: ${counts}.`;
}

async function exportLatest(argv: string[]): Promise<number> {
  const { values } = parseOptions(argv, { 'data-dir': { type: 'string' }, out: { type: 'string' } });
  if (!values.out) throw new CliUsageError('Missing required option --out.');
  const { db, root } = openReadOnly(values['data-dir']);
  try {
    const { key, problem } = stationKey(root);
    if (!key) throw new Error(`Cannot export: the station's ${problem}.`);
    const latest = db
      .prepare('SELECT statement, signature FROM checkpoint_latest WHERE singleton = 1')
      .get() as { statement: string; signature: string } | undefined;
    if (!latest) throw new Error('The station has no signed checkpoint yet (start it once).');
    // Only a checkpoint this station's key signed is worth keeping.
    if (
      !parseStatement(latest.statement) ||
      !signatureValid(key.publicKey, latest.statement, latest.signature)
    ) {
      throw new Error(
        'The stored checkpoint does not verify with the station key; run `station audit verify`.',
      );
    }
    const out: CheckpointExport = {
      format: EXPORT_FORMAT,
      statement: latest.statement,
      signature: latest.signature,
      publicKey: publicKeyPem(key.publicKey),
    };
    writeFileSync(values.out, `${JSON.stringify(out, null, 2)}\n`, { flag: 'wx' });
    const st = parseStatement(latest.statement)!;
    console.log(
      `Wrote ${values.out}: checkpoint of ${st.at}, audit row ${st.audit.lastId}, inspection ${st.records.lastInspectionId}.\n` +
        'Keep it outside the station; check later with `station audit verify --checkpoint FILE`.',
    );
    return 0;
  } finally {
    db.close();
  }
}
