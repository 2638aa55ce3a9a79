/**
 * Deadlines that a busy machine cannot turn into a student's failure. A wait for a program ("a reply
 * within 2 s") ends when that much time has passed *that the program and the grader could use*: wall
 * time minus how long the grader's event loop and the programs it runs were runnable but held back
 * by others (schedstat run delays, process-tree.ts), at most OWN_CLOCK_WALL_CAP times the wait in
 * wall time. The decision is taken after the I/O already arrived has been handled (setImmediate), so
 * a reply that came in while the grader itself was held back is never read as late.
 */
import { readProc } from './proc-files';
import { OWN_CLOCK_WALL_CAP, runningPrograms } from './launch';

/** Held back less than this in a wait is noise: no point in waiting again. */
const NOISE_MS = 5;

/** Each running program's wait for a CPU as last seen, and the programs' share of heldBackMs so far. */
const lastSeen = new WeakMap<object, number>();
let programsHeldMs = 0;

/**
 * How long this process's event loop and the programs it runs have waited for a CPU, in ms. It only
 * grows (a program that ends takes nothing back): callers subtract two readings. Programs waiting side
 * by side count once: each reading adds the largest growth among them.
 */
export function heldBackMs(): number {
  let growth = 0;
  for (const program of runningPrograms()) {
    const waited = program.processTree()?.sample().waitedMs ?? 0;
    growth = Math.max(growth, waited - (lastSeen.get(program) ?? 0));
    lastSeen.set(program, waited);
  }
  programsHeldMs += growth;
  return ownWaitMs() + programsHeldMs;
}

/** Calls `onExpire` once `ms` of fair time have passed; returns a function that cancels it. */
export function fairTimeout(onExpire: () => void, ms: number): () => void {
  const started = Date.now();
  const heldAtStart = heldBackMs();
  let timer: NodeJS.Timeout | undefined;
  let cancelled = false;
  const arm = (wait: number) => {
    timer = setTimeout(() => setImmediate(decide), Math.max(1, wait));
  };
  const decide = () => {
    if (cancelled) return;
    const wall = Date.now() - started;
    const fair = wall - (heldBackMs() - heldAtStart);
    if (fair >= ms - NOISE_MS || wall >= OWN_CLOCK_WALL_CAP * ms) onExpire();
    else arm(Math.min(ms - fair, OWN_CLOCK_WALL_CAP * ms - wall));
  };
  arm(ms);
  return () => {
    cancelled = true;
    clearTimeout(timer);
  };
}

/** How long this process's main thread (the event loop, which reads the replies) waited for a CPU, in ms. */
function ownWaitMs(): number {
  if (process.platform !== 'linux') return 0;
  return Number(readProc('/proc/self/schedstat')?.split(' ')[1]) / 1e6 || 0;
}
