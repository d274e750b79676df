// Training checkpoints: parameters, optimizer state, buffers, step counters and a JSON header in
// one binary file, written to a temporary file and renamed so a crash mid-write never leaves a
// truncated checkpoint in place of the last good one.
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';

const MAGIC = 'ISCKPT01';

export interface CheckpointData {
  meta: Record<string, unknown>;
  tensors: Map<string, Float32Array>;
}

interface Header {
  meta: Record<string, unknown>;
  tensors: { name: string; offset: number; length: number }[];
  sha256: string;
}

export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

export function writeCheckpoint(path: string, data: CheckpointData): void {
  const entries: Header['tensors'] = [];
  let offset = 0;
  for (const [name, t] of data.tensors) {
    entries.push({ name, offset, length: t.length });
    offset += t.length;
  }
  const body = new Float32Array(offset);
  for (const e of entries) body.set(data.tensors.get(e.name)!, e.offset);
  const bodyBytes = new Uint8Array(body.buffer);
  const header: Header = {
    meta: data.meta,
    tensors: entries,
    sha256: createHash('sha256').update(bodyBytes).digest('hex'),
  };
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  // Pad the header so the float data starts 4-byte aligned (it is read back as a Float32Array view).
  const pad = (4 - ((MAGIC.length + 4 + json.length) % 4)) % 4;
  if (pad) json = Buffer.concat([json, Buffer.from(' '.repeat(pad))]);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(json.length, 0);
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  // fsync before the rename: otherwise a power cut can leave the new name pointing at blocks the
  // file system never wrote, and the previous checkpoint is already gone.
  const fd = openSync(tmp, 'w');
  try {
    for (const part of [Buffer.from(MAGIC, 'ascii'), len, json, bodyBytes]) {
      let off = 0;
      while (off < part.length) off += writeSync(fd, part, off, part.length - off);
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

export function readCheckpoint(path: string): CheckpointData {
  if (!existsSync(path)) throw new CheckpointError(`checkpoint ${path} does not exist`);
  const buf = readFileSync(path);
  if (buf.length < MAGIC.length + 4 || buf.toString('ascii', 0, MAGIC.length) !== MAGIC)
    throw new CheckpointError(`${path} is not a training checkpoint`);
  const hlen = buf.readUInt32LE(MAGIC.length);
  const start = MAGIC.length + 4;
  let header: Header;
  try {
    header = JSON.parse(buf.toString('utf8', start, start + hlen)) as Header;
  } catch (e) {
    throw new CheckpointError(`${path}: corrupt header (${(e as Error).message})`);
  }
  const bodyBytes = buf.subarray(start + hlen);
  if (createHash('sha256').update(bodyBytes).digest('hex') !== header.sha256)
    throw new CheckpointError(`${path}: data does not match its checksum`);
  const body = new Float32Array(
    bodyBytes.buffer.slice(bodyBytes.byteOffset, bodyBytes.byteOffset + bodyBytes.length),
  );
  const tensors = new Map<string, Float32Array>();
  for (const e of header.tensors) tensors.set(e.name, body.slice(e.offset, e.offset + e.length));
  return { meta: header.meta, tensors };
}
