/**
 * The spec DSL: `exercise(id, ...)` registers an exercise's checks as jest tests named with
 * titles.ts, and gives each check a `CheckRun` that starts the student's program, waits for it, and
 * cleans up (programs killed with their process group, sockets closed) whatever the check did.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import getPort from 'get-port';
import pRetry from 'p-retry';
import { onCleanup, runCleanups } from './cleanup';
import { CheckFailure } from './expect';
import { launch, type ExitInfo, type Launched } from './launch';
import { findProgram, type FoundProgram } from './program';
import { NotReadyError, waitForListener, describeListener } from './ready';
import { checkTitle, skippedTitle, type CheckMeta } from './titles';

export { type CheckMeta } from './titles';

export interface Check extends CheckMeta {
  /** Jest's limit for the whole check; the check's own waits should end well before it. */
  timeoutMs?: number;
  /** Set when this machine cannot run the check (no AF_UNIX, no namespaces): it is skipped, saying why. */
  skip?: string;
}

export interface ServerHandle {
  host: string;
  port: number;
  program: Launched;
  /** "TCP 127.0.0.1:23456", for messages. */
  where: string;
}

export interface StartOptions {
  env?: Record<string, string>;
  wrap?: (command: string, args: string[]) => { command: string; args: string[] };
}

export interface RunResult {
  exit: ExitInfo | undefined;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  ms: number;
  program: Launched;
}

/** Ports outside Linux's ephemeral range (32768-60999), so they never collide with clients' ports. */
const PORT_RANGE = [20000, 32767] as const;

export function hiddenChecksEnabled(): boolean {
  const fromGlobal = (globalThis as { GRADER_HIDDEN?: boolean }).GRADER_HIDDEN;
  return fromGlobal ?? process.env.GRADER_HIDDEN === '1';
}

export function exercise(id: string, define: (checks: { check: (meta: Check, body: (t: CheckRun) => Promise<void>) => void }) => void): void {
  const program = findProgram(id);
  describe(id, () => {
    afterEach(async () => {
      await runCleanups();
    });
    define({
      check(meta, body) {
        if (meta.hidden && !hiddenChecksEnabled()) return;
        const title = checkTitle(meta);
        if (!program.attempted) {
          test.skip(skippedTitle(meta, 'not attempted', program.reason), () => undefined);
          return;
        }
        if (meta.skip) {
          test.skip(skippedTitle(meta, 'skipped', meta.skip), () => undefined);
          return;
        }
        test(title, () => runCheck(new CheckRun(program, meta), body), meta.timeoutMs ?? 20_000);
      },
    });
  });
}

async function runCheck(run: CheckRun, body: (t: CheckRun) => Promise<void>): Promise<void> {
  if (run.program.buildError) throw new CheckFailure(`${run.program.source} could not be built.\n${run.program.buildError}`);
  try {
    await body(run);
  } catch (error) {
    throw explain(error, run);
  }
}

/** Adds what the student's programs printed to a failure, and turns harness errors into CheckFailures. */
function explain(error: unknown, run: CheckRun): Error {
  if (error instanceof NotReadyError) return new CheckFailure(error.message);
  const message = error instanceof CheckFailure ? error.message : `The check could not complete: ${(error as Error)?.message ?? error}`;
  // Checks that run a tool many times (netutil) already quote each run: show the last few only.
  const shown = run.launched.slice(-3);
  const programs = shown.map(
    (p) => `${p.options.label} (started as: ${p.commandLine}) ${p.describeExit()}; what it printed:\n${p.tail()}`,
  );
  if (run.launched.length > shown.length) programs.unshift(`(${run.launched.length - shown.length} earlier runs of the program not shown)`);
  return new CheckFailure([message, ...programs].join('\n'));
}

export class CheckRun {
  readonly launched: Launched[] = [];

  constructor(
    readonly program: FoundProgram,
    readonly meta: Check,
  ) {}

  /**
   * Starts the student's program with these arguments appended; killed when the check ends.
   * `wrap` puts a launcher in front of it (e.g. `unshare ... --` to give it its own /etc/hosts).
   */
  start(args: string[], options: StartOptions = {}): Launched {
    const { command, args: fullArgs } = (options.wrap ?? ((c, a) => ({ command: c, args: a })))(this.program.command, [...this.program.args, ...args]);
    const started = launch({
      command,
      args: fullArgs,
      cwd: this.program.cwd,
      env: options.env,
      label: this.program.source,
    });
    this.launched.push(started);
    onCleanup(() => started.kill());
    return started;
  }

  /** Runs the program to its end (clients, command-line tools); killed at `timeoutMs`. */
  async run(args: string[], timeoutMs = 10_000, options: StartOptions = {}): Promise<RunResult> {
    const program = this.start(args, options);
    const exit = await program.waitForExit(timeoutMs);
    if (!exit) await program.kill();
    return {
      exit,
      timedOut: !exit,
      stdout: program.stdout.toString(),
      stderr: program.stderr.toString(),
      ms: Date.now() - program.startedAt,
      program,
    };
  }

  /** A free port chosen at random from a range no client's ephemeral port comes from. */
  freePort(): Promise<number> {
    const [low, high] = PORT_RANGE;
    const candidates = Array.from({ length: 20 }, () => low + Math.floor(Math.random() * (high - low + 1)));
    return getPort({ port: candidates });
  }

  /**
   * Starts the program as a server (`HOST PORT`) on a free port and waits until it listens. A start
   * lost to a port taken in the meantime by another process is retried on a new port.
   */
  async startServer(protocol: 'tcp' | 'udp', host = '127.0.0.1', readyTimeoutMs = 5000): Promise<ServerHandle> {
    return pRetry(
      async () => {
        const port = await this.freePort();
        const program = this.start([host, String(port)]);
        await waitForListener(program, { protocol, host, port }, readyTimeoutMs);
        return { host, port, program, where: describeListener({ protocol, host, port }) };
      },
      { retries: 2, minTimeout: 0, shouldRetry: ({ error }) => lostPortRace(error, this.launched.at(-1)) },
    );
  }

  /** Starts the program as a Unix-socket server at a fresh path (or `socketPath`) and waits until it listens. */
  async startUnixServer(socketPath = path.join(this.tempDir(), 'server.sock'), readyTimeoutMs = 5000): Promise<{ path: string; program: Launched; where: string }> {
    const program = this.start([socketPath]);
    await waitForListener(program, { protocol: 'unix', path: socketPath }, readyTimeoutMs);
    return { path: socketPath, program, where: describeListener({ protocol: 'unix', path: socketPath }) };
  }

  /** A temporary folder removed when the check ends. */
  tempDir(): string {
    const dir = mkdtempSync(path.join(tmpdir(), 'grader-'));
    onCleanup(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }
}

function lostPortRace(error: unknown, program: Launched | undefined): boolean {
  return error instanceof NotReadyError && program?.exit !== undefined && /address already in use|EADDRINUSE|errno 98/i.test(program.transcript.toString());
}
