/**
 * Grades one hostile fixture (fixtures/hostile/) through the real path: a jest child process on the
 * udp-upper-server spec with GRADER_TARGET pointing at a folder holding the fixture as
 * udp-upper-server.py/.js, optionally wrapped like a submission by grader/isolation.ts. Every process
 * it starts carries a marker; whatever still carries it (or the fixture's token) afterwards is a
 * leftover, reported and then killed so the machine stays clean.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { baseProject } from '../jest.config';
import { detectIsolation } from '../grader/isolation';
import { sandboxSupport, workingJails, type JailBackend } from '../specs/harness/sandbox';
import { BoundedOutput } from '../specs/harness/output';

export const REPO = path.resolve(__dirname, '..');
const FIXTURES = path.join(REPO, 'fixtures', 'hostile');
const JEST = path.join(REPO, 'node_modules', 'jest', 'bin', 'jest.js');
const EXERCISE = 'udp-upper-server';
/**
 * A jest run still going after this long hangs: it is killed, and the test fails on 'did not run'.
 * Past jest's own limit for the check (exercise.ts) plus a slow boot on a busy 2-core machine; how
 * long the check itself took is judged on jest's own record of it (Graded.checkMs).
 */
export const RUN_DEADLINE_MS = 240_000;

export interface GradeOptions {
  /** Orders for the fixture (hostile.json), besides the token and the repository path it always gets. */
  orders?: Record<string, unknown>;
  /** Run the jest child the way grade.ts does: in the submission's own namespaces. */
  wrapped?: boolean;
  /** The jail backend to grade with (GRADER_SANDBOX), for the programs and, when wrapped, the submission. */
  backend?: JailBackend;
  /** The check to run (its id); one check keeps each run short. */
  check?: string;
  env?: Record<string, string>;
  /** Runs while the grading runs (e.g. to watch it, or to let the fixture go on). */
  during?: (run: { target: string; marker: string }) => Promise<void>;
}

export interface Graded {
  status: 'passed' | 'failed' | 'did not run';
  /** The check's failure message (the student's feedback). */
  message: string;
  /** Wall time of the whole jest run, boot included. */
  ms: number;
  /** How long the check itself ran, as jest recorded it (undefined when it did not run). */
  checkMs: number | undefined;
  /** The run outlived RUN_DEADLINE_MS and was killed. */
  hung: boolean;
  /** Processes still alive afterwards that this run started (`pid cmdline`). */
  leftovers: string[];
  /** The files in the submission folder afterwards. */
  targetFiles: string[];
  token: string;
  /** jest's own output (bounded), for diagnosing a failed assertion. */
  log: string;
}

let configFile: string | undefined;

/** A jest config for the children: the project's transform, only the exercise's spec, no reporters; a fixed id (see selftest.ts). */
function childConfig(): string {
  if (!configFile) {
    const dir = mkdtempSync(path.join(tmpdir(), 'hostile-config-'));
    configFile = path.join(dir, 'jest.config.json');
    writeFileSync(configFile, JSON.stringify({ ...baseProject, id: 'hostile-grading', rootDir: REPO, testMatch: [`<rootDir>/specs/${EXERCISE}.spec.ts`], reporters: [] }));
  }
  return configFile;
}

export function removeChildConfig(): void {
  if (configFile) rmSync(path.dirname(configFile), { recursive: true, force: true });
  configFile = undefined;
}

export async function gradeHostile(fixture: string, options: GradeOptions = {}): Promise<Graded> {
  const token = `hostile-${randomUUID()}`;
  const marker = randomUUID();
  const target = mkdtempSync(path.join(tmpdir(), 'hostile-target-'));
  const work = mkdtempSync(path.join(tmpdir(), 'hostile-run-'));
  const ext = path.extname(fixture);
  copyFileSync(path.join(FIXTURES, fixture), path.join(target, EXERCISE + ext));
  copyFileSync(path.join(FIXTURES, 'lib', `hostile${ext}`), path.join(target, `hostile${ext}`));
  writeFileSync(path.join(target, 'hostile.json'), JSON.stringify({ token, repo: REPO, ...options.orders }));

  const out = path.join(work, 'result.json');
  const jestArgs = [JEST, '--config', childConfig(), '--ci', '--runInBand', '--json', '--outputFile', out, '--testNamePattern', `\\[${options.check ?? 'uppercase'},`];
  const isolation = options.backend ? workingJails().find((found) => found.backend === options.backend) : sandboxSupport();
  const { command, args } = options.wrapped ? detectIsolation(isolation).wrap(process.execPath, jestArgs) : { command: process.execPath, args: jestArgs };
  const log = new BoundedOutput(16 * 1024, 16 * 1024);
  const started = Date.now();
  const child = spawn(command, args, {
    cwd: REPO,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, GRADER_TARGET: target, GRADER_RUN_ID: marker, ...(options.backend ? { GRADER_SANDBOX: options.backend } : {}), ...options.env },
  });
  child.stdout.on('data', (chunk: Buffer) => log.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => log.push(chunk));
  const ended = new Promise<void>((resolve) => child.once('close', () => resolve()));
  let hung = false;
  const deadline = setTimeout(() => {
    hung = true;
    killGroup(child.pid);
  }, RUN_DEADLINE_MS);
  try {
    await Promise.all([ended, options.during?.({ target, marker })]);
  } finally {
    clearTimeout(deadline);
  }
  const ms = Date.now() - started;

  const leftovers = findProcesses(marker, token);
  for (const line of leftovers) killPid(Number(line.split(' ')[0]));
  const result = readResult(out, options.check ?? 'uppercase');
  const targetFiles = readdirSync(target).sort();
  rmSync(target, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
  return { ...result, ms, hung, leftovers, targetFiles, token, log: log.toString() };
}

function readResult(file: string, check: string): Pick<Graded, 'status' | 'message' | 'checkMs'> {
  let parsed: { testResults?: { assertionResults?: { title: string; status: string; duration?: number | null; failureMessages: string[] }[] }[] };
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return { status: 'did not run', message: 'jest wrote no results', checkMs: undefined };
  }
  const found = parsed.testResults?.flatMap((r) => r.assertionResults ?? []).find((a) => a.title.includes(`[${check},`));
  if (!found || (found.status !== 'passed' && found.status !== 'failed')) return { status: 'did not run', message: `check ${check}: ${found?.status ?? 'absent'}`, checkMs: undefined };
  return { status: found.status, message: found.failureMessages.join('\n').replace(/\x1b\[[0-9;]*m/g, ''), checkMs: found.duration ?? undefined };
}

/** Every live process whose environment carries the run's marker or whose command line carries the token. */
export function findProcesses(marker: string, token: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid)) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0/g, ' ').trim();
      const environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
      if (cmdline === '') continue; // a zombie waiting to be reaped: it holds nothing
      if (environ.split('\0').includes(`GRADER_RUN_ID=${marker}`) || cmdline.includes(token)) found.push(`${pid} ${cmdline}`);
    } catch {
      continue; // gone meanwhile
    }
  }
  return found;
}

function killGroup(pid: number | undefined): void {
  try {
    if (pid) process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function killPid(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
