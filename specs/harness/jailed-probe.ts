/**
 * Whether a feature some checks need works here (a private /etc/hosts, a broadcast namespace), found
 * by running a probe jailed, as a check would run its program. A probe that runs out of time says the
 * machine is busy, not that the feature is missing: skipping the checks would cost the student their
 * points, so the grading fails instead (a GraderError, graded again).
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { rmSync } from 'node:fs';
import { GraderError } from './grader-error';
import { runTempFolder } from './run-temp';
import { jail } from './sandbox';

export type Support = { available: true } | { available: false; reason: string };

/** A probe's start on a loaded machine (a selftest beside 4 workers) has taken tens of seconds. */
export const PROBE_TIMEOUT_MS = 60_000;

export interface ProbeRun {
  /** What is tried, for the busy-machine error: "the resolver's private /etc/hosts". */
  what: string;
  /** The command to jail, given a fresh folder of the run's own (removed afterwards). */
  command: (dir: string) => { command: string; args: string[] };
  timeoutMs?: number;
}

/**
 * Runs a command to its end, synchronously. Out of time is the machine's load, never the command's
 * answer: a GraderError naming `what`.
 */
export function runToEnd(what: string, command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): SpawnSyncReturns<string> {
  const timeoutMs = options.timeoutMs ?? PROBE_TIMEOUT_MS;
  const ran = spawnSync(command, args, { cwd: options.cwd, env: options.env, encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL' });
  if (ran.signal === 'SIGKILL' || (ran.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT') {
    throw new GraderError(`${what} took over ${timeoutMs / 1000} s: the machine was too busy`);
  }
  return ran;
}

/** runToEnd, jailed as a check's program is, in a fresh folder of the run's own (removed afterwards). */
export function runJailedOnce(what: string, build: (dir: string) => { command: string; args: string[] }, timeoutMs = PROBE_TIMEOUT_MS): SpawnSyncReturns<string> {
  const dir = runTempFolder('grader-');
  try {
    const { command, args } = build(dir);
    const jailed = jail({ command, args, cwd: dir, inherited: process.env, env: {} });
    return runToEnd(what, jailed.command, jailed.args, { cwd: dir, env: jailed.env, timeoutMs });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the probe jailed: unavailable with the reason its failure gives, or its output when it succeeded. */
export function runJailedProbe(probe: ProbeRun): { support: Support; stdout: string } {
  const ran = runJailedOnce(`trying ${probe.what}`, probe.command, probe.timeoutMs);
  if (ran.error) return { support: { available: false, reason: `unshare could not run: ${ran.error.message}` }, stdout: '' };
  if (ran.status !== 0) {
    return { support: { available: false, reason: lastLine(ran.stderr) || lastLine(ran.stdout) || `unshare exited with ${ran.status ?? ran.signal}` }, stdout: ran.stdout };
  }
  return { support: { available: true }, stdout: ran.stdout };
}

/** Test titles carry the reason: one short line without the brackets titles use. */
export function lastLine(text: string | null | undefined): string {
  const lines = (text ?? '').trim().split('\n');
  return (lines[lines.length - 1] ?? '').replace(/[[\]]/g, '').slice(0, 160);
}
