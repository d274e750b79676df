// Signed checkpoints anchor both hash chains (audit trail, sealed inspection batches) to a key that
// is not in the database: whoever can write station.db can re-hash every row, but cannot sign the
// new heads. The private key lives in a file next to the database with owner-only permissions.
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Statement } from 'better-sqlite3';
import type { Db } from './database';

export const SIGNING_KEY_FILE = 'station-signing.key';
export const CHECKPOINT_FORMAT = 'station-checkpoint-v1';
export const EXPORT_FORMAT = 'station-checkpoint-export-v1';
/** Inspection batches add a history checkpoint at most this often (audit rows always add one). */
export const HISTORY_INTERVAL_MS = 60_000;

export interface CheckpointStatement {
  format: typeof CHECKPOINT_FORMAT;
  at: string;
  keyId: string;
  audit: { lastId: number; lastHash: string };
  records: { lastSeq: number; lastHash: string; lastInspectionId: number };
}

export interface StoredCheckpoint {
  seq: number | null;
  at: string;
  statement: string;
  signature: string;
}

/** What a QA engineer keeps outside the station: self-contained, verifiable with its own key. */
export interface CheckpointExport {
  format: typeof EXPORT_FORMAT;
  statement: string;
  signature: string;
  publicKey: string;
}

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  keyId: string;
  file: string;
}

/** Loads the data dir's key, creating it (0600) on first start. */
export function loadOrCreateSigningKey(dataDir: string): SigningKey {
  const file = join(dataDir, SIGNING_KEY_FILE);
  if (!existsSync(file)) {
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' });
    try {
      // 'wx': two processes starting at once must not overwrite each other's key.
      writeFileSync(file, pem, { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return readSigningKey(file);
}

/** Reads an existing key (verification never creates one); tightens loose permissions. */
export function readSigningKey(file: string): SigningKey {
  if (process.platform !== 'win32' && (statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  const privateKey = createPrivateKey(readFileSync(file));
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new Error(`${file} is not an Ed25519 private key.`);
  }
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, keyId: keyIdOf(publicKey), file };
}

export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 16);
}

export function publicKeyPem(key: KeyObject): string {
  return key.export({ type: 'spki', format: 'pem' }).toString();
}

export function signatureValid(publicKey: KeyObject, statement: string, signature: string): boolean {
  try {
    return verify(null, Buffer.from(statement, 'utf8'), publicKey, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

export function parseStatement(text: string): CheckpointStatement | null {
  try {
    const s = JSON.parse(text) as CheckpointStatement;
    if (
      s?.format !== CHECKPOINT_FORMAT ||
      typeof s.at !== 'string' ||
      typeof s.audit?.lastId !== 'number' ||
      typeof s.audit?.lastHash !== 'string' ||
      typeof s.records?.lastSeq !== 'number' ||
      typeof s.records?.lastHash !== 'string' ||
      typeof s.records?.lastInspectionId !== 'number'
    ) {
      return null;
    }
    return s;
  } catch {
    return null;
  }
}

export function parseExport(text: string): CheckpointExport {
  let e: CheckpointExport;
  try {
    e = JSON.parse(text) as CheckpointExport;
  } catch (err) {
    throw new Error(`The checkpoint file is not JSON: ${(err as Error).message}`, { cause: err });
  }
  if (
    e?.format !== EXPORT_FORMAT ||
    typeof e.statement !== 'string' ||
    typeof e.signature !== 'string' ||
    typeof e.publicKey !== 'string'
  ) {
    throw new Error(`The checkpoint file is not a ${EXPORT_FORMAT} export.`);
  }
  return e;
}

interface Signer {
  key: SigningKey;
  auditHead: Statement<[], { last_id: number; last_hash: string }>;
  recordHead: Statement<[], { last_seq: number; last_hash: string; last_inspection_id: number }>;
  upsertLatest: Statement<[string, string, string]>;
  lastHistory: Statement<[], { seq: number; at: string }>;
  appendHistory: Statement<[number, string, string, string]>;
  now: () => Date;
}

const signers = new WeakMap<Db, Signer>();

/**
 * From now on every write transaction on this connection (audit append, inspection batch) ends
 * with a signed checkpoint. Kept per connection so repositories need no extra constructor argument.
 */
export function attachSigningKey(db: Db, key: SigningKey, now: () => Date = () => new Date()): void {
  signers.set(db, {
    key,
    auditHead: db.prepare('SELECT last_id, last_hash FROM audit_head WHERE singleton = 1'),
    recordHead: db.prepare(
      'SELECT last_seq, last_hash, last_inspection_id FROM record_head WHERE singleton = 1',
    ),
    upsertLatest:
      db.prepare(`INSERT INTO checkpoint_latest (singleton, at, statement, signature) VALUES (1, ?, ?, ?)
      ON CONFLICT (singleton) DO UPDATE SET at = excluded.at, statement = excluded.statement,
      signature = excluded.signature`),
    lastHistory: db.prepare('SELECT seq, at FROM checkpoints ORDER BY seq DESC LIMIT 1'),
    appendHistory: db.prepare('INSERT INTO checkpoints (seq, at, statement, signature) VALUES (?, ?, ?, ?)'),
    now,
  });
  // Signs the heads as found, so a station upgraded from v2 is anchored from its first start.
  db.transaction(() => sealCheckpoint(db, 'open'))();
}

export function signingKeyOf(db: Db): SigningKey | null {
  return signers.get(db)?.key ?? null;
}

/**
 * Signs the current heads. Call inside the write transaction that moved them, so the checkpoint
 * commits or rolls back with the rows. No-op on a connection without a key (scratch databases).
 */
export function sealCheckpoint(
  db: Db,
  cause: 'audit' | 'records' | 'open' | 'export',
): StoredCheckpoint | null {
  const s = signers.get(db);
  if (!s) return null;
  const audit = s.auditHead.get();
  const records = s.recordHead.get();
  if (!audit || !records) throw new Error('A chain head row is missing; cannot sign a checkpoint.');
  const at = s.now().toISOString();
  const statement: CheckpointStatement = {
    format: CHECKPOINT_FORMAT,
    at,
    keyId: s.key.keyId,
    audit: { lastId: audit.last_id, lastHash: audit.last_hash },
    records: {
      lastSeq: records.last_seq,
      lastHash: records.last_hash,
      lastInspectionId: records.last_inspection_id,
    },
  };
  const text = JSON.stringify(statement);
  const signature = sign(null, Buffer.from(text, 'utf8'), s.key.privateKey).toString('base64');
  s.upsertLatest.run(at, text, signature);
  const last = s.lastHistory.get();
  let seq: number | null = null;
  if (cause !== 'records' || !last || Date.parse(at) - Date.parse(last.at) >= HISTORY_INTERVAL_MS) {
    seq = (last?.seq ?? 0) + 1;
    s.appendHistory.run(seq, at, text, signature);
  }
  return { seq, at, statement: text, signature };
}

/** Signs the heads now and returns the export a QA engineer keeps elsewhere. */
export function exportCheckpoint(db: Db): CheckpointExport {
  const s = signers.get(db);
  if (!s) throw new Error('This station has no signing key attached; cannot export a checkpoint.');
  const cp = db.transaction(() => sealCheckpoint(db, 'export'))();
  if (!cp) throw new Error('No checkpoint could be signed.');
  return {
    format: EXPORT_FORMAT,
    statement: cp.statement,
    signature: cp.signature,
    publicKey: publicKeyPem(s.key.publicKey),
  };
}
