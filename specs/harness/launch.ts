/**
 * Starts a program as its own process group, captures its output within bounds, and kills the
 * whole group when asked, when the check ends, or when the test process exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { BoundedOutput, lastLines } from './output';

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
  private readonly child: ChildProcess;
  private spawnError: Error | undefined;

  constructor(readonly options: LaunchOptions) {
    this.child = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1', ...options.env },
      stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'],
      detached: true,
    });
    running.add(this);
    this.child.stdout!.on('data', (chunk: Buffer) => {
      this.stdout.push(chunk);
      this.transcript.push(chunk);
    });
    this.child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr.push(chunk);
      this.transcript.push(chunk);
    });
    this.exited = new Promise((resolve) => {
      this.child.once('error', (error) => {
        this.spawnError = error;
        this.exit = { code: 127, signal: null };
        resolve(this.exit);
      });
      // 'close' waits for the pipes too, so the output is complete when it fires; a grandchild
      // still holding the pipes keeps it from firing, which is why kill() takes the whole group.
      this.child.once('close', (code, signal) => {
        this.exit ??= { code, signal };
        resolve(this.exit);
      });
    });
    this.exited.then(() => running.delete(this));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get commandLine(): string {
    return [this.options.command, ...this.options.args].join(' ');
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

  /** SIGKILL to the whole process group; resolves once the program is gone. */
  async kill(): Promise<ExitInfo> {
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

  describeExit(): string {
    if (this.spawnError) return `could not be started: ${this.spawnError.message}`;
    if (!this.exit) return 'is still running';
    if (this.exit.signal) return `was killed by ${this.exit.signal}`;
    return `exited with code ${this.exit.code}`;
  }

  /** The last lines the program printed, indented, for failure messages. */
  tail(lines = 12): string {
    const text = this.transcript.toString();
    if (text.trim() === '') return `  (${this.options.label} printed nothing)`;
    return lastLines(text, lines).map((line) => `  | ${line}`).join('\n');
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
