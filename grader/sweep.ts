/**
 * Kills every process that carries a marker in its environment. Student programs run in process
 * groups of their own (the harness starts each one detached), so killing jest's group does not reach
 * them once jest itself is gone; the marker, inherited by everything jest starts, does. A program
 * that clears its environment escapes this: only a PID namespace (grader/isolation.ts) contains it.
 */
import { readdirSync, readFileSync } from 'node:fs';

export function markedProcesses(name: string, value: string): number[] {
  if (process.platform !== 'linux') return [];
  const marker = `${name}=${value}`;
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(marker)) found.push(Number(entry));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

/** SIGKILLs the marked processes, again until none is left (one may fork while the others die). */
export function killMarked(name: string, value: string, rounds = 5): number {
  let killed = 0;
  for (let round = 0; round < rounds; round++) {
    const pids = markedProcesses(name, value);
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
        killed += 1;
      } catch {
        // already gone
      }
    }
  }
  return killed;
}
