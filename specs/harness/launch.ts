/**
 * Starts a program as its own process group, in the sandbox (sandbox.ts) when the machine has one,
 * captures its output within bounds, and kills the whole group (with the sandbox, every descendant)
 * when asked, when the check ends, or when the test process exits. A program that floods its
 * output is killed once it has printed OUTPUT_LIMIT bytes: reading more would only cost time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { describeExit, fromJailStatus, limitIn } from './exit-reasons';
import { BoundedOutput, lastLines } from './output';
import { findNamespaceInit, waitForNamespaceEnd } from './namespace-init';
import { ProcessTree } from './process-tree';
import { isJail, jail, MIB, type SandboxMode } from './sandbox';
import { currentTimeline } from './timeline';

/** Output (stdout and stderr together) past which a program is killed as a flood. */
export const OUTPUT_LIMIT = 32 * MIB;
/**
 * A wait on the program's own clock ends at this many times its length in wall time, however busy
 * the machine (a program that gets less than a tenth of a CPU is not judged: that is a grading error).
 */
export const OWN_CLOCK_WALL_CAP = 10;
/** Why a program still running when its check ended was killed: the end of a server's check, not a fault. */
export const CHECK_OVER = 'the check was over, so the grader stopped it';
const OWN_CLOCK_SAMPLE_MS = 100;
/** Killing a jail waits this long at most for the kernel to end every process in it (hundreds, on a busy machine). */
const JAIL_END_LIMIT_MS = 30_000;

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface LaunchOptions {
  command: string;
  args: string[];
  cwd: string;
  env?: Record<string, string>;
  /** What to call the program in messages, e.g. "udp-client.py". */
  label: string;
}

const running = new Set<Launched>();

export class Launched {
  readonly stdout = new BoundedOutput();
  readonly stderr = new BoundedOutput();
  /** Interleaved stdout and stderr, for "the last lines the program printed". */
  readonly transcript = new BoundedOutput(16 * 1024, 16 * 1024);
  readonly exited: Promise<ExitInfo>;
  exit: ExitInfo | undefined;
  readonly startedAt = Date.now();
  /** How the program is contained: 'root'/'userns' jail, 'rlimits' only, or 'off'. */
  readonly sandbox: SandboxMode;
  private readonly child: ChildProcess;
  private spawnError: Error | undefined;
  private tree: ProcessTree | undefined | null = null;
  private printed = 0;
  /** Set when the grader kills the program while it runs. */
  private killed: { reason?: string; afterMs: number } | undefined;
  private readonly timeline = currentTimeline();

  constructor(readonly options: LaunchOptions) {
    const jailed = jail({
      command: options.command,
      args: options.args,
      cwd: options.cwd,
      inherited: process.env,
      env: { PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1', ...options.env },
    });
    this.sandbox = jailed.mode;
    this.child = spawn(jailed.command, jailed.args, {
      cwd: options.cwd,
      env: jailed.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    running.add(this);
    countStart(options.command);
    this.timeline?.add({ kind: 'start', from: 'program', text: `started: ${this.commandLine}` });
    this.child.stdout!.on('data', (chunk: Buffer) => this.receive(chunk, this.stdout));
    this.child.stderr!.on('data', (chunk: Buffer) => this.receive(chunk, this.stderr));
    this.exited = new Promise((resolve) => {
      this.child.once('error', (error) => {
        this.spawnError = error;
        this.exit = { code: 127, signal: null };
        resolve(this.exit);
      });
      // 'close' waits for the pipes too, so the output is complete when it fires; a grandchild
      // still holding the pipes keeps it from firing, which is why kill() takes the whole group.
      this.child.once('close', (code, signal) => {
        this.exit ??= isJail(this.sandbox) ? fromJailStatus(code, signal) : { code, signal };
        this.timeline?.add({ kind: this.killed?.reason === CHECK_OVER ? 'stopped' : 'exit', from: 'program', text: this.describeExit() });
        resolve(this.exit);
      });
    });
    this.exited.then(() => running.delete(this));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The command as a shell would need it typed, to rerun it by hand. */
  get commandLine(): string {
    const quote = (arg: string) => (arg === '' || /[^\w@%+=:,./-]/.test(arg) ? `'${arg.replace(/'/g, `'\\''`)}'` : arg);
    return [this.options.command, ...this.options.args].map(quote).join(' ');
  }

  /** Its process tree in /proc (undefined where there is none to read: then its own clock is the wall clock). */
  processTree(): ProcessTree | undefined {
    if (this.tree === null) this.tree = ProcessTree.of(this.pid);
    return this.tree;
  }

  /**
   * How long it has run on its own clock: wall time since it started minus the time it spent
   * waiting for a CPU that other processes held. On a busy machine this grows slower than the wall
   * clock, so a wait measured on it does not turn the machine's load into the program's fault.
   */
  ownMs(waitedMs = this.processTree()?.sample().waitedMs ?? 0): number {
    const wall = Date.now() - this.startedAt;
    return wall - Math.min(wall, waitedMs);
  }

  /**
   * Resolves with the exit, or with undefined if the program is still running after `ms` of wall
   * time or, on the 'own' clock, after `ms` of its own clock (see ownMs) but at most `wallCapMs`
   * of wall time.
   */
  async waitForExit(ms: number, clock: 'wall' | 'own' = 'wall', wallCapMs = OWN_CLOCK_WALL_CAP * ms): Promise<ExitInfo | undefined> {
    if (clock === 'own' && this.processTree()) {
      const [ownStart, wallEnd] = [this.ownMs(), Date.now() + wallCapMs];
      for (let left = ms; left > 0 && Date.now() < wallEnd; left = ms - (this.ownMs() - ownStart)) {
        // Its own clock runs at most as fast as the wall clock: it cannot pass `left` sooner. Sampled
        // at least every OWN_CLOCK_SAMPLE_MS, so that the short-lived processes of its start are seen.
        const exit = await this.waitForExit(Math.max(10, Math.min(left, OWN_CLOCK_SAMPLE_MS, wallEnd - Date.now())));
        if (exit) return exit;
      }
      // A grader held back wakes to its timer before the events that came meanwhile (the program's
      // exit among them): they are handled first, so an exit that came in time is never read as late.
      for (let turn = 0; turn < 3 && !this.exit; turn++) await new Promise((resolve) => setImmediate(resolve));
      return this.exit;
    }
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
    try {
      return await Promise.race([this.exited, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * SIGKILL to the whole process group; resolves once the program is gone. `reason` says why in
   * describeExit() ("still running after 10 s" when not given).
   */
  async kill(reason?: string): Promise<ExitInfo> {
    if (!this.exit) this.killed ??= { reason, afterMs: Date.now() - this.startedAt };
    // Found before the jail's outer process dies: afterwards it is no longer its child.
    const init = isJail(this.sandbox) && this.pid !== undefined ? findNamespaceInit(this.pid) : undefined;
    this.killGroup();
    // Reaping should be immediate; if a descendant keeps the pipes open, stop waiting for them.
    const exit = await this.waitForExit(2000);
    if (!exit) {
      this.child.stdout?.destroy();
      this.child.stderr?.destroy();
    }
    if (init) await waitForNamespaceEnd(init, JAIL_END_LIMIT_MS);
    return this.exit ?? (await this.exited);
  }

  killGroup(): void {
    const pid = this.child.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // The group is already gone.
    }
  }

  /** How it ended and why, e.g. "was killed: exceeded 512 MiB of memory", "exited with code 1". */
  describeExit(): string {
    return describeExit({
      exit: this.exit,
      spawnError: this.spawnError,
      killed: this.killed,
      printedBytes: this.printed,
      truncated: this.stdout.cutBytes + this.stderr.cutBytes > 0,
      transcript: this.transcript.toString(),
      limited: this.sandbox !== 'off',
    });
  }

  /** The sandbox limit its output shows it hit (e.g. "reached the limit of 256 processes and threads"), while it runs too. */
  limitReached(): string | undefined {
    return this.sandbox === 'off' ? undefined : limitIn(this.transcript.toString());
  }

  /** Output past OUTPUT_LIMIT is ignored, and the program killed as a flood. */
  private receive(chunk: Buffer, stream: BoundedOutput): void {
    if (this.printed >= OUTPUT_LIMIT) return;
    this.printed += chunk.length;
    stream.push(chunk);
    this.transcript.push(chunk);
    if (this.printed >= OUTPUT_LIMIT) void this.kill(`printed more than ${OUTPUT_LIMIT / MIB} MiB (output flood)`);
  }

  /** The last lines the program printed, indented and each cut to `width` characters, for failure messages. */
  tail(lines = 12, width = 300): string {
    const text = this.transcript.toString();
    if (text.trim() === '') return `  (${this.options.label} printed nothing)`;
    const cut = (line: string) => (line.length > width ? `${line.slice(0, width)} [... ${line.length - width} more characters]` : line);
    return lastLines(text, lines).map((line) => `  | ${cut(line)}`).join('\n');
  }
}

/** For `npm run bench`: each start is a line in the file GRADER_COUNT_STARTS names, when set. */
function countStart(command: string): void {
  const file = process.env.GRADER_COUNT_STARTS;
  if (file) appendFileSync(file, `${path.basename(command)}\n`);
}

/** The programs this process started that are still running. */
export function runningPrograms(): Launched[] {
  return [...running];
}

export function launch(options: LaunchOptions): Launched {
  return new Launched(options);
}

export async function killAll(): Promise<void> {
  await Promise.all([...running].map((program) => program.kill()));
}

process.once('exit', () => {
  for (const program of running) program.killGroup();
});
