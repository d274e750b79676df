// The folder checks every "pick a folder" input goes through (wizard scan, model comparison).
import { constants as fsc, promises as fsp } from 'node:fs';
import { isAbsolute, normalize } from 'node:path';
import { DomainError } from './errors';

export class FolderError extends DomainError {
  constructor(message: string) {
    super('invalid', message);
    this.name = 'FolderError';
  }
}

/** Absolute, existing, readable directory, or a FolderError saying which of these it is not. */
export async function checkFolder(path: string, what: string): Promise<string> {
  const p = path.trim();
  if (!isAbsolute(p)) throw new FolderError(`${what} must be an absolute path (got "${p}").`);
  const dir = normalize(p);
  let st;
  try {
    st = await fsp.stat(dir);
  } catch {
    throw new FolderError(`${what} ${dir} does not exist.`);
  }
  if (!st.isDirectory()) throw new FolderError(`${what} ${dir} is a file, not a folder.`);
  try {
    await fsp.access(dir, fsc.R_OK | fsc.X_OK);
  } catch {
    throw new FolderError(`${what} ${dir} is not readable by the station (check its permissions).`);
  }
  return dir;
}
