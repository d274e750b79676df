// Signed-in sessions, in memory: a restart signs everyone out, which is the safe default for a
// station. Only a hash of each token is kept.
import { createHash, randomBytes } from 'node:crypto';

export interface Session {
  user: string;
  createdAt: number;
  lastSeen: number;
}

const IDLE_MS = 12 * 60 * 60 * 1000;

function hash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly idleMs = IDLE_MS,
    private readonly now: () => number = Date.now,
  ) {}

  open(user: string): string {
    const token = randomBytes(32).toString('base64url');
    const t = this.now();
    this.sessions.set(hash(token), { user, createdAt: t, lastSeen: t });
    return token;
  }

  /** The session's user; null when the token is unknown or idle for too long. */
  resolve(token: string | null): string | null {
    if (!token) return null;
    const key = hash(token);
    const s = this.sessions.get(key);
    if (!s) return null;
    const t = this.now();
    if (t - s.lastSeen > this.idleMs) {
      this.sessions.delete(key);
      return null;
    }
    s.lastSeen = t;
    return s.user;
  }

  close(token: string | null): void {
    if (token) this.sessions.delete(hash(token));
  }

  /** After an account is disabled or its password reset, its open sessions end. */
  closeAllOf(user: string): void {
    for (const [k, s] of this.sessions) if (s.user === user) this.sessions.delete(k);
  }
}
