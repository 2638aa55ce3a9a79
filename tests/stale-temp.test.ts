/**
 * The temporary folders of a run killed outright (SIGKILL) are removed by the next run, and only
 * those: never a live run's, never through a link, never another user's, never one without a marker.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { detectIsolation } from '../grader/isolation';
import { OWNER_MARKER, removeStaleTempFolders, runTempFolder } from '../specs/harness/run-temp';
import { GRADING_STEP_LIMIT_MS } from './helpers/limits';

const REPO = path.resolve(__dirname, '..');

// Starting node processes that load the harness takes seconds on a busy machine.
jest.setTimeout(GRADING_STEP_LIMIT_MS);

/** A private temporary folder for the runs of this test, so that nothing else's folders are in play. */
let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'stale-temp-test-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/**
 * A run as grade.ts makes one: its entry point calls beginRun() and makes a folder, and a process it
 * starts (in the submission's namespaces, as grade.ts starts jest, with "isolated") makes another;
 * each prints {pid, pidns, dir} and stays until killed.
 */
const RUN_SCRIPT = `
require(${JSON.stringify(path.join(REPO, 'node_modules', 'esbuild-register', 'dist', 'node'))}).register();
const { beginRun, runTempFolder } = require(${JSON.stringify(path.join(REPO, 'specs', 'harness', 'run-temp'))});
const { spawn } = require('node:child_process');
const { readlinkSync } = require('node:fs');
const say = (dir) => console.log(JSON.stringify({ pid: process.pid, pidns: readlinkSync('/proc/self/ns/pid'), dir }));
if (process.argv[2] === 'child') {
  say(runTempFolder('grader-'));
} else {
  beginRun();
  say(runTempFolder('grade-submission-'));
  const child = process.argv[2] === 'isolated'
    ? require(${JSON.stringify(path.join(REPO, 'grader', 'isolation'))}).detectIsolation().wrap(process.execPath, [__filename, 'child'])
    : { command: process.execPath, args: [__filename, 'child'] };
  spawn(child.command, child.args, { stdio: ['ignore', 'inherit', 'inherit'] });
}
setInterval(() => undefined, 60_000);
`;

interface Run {
  process: ChildProcess;
  made: { pid: number; pidns: string; dir: string }[];
}

/** Runs started by a test, killed (with their process groups) after it. */
const runs: Run[] = [];

async function startRun(script: string, mode?: 'isolated'): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: root };
  delete env.GRADER_TEMP_OWNER;
  const child = spawn(process.execPath, [script, ...(mode ? [mode] : [])], { env, detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
  const run: Run = { process: child, made: [] };
  runs.push(run);
  let text = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the run printed only: ${text}`)), GRADING_STEP_LIMIT_MS / 2);
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const lines = text.split('\n').slice(0, -1);
      if (lines.length < 2) return;
      clearTimeout(timer);
      run.made = lines.map((line) => JSON.parse(line));
      resolve();
    });
  });
  return run;
}

const OUR_PIDNS = readlinkSync('/proc/self/ns/pid');
const gone = (pid: number) => !existsSync(`/proc/${pid}`) || /\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
/** Its processes this one can look up (one in the run's own PID namespace dies with the run). */
const ended = (run: Run) => run.made.every(({ pid, pidns }) => pidns !== OUR_PIDNS || gone(pid));

async function killRun(run: Run): Promise<void> {
  try {
    process.kill(-run.process.pid!, 'SIGKILL');
  } catch {
    return; // gone already
  }
  const deadline = Date.now() + 5000;
  while (!ended(run) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
}

describe('runs killed outright', () => {
  afterEach(async () => {
    for (const run of runs.splice(0)) await killRun(run);
  });

  test("the next run removes a killed run's folders, its children's too, and not those of a run still going", async () => {
    const script = path.join(root, 'run.js');
    writeFileSync(script, RUN_SCRIPT);
    const [killed, live] = await Promise.all([startRun(script), startRun(script)]);
    const folders = (run: Run) => run.made.map(({ dir }) => dir).sort();
    for (const dir of [...folders(killed), ...folders(live)]) expect(existsSync(path.join(dir, OWNER_MARKER))).toBe(true);

    await killRun(killed);
    expect(ended(killed)).toBe(true);
    expect(removeStaleTempFolders(root).sort()).toEqual(folders(killed));
    for (const dir of folders(live)) expect(existsSync(dir)).toBe(true);

    await killRun(live);
    expect(removeStaleTempFolders(root).sort()).toEqual(folders(live));
  });

  // Registered only where grading isolates submissions (the selftest counts a skipped test as a failure).
  if (detectIsolation().active) {
    test("a folder made inside the run's PID namespace (a jest child's) is the run's, and goes with it", async () => {
      const script = path.join(root, 'run.js');
      writeFileSync(script, RUN_SCRIPT);
      const killed = await startRun(script, 'isolated');
      expect(killed.made.filter(({ pidns }) => pidns !== OUR_PIDNS)).toHaveLength(1);
      expect(removeStaleTempFolders(root)).toEqual([]);
      await killRun(killed);
      expect(removeStaleTempFolders(root).sort()).toEqual(killed.made.map(({ dir }) => dir).sort());
    });
  }
});

describe('what is never removed, and a reused pid', () => {
  type Owner = { pid: number; start: number; boot: string; pidns: string };
  /** A folder in the test's temporary folder, with a marker naming `owners`. */
  const folder = (name: string, owners: Owner[]) => {
    const dir = path.join(root, name);
    mkdirSync(dir);
    writeFileSync(path.join(dir, OWNER_MARKER), JSON.stringify(owners));
    writeFileSync(path.join(dir, 'data'), 'x');
    return dir;
  };
  let me: Owner;
  beforeEach(() => {
    // This process, as runTempFolder records it (the last owner of a folder it makes).
    const made = runTempFolder('grade-test-');
    me = (JSON.parse(readFileSync(path.join(made, OWNER_MARKER), 'utf8')) as Owner[]).at(-1)!;
    rmSync(made, { recursive: true, force: true });
  });

  test('a live owner keeps a folder; its pid with another start time, or another boot, does not', () => {
    const alive = folder('grade-submission-alive', [me]);
    const reused = folder('grade-submission-reused', [{ ...me, start: me.start - 1 }]);
    const rebooted = folder('grader-rebooted', [{ ...me, boot: 'another-boot' }]);
    const oneAlive = folder('socket-grader-jail-mixed', [{ ...me, start: me.start - 1 }, me]);
    expect(removeStaleTempFolders(root).sort()).toEqual([reused, rebooted]);
    expect(existsSync(alive) && existsSync(oneAlive)).toBe(true);
  });

  test('an owner in another PID namespace (pids this process cannot look up) keeps a folder', () => {
    const elsewhere = folder('grade-results-elsewhere', [{ ...me, start: me.start - 1, pidns: 'pid:[1]' }]);
    expect(removeStaleTempFolders(root)).toEqual([]);
    expect(existsSync(elsewhere)).toBe(true);
  });

  test('neither a folder without a marker, nor a link, nor a folder named otherwise, nor a marker that is a link', () => {
    const dead = [{ ...me, start: me.start - 1 }];
    const unmarked = path.join(root, 'grade-submission-unmarked');
    mkdirSync(unmarked);
    const target = folder('kept-target', dead);
    symlinkSync(target, path.join(root, 'grade-submission-link'));
    const other = folder('other-prefix', dead);
    const linkedMarker = path.join(root, 'grader-linked-marker');
    mkdirSync(linkedMarker);
    symlinkSync(path.join(target, OWNER_MARKER), path.join(linkedMarker, OWNER_MARKER));
    expect(removeStaleTempFolders(root)).toEqual([]);
    for (const dir of [unmarked, target, other, linkedMarker]) expect(existsSync(dir)).toBe(true);
    expect(existsSync(path.join(target, 'data'))).toBe(true);
  });

  // Only root can give a folder away (registered only then: the selftest counts a skipped test as a failure).
  if (process.getuid?.() === 0) test("another user's folder, even with a marker of ours", () => {
    const theirs = folder('grade-submission-theirs', [{ ...me, start: me.start - 1 }]);
    chownSync(theirs, 65534, 65534);
    expect(removeStaleTempFolders(root)).toEqual([]);
    expect(existsSync(theirs)).toBe(true);
  });

  test('a link inside a stale folder is removed, not followed', () => {
    const outside = path.join(root, 'outside');
    mkdirSync(outside);
    writeFileSync(path.join(outside, 'precious'), 'x');
    const stale = folder('grade-submission-stale', [{ ...me, start: me.start - 1 }]);
    symlinkSync(outside, path.join(stale, 'link'));
    expect(removeStaleTempFolders(root)).toEqual([stale]);
    expect(readFileSync(path.join(outside, 'precious'), 'utf8')).toBe('x');
  });
});
