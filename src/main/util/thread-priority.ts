// Background threads (QA reads, audit verification) must not take the CPU from the inspection
// loop on a small station PC. Linux schedules threads individually: setpriority() on a thread id
// renices that thread alone, so a worker can step back without slowing the process's other threads.
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/**
 * Raises the calling thread's nice value to at least `nice` (lower priority; needs no privilege).
 * Returns the thread's nice value afterwards, or null where threads cannot be reniced one by one
 * (not Linux), in which case nothing changes.
 */
export function lowerThisThreadPriority(nice: number): number | null {
  if (process.platform !== 'linux') return null;
  try {
    // "/proc/thread-self" links to "<pid>/task/<tid>" for the calling thread.
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return null;
    if (getPriority(tid) < nice) setPriority(tid, nice);
    return getPriority(tid);
  } catch {
    return null;
  }
}
