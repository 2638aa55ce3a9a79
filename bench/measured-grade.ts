/**
 * What the benchmarks share: `npm run grade` run as a measured child (wall time, and the CPU time of
 * its whole process tree), CPU-burning processes beside it, and the process groups of both killed
 * whatever happens (an exception, Ctrl-C).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../specs/harness/repo';

const TSX_CLI = path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
/** Processes still running this long after grade exited are reported, and no longer waited for. */
const ORPHAN_WAIT_SEC = 30;

/**
 * A waited-for child's CPU time reaches its parent's cutime/cstime only when the parent reaps it.
 * Grading runs each submission in bubblewrap PID namespaces whose inner processes outlive the bwrap
 * that started them: orphaned, they would be reaped by init and their CPU time lost. This wrapper makes
 * itself their subreaper (prctl PR_SET_CHILD_SUBREAPER), runs grade, reaps every orphan, and exits with
 * grade's code; so /proc/self/stat of this process sees the whole tree's CPU time once it is reaped.
 */
const SUBREAPER = `
import ctypes, os, signal, sys
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)
# The bench forwards SIGINT/SIGTERM to the group; grade handles them, this wrapper waits for it.
for s in (signal.SIGINT, signal.SIGTERM): signal.signal(s, signal.SIG_IGN)
pid = os.fork()
if pid == 0:
    for s in (signal.SIGINT, signal.SIGTERM): signal.signal(s, signal.SIG_DFL)
    os.execv(sys.argv[1], sys.argv[1:])
_, status = os.waitpid(pid, 0)
code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)
def give_up(*_):
    sys.stderr.write('bench: processes started by grade still running ${ORPHAN_WAIT_SEC} s after it exited; their CPU time is not counted\\n')
    os._exit(code)
signal.signal(signal.SIGALRM, give_up)
signal.alarm(${ORPHAN_WAIT_SEC})
while True:
    try: os.wait()
    except ChildProcessError: break
sys.exit(code)
`;


// Process groups started here (grade runs and burners), killed whatever happens.
const graders = new Set<number>();
const burners = new Map<number, ChildProcess>();
let stopping = false;

/** Ctrl-C (or SIGTERM) was pressed: stop starting new runs. */
export function interrupted(): boolean {
  return stopping;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

process.on('exit', () => {
  for (const pid of [...graders, ...burners.keys()]) signalGroup(pid, 'SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(130);
    stopping = true;
    process.stderr.write('\ninterrupted: stopping grade (it cleans up its submissions) and the burners; again to quit at once\n');
    for (const pid of graders) signalGroup(pid, 'SIGTERM');
    for (const pid of burners.keys()) signalGroup(pid, 'SIGKILL');
  });
}

const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100;

/** CPU time (user + system) of this process's reaped children (and of theirs that they reaped), in ms. */
export function reapedChildrenCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields[0] is field 3 (state)
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / CLOCK_TICKS; // cutime, cstime
}

export function startBurners(count: number): void {
  for (let i = 0; i < count; i++) {
    const child = spawn('sh', ['-c', 'while :; do :; done'], { detached: true, stdio: 'ignore' });
    if (child.pid) burners.set(child.pid, child);
  }
}

export function burnersRunning(): boolean {
  return burners.size > 0;
}

export async function stopBurners(): Promise<void> {
  const exits = [...burners].map(([pid, child]) => {
    const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', resolve));
    signalGroup(pid, 'SIGKILL');
    return exited;
  });
  await Promise.all(exits);
  burners.clear();
}

export interface GradeOutcome {
  code: number;
  wallMs: number;
  cpuMs: number;
  stdout: string;
  stderr: string;
  /** When (ms after the start) each progress line with an ETA was printed, and that line. */
  etaLines: { ms: number; line: string }[];
}

/**
 * Runs grade.ts under the subreaper in a process group of its own; the output is kept bounded. `root`:
 * the checkout whose grade.ts runs (bench/compare.ts grades with an older one too).
 */
export function runGrade(args: string[], env: NodeJS.ProcessEnv = process.env, root = REPO_ROOT): Promise<GradeOutcome> {
  return new Promise((resolve, reject) => {
    const cpuBefore = reapedChildrenCpuMs();
    const started = performance.now();
    const child = spawn('python3', ['-c', SUBREAPER, process.execPath, TSX_CLI, 'grade.ts', ...args], {
      cwd: root,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (child.pid) graders.add(child.pid);
    let stdout = '';
    let stderr = '';
    const etaLines: GradeOutcome['etaLines'] = [];
    child.stdout.on('data', (chunk: Buffer) => {
      const ms = performance.now() - started;
      for (const line of chunk.toString().split('\n')) if (line.includes('ETA')) etaLines.push({ ms, line });
      stdout = (stdout + chunk.toString()).slice(-64_000);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-64_000)));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (child.pid) graders.delete(child.pid);
      resolve({ code: code ?? 128, wallMs: performance.now() - started, cpuMs: reapedChildrenCpuMs() - cpuBefore, stdout, stderr: signal ? `${stderr}killed by ${signal}\n` : stderr, etaLines });
    });
  });
}

