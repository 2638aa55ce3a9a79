/**
 * Starts a program as its own process group, in the sandbox (sandbox.ts) when the machine has one,
 * captures its output within bounds, and kills the whole group (with the sandbox, every descendant)
 * when asked, when the check ends, or when the test process exits. A program that floods its
 * output is killed once it has printed OUTPUT_LIMIT bytes: reading more would only cost time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { describeExit, fromJailStatus } from './exit-reasons';
import { BoundedOutput, lastLines } from './output';
import { isJail, jail, MIB, type SandboxMode } from './sandbox';

/** Output (stdout and stderr together) past which a program is killed as a flood. */
export const OUTPUT_LIMIT = 32 * MIB;

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
  stdin?: 'ignore' | 'pipe';
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
  private printed = 0;
  /** Set when the grader kills the program while it runs. */
  private killed: { reason?: string; afterMs: number } | undefined;

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
      stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'],
      detached: true,
    });
    running.add(this);
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

  get stdin() {
    return this.child.stdin;
  }

  /** Resolves with the exit, or with undefined if the program is still running after `ms`. */
  async waitForExit(ms: number): Promise<ExitInfo | undefined> {
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
    this.killGroup();
    // Reaping should be immediate; if a descendant keeps the pipes open, stop waiting for them.
    const exit = await this.waitForExit(2000);
    if (!exit) {
      this.child.stdout?.destroy();
      this.child.stderr?.destroy();
    }
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

export function launch(options: LaunchOptions): Launched {
  return new Launched(options);
}

export async function killAll(): Promise<void> {
  await Promise.all([...running].map((program) => program.kill()));
}

process.once('exit', () => {
  for (const program of running) program.killGroup();
});
