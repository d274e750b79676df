// Background threads (QA reads, audit verification) must not take the CPU from the inspection
// loop on a small station PC. Linux schedules threads individually: setpriority() on a thread id
// renices that thread alone, so a worker can step back without slowing the process's other threads.
//
// A nice value only lowers a thread's share. On two cores that is not enough: the scheduler lets a
// running thread finish its slice before a woken one gets the core, and ONNX Runtime's parallel
// operators wait at every step for their slowest thread, so a reader holding a core for a slice
// stretches a whole inference (docs/benchmarks.md "Reads under load"). SCHED_IDLE is the policy the
// kernel preempts at once for any normal thread; it needs no privilege, but Node has no call for it,
// so util-linux's `chrt` sets it for this thread id.
import { execFileSync } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** Linux's number for the SCHED_IDLE policy (field 41 of /proc/<pid>/task/<tid>/stat). */
const SCHED_IDLE = 5;

/**
 * Raises the calling thread's nice value to at least `nice` (lower priority; needs no privilege).
 * Returns the thread's nice value afterwards, or null where threads cannot be reniced one by one
 * (not Linux), in which case nothing changes.
 */
export function lowerThisThreadPriority(nice: number): number | null {
  return reniceThread(thisThreadId(), nice);
}

function reniceThread(tid: number | null, nice: number): number | null {
  if (tid === null) return null;
  try {
    if (getPriority(tid) < nice) setPriority(tid, nice);
    return getPriority(tid);
  } catch {
    return null;
  }
}

export interface BackgroundPriority {
  /** The thread's nice value afterwards (null where threads cannot be reniced one by one). */
  nice: number | null;
  /** Whether the thread now runs under SCHED_IDLE. */
  idlePolicy: boolean;
}

/**
 * Makes the calling thread run only where the inspection loop leaves the CPU: nice `nice`, and
 * SCHED_IDLE where `chrt` can set it (else the nice value alone, as before).
 */
export function runThisThreadInBackground(nice = 10): BackgroundPriority {
  const tid = thisThreadId();
  const result = reniceThread(tid, nice);
  if (tid === null) return { nice: result, idlePolicy: false };
  try {
    execFileSync('chrt', ['--idle', '--pid', '0', String(tid)], { stdio: 'ignore', timeout: 2000 });
  } catch {
    // No chrt (or a kernel without SCHED_IDLE): the nice value still lowers the share.
  }
  return { nice: result, idlePolicy: threadPolicy(tid) === SCHED_IDLE };
}

/** The calling thread's kernel id, or null off Linux. */
function thisThreadId(): number | null {
  if (process.platform !== 'linux') return null;
  try {
    // "/proc/thread-self" links to "<pid>/task/<tid>" for the calling thread.
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) && tid > 0 ? tid : null;
  } catch {
    return null;
  }
}

function threadPolicy(tid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${process.pid}/task/${tid}/stat`, 'utf8');
    // Fields after the parenthesised command name start at field 3; policy is field 41.
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[41 - 3]);
  } catch {
    return null;
  }
}
