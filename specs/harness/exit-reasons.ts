/**
 * Why a program ended, in words a student and a TA can act on: a crash, a limit of the sandbox
 * (memory, processes, file size, CPU time, output), or the grader stopping it. Used by
 * Launched.describeExit(), whose text every failure message includes.
 */
import { constants } from 'node:os';
import type { ExitInfo } from './launch';
import { PROGRAM_LIMITS, MIB } from './sandbox';

export interface ExitFacts {
  exit: ExitInfo | undefined;
  spawnError?: Error;
  /** Set when the grader killed it: why, and how long it had run. */
  killed?: { reason?: string; afterMs: number };
  /** Bytes it printed in all, and whether what was kept had to be cut. */
  printedBytes: number;
  truncated: boolean;
  /** The head and tail of what it printed, searched for the symptoms of a limit. */
  transcript: string;
  /** Whether the resource limits applied (no limit can be blamed otherwise). */
  limited: boolean;
}

const mib = (bytes: number) => `${Math.round(bytes / MIB)} MiB`;

/** Symptoms in a program's output of hitting a sandbox limit, and how to say it. */
const SYMPTOMS: { pattern: RegExp; says: string }[] = [
  {
    pattern: /\bMemoryError\b|heap out of memory|Reached heap limit|Allocation failed|Array buffer allocation failed|ERR_MEMORY_ALLOCATION_FAILED|std::bad_alloc|Cannot allocate memory|\bENOMEM\b/,
    says: `exceeded ${mib(PROGRAM_LIMITS.memoryBytes)} of memory`,
  },
  {
    pattern: /can't start new thread|\bspawn\b[^\n]*\bEAGAIN\b|fork\(\)[\s\S]{0,300}Resource temporarily unavailable|fork: retry|fork failed/,
    says: `reached the limit of ${PROGRAM_LIMITS.processes} processes and threads`,
  },
  { pattern: /File too large|\bEFBIG\b|Errno 27\b/, says: `a file it wrote reached the ${mib(PROGRAM_LIMITS.fileBytes)} limit` },
  { pattern: /No space left on device|\bENOSPC\b/, says: `its private /tmp is full (${mib(PROGRAM_LIMITS.tmpBytes)})` },
  { pattern: /Read-only file system|\bEROFS\b/, says: 'it tried to write where it may not: its folder is read-only while it is graded, /tmp is writable' },
];

const SIGNALS: Partial<Record<NodeJS.Signals, string>> = {
  SIGXCPU: `used more than ${PROGRAM_LIMITS.cpuSeconds} s of CPU time`,
  SIGXFSZ: `wrote a file larger than ${mib(PROGRAM_LIMITS.fileBytes)}`,
  SIGSEGV: 'crashed: segmentation fault (SIGSEGV)',
  SIGBUS: 'crashed: bus error (SIGBUS)',
  SIGFPE: 'crashed: arithmetic error (SIGFPE)',
  SIGILL: 'crashed: illegal instruction (SIGILL)',
};

export function describeExit(facts: ExitFacts): string {
  if (facts.spawnError) return `could not be started: ${facts.spawnError.message}`;
  // The launchers in front of the program (sandbox.ts) say why they could not start it.
  const launcherFailure = /^(?:bwrap|prlimit|setpriv): (?:execvp |failed to execute )?(.*)/.exec(facts.transcript);
  if (facts.limited && facts.exit?.code && launcherFailure) return `could not be started: ${launcherFailure[1]}`;
  const notes = [howItEnded(facts), facts.exit && !facts.killed ? symptom(facts) : undefined];
  if (facts.truncated) notes.push(`output truncated: it printed ${size(facts.printedBytes)}, the first and last lines are kept`);
  const [first, ...rest] = notes.filter((n): n is string => Boolean(n));
  return rest.length ? `${first} (${rest.join('; ')})` : first;
}

function howItEnded(facts: ExitFacts): string {
  const { exit, killed } = facts;
  if (!exit) return 'is still running';
  if (killed) return `was killed: ${killed.reason ?? `still running after ${seconds(killed.afterMs)}`}`;
  if (exit.signal) {
    const known = SIGNALS[exit.signal];
    if (known && (facts.limited || !/^SIGX/.test(exit.signal))) return `was killed: ${known}`;
    const found = symptom(facts);
    return found ? `was killed by ${exit.signal}: ${found}` : `was killed by ${exit.signal}`;
  }
  return `exited with code ${exit.code}`;
}

function symptom(facts: ExitFacts): string | undefined {
  if (!facts.limited || (facts.exit?.code === 0 && !facts.exit.signal)) return undefined;
  return limitIn(facts.transcript);
}

/** The sandbox limit a program's output shows it hit, in the words describeExit uses, e.g. "exceeded 512 MiB of memory". */
export function limitIn(transcript: string): string | undefined {
  return SYMPTOMS.find((s) => s.pattern.test(transcript))?.says;
}

/** A jail reports a program killed by signal N as exit code 128 + N (like a shell): undo that. */
export function fromJailStatus(code: number | null, signal: NodeJS.Signals | null): ExitInfo {
  if (signal || code === null || code <= 128) return { code, signal };
  const name = (Object.keys(constants.signals) as NodeJS.Signals[]).find((s) => constants.signals[s] === code - 128);
  return name ? { code: null, signal: name } : { code, signal };
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

function size(bytes: number): string {
  return bytes >= MIB ? `${(bytes / MIB).toFixed(1)} MiB` : `${Math.round(bytes / 1024)} KiB`;
}
