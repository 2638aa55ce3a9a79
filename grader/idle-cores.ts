/**
 * How many of the machine's cores nobody is using right now: what `npm run grade` can add without
 * making every program wait for a CPU. Measured from the kernel's idle time over a short sample
 * (Linux's /proc/stat), not from the load average, which still counts for a minute the grading that
 * just ended on this machine (and the runnable tasks a grading itself keeps: several per core).
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';

const SAMPLE_MS = 250;

export function idleCores(sampleMs = SAMPLE_MS): number {
  const cores = availableParallelism();
  const before = cpuTimes();
  if (!before) return Math.max(0, cores - (process.platform === 'win32' ? 0 : loadavg()[0]));
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, sampleMs); // a CLI's start: nothing else to do meanwhile
  const after = cpuTimes()!;
  const total = after.total - before.total;
  return total > 0 ? (cores * (after.idle - before.idle)) / total : cores;
}

/** The first line of /proc/stat: all CPUs' time in clock ticks, and the idle part of it (idle + iowait). */
function cpuTimes(): { total: number; idle: number } | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1, 9).map(Number);
    return { total: fields.reduce((sum, n) => sum + n, 0), idle: fields[3] + fields[4] };
  } catch {
    return undefined;
  }
}
