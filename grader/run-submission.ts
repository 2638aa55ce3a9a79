/**
 * Grades one prepared student folder: the one place a jest child process is started for a
 * submission. It runs detached (its own process group) inside whatever grader/isolation.ts wraps it
 * in, with a time budget; at the end its group and every process marked as its descendant are
 * killed, and its output is kept within bounds. The results come from grader/results-reporter.ts.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { BoundedOutput } from '../specs/harness/output';
import { CHECKS_AT_ONCE_ENV, ENTRY_CHECKS_AT_ONCE, entryJestArgs, EXERCISES_ENV } from '../specs/harness/exercise-list';
import { BUILD_CACHE_ENV } from '../specs/harness/program';
import type { ExerciseResult } from '../specs/harness/results';
import { runTempFolder } from '../specs/harness/run-temp';
import { detectIsolation, type Isolation } from './isolation';
import { TIMELINE_DIR_ENV } from '../specs/harness/timeline-store';
import { RESULTS_FILE_ENV } from './results-reporter';
import { withCapture } from './capture';
import { killMarked } from './sweep';
import { REPO_ROOT } from '../specs/harness/repo';

const JEST = path.join(REPO_ROOT, 'node_modules', 'jest', 'bin', 'jest.js');
const REPORTER = path.join(__dirname, 'results-reporter.ts');
const RUN_MARKER = 'GRADER_SUBMISSION_RUN';
const MAX_RESULTS_BYTES = 50 * 1024 * 1024;
/** More than tcpdump's packet count lets it write (capture.ts): a file this large is not its. */
const MAX_CAPTURE_BYTES = 128 * 1024 * 1024;
const PCAP_HEADER_BYTES = 24;

export interface JestRun {
  /** The prepared copy of the student's folder. */
  studentDir: string;
  /** Exercises to grade; all of them when absent or empty. */
  exercises?: string[];
  hidden: boolean;
  timeoutMs: number;
  /**
   * Jest workers for this submission, each running whole spec files (jest.config.ts's number when
   * unset). 1: one jest process runs every exercise's checks side by side (specs/exercises.entry.ts),
   * which costs far less CPU but shares one event loop between exercises that spawn many programs and
   * exercises whose timing is judged (docs/performance.md).
   */
  workers?: number;
  signal?: AbortSignal;
  isolation?: Pick<Isolation, 'wrap'>;
  /** A private folder to build TypeScript programs into (GRADER_BUILD_CACHE); else the user's cache. */
  buildCache?: string;
  /** Record the submission's loopback with tcpdump (capture.ts; only where captureSupport said it can). */
  capture?: boolean;
}

export interface JestOutcome {
  /** What the reporter wrote: every exercise that finished, possibly not all of them. */
  exercises: ExerciseResult[];
  /** Why the run did not finish normally (time budget, interrupted, jest crashed). */
  error?: string;
  /** Jest's own output, bounded, for the TA. */
  log: string;
  durationMs: number;
  /** With `capture`: the pcap of the whole run, or why there is none. */
  capture?: Buffer;
  captureProblem?: string;
}

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function jestArgs(run: Pick<JestRun, 'exercises' | 'workers'>): string[] {
  const common = [JEST, '--config', path.join(REPO_ROOT, 'jest.config.ts'), '--ci', '--forceExit', '--reporters', REPORTER];
  if (run.workers === 1) return [...common, ...entryJestArgs()];
  const patterns = (run.exercises ?? []).map((id) => `/specs/${escapeRegex(id)}\\.spec\\.ts$`);
  return [...common, ...(run.workers ? ['--maxWorkers', String(run.workers)] : []), ...(patterns.length ? ['--testPathPatterns', ...patterns] : [])];
}

function readResults(file: string): ExerciseResult[] | undefined {
  if (!existsSync(file) || statSync(file).size > MAX_RESULTS_BYTES) return undefined;
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return Array.isArray(parsed) ? (parsed as ExerciseResult[]) : undefined;
  } catch {
    return undefined;
  }
}

/** tcpdump's output (bounded by its packet count), or what it said when it wrote none. */
function readCapture(file: string): Pick<JestOutcome, 'capture' | 'captureProblem'> {
  const log = existsSync(`${file}.log`) ? readFileSync(`${file}.log`, 'utf8').trim().split('\n').slice(-3).join('\n') : '';
  if (!existsSync(file) || statSync(file).size < PCAP_HEADER_BYTES) return { captureProblem: `tcpdump recorded nothing${log ? `: ${log}` : ''}` };
  if (statSync(file).size > MAX_CAPTURE_BYTES) return { captureProblem: `the capture is over ${MAX_CAPTURE_BYTES >> 20} MB, left out` };
  return { capture: readFileSync(file) };
}

export async function runSubmission(run: JestRun): Promise<JestOutcome> {
  const started = Date.now();
  const resultsDir = runTempFolder('grade-results-');
  const resultsFile = path.join(resultsDir, 'exercises.json');
  const marker = randomUUID();
  const pcapFile = path.join(resultsDir, 'wire.pcap');
  const jest = run.capture ? withCapture(pcapFile, process.execPath, jestArgs(run)) : { command: process.execPath, args: jestArgs(run) };
  const { command, args } = (run.isolation ?? detectIsolation()).wrap(jest.command, jest.args);
  const log = new BoundedOutput(32 * 1024, 32 * 1024);
  const child = spawn(command, args, {
    cwd: REPO_ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      GRADER_TARGET: run.studentDir,
      GRADER_HIDDEN: run.hidden ? '1' : '0',
      [EXERCISES_ENV]: (run.exercises ?? []).join(','),
      ...(run.workers === 1 ? { [CHECKS_AT_ONCE_ENV]: String(ENTRY_CHECKS_AT_ONCE) } : {}),
      [RESULTS_FILE_ENV]: resultsFile,
      [TIMELINE_DIR_ENV]: path.join(resultsDir, 'timelines'),
      [RUN_MARKER]: marker,
      ...(run.buildCache ? { [BUILD_CACHE_ENV]: run.buildCache } : {}),
      CI: 'true',
      NO_COLOR: '1',
      FORCE_COLOR: '0',
    },
  });
  child.stdout.on('data', (chunk: Buffer) => log.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => log.push(chunk));

  let stopped: string | undefined;
  const killTree = () => {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // the group is gone already
    }
    killMarked(RUN_MARKER, marker);
  };
  const stop = (why: string) => {
    stopped ??= why;
    killTree();
  };
  const timer = setTimeout(() => stop(`grading stopped after ${Math.round(run.timeoutMs / 1000)} s, the time budget for one submission`), run.timeoutMs);
  const onAbort = () => stop('grading was interrupted');
  if (run.signal?.aborted) onAbort();
  run.signal?.addEventListener('abort', onAbort);

  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; spawnError?: Error }>((resolve) => {
    child.once('error', (spawnError) => resolve({ code: null, signal: null, spawnError }));
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  clearTimeout(timer);
  run.signal?.removeEventListener('abort', onAbort);
  killTree(); // whatever jest left behind: workers, student programs
  await new Promise<void>((resolve) => {
    if (child.stdout.readableEnded && child.stderr.readableEnded) return resolve();
    const giveUp = setTimeout(() => {
      child.stdout.destroy();
      child.stderr.destroy();
      resolve();
    }, 2000);
    child.once('close', () => {
      clearTimeout(giveUp);
      resolve();
    });
  });

  const exercises = readResults(resultsFile);
  const captured = run.capture ? readCapture(pcapFile) : {};
  rmSync(resultsDir, { recursive: true, force: true });
  const text = log.toString();
  const error =
    stopped ??
    (exit.spawnError
      ? `the grader could not start: ${exit.spawnError.message}`
      : exercises
        ? undefined
        : `the grader ended (${exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`}) without results; its last output:\n${text.split('\n').slice(-20).join('\n')}`);
  return { exercises: exercises ?? [], error, log: text, durationMs: Date.now() - started, ...captured };
}
