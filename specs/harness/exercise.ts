/**
 * The spec DSL: `exercise(id, ...)` registers an exercise's checks as jest tests named with
 * titles.ts, and gives each check a `CheckRun` that starts the student's program, waits for it, and
 * cleans up (programs killed with their process group, sockets closed) whatever the check did.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import pRetry from 'p-retry';
import { onCleanup, runCleanups, withCleanups } from './cleanup';
import { CheckFailure } from './expect';
import { CheckGate } from './check-gate';
import { CheckScheduler } from './check-scheduler';
import { checksAtOnce } from './exercise-list';
import { heldBackMs } from './fair-timer';
import { GraderError } from './grader-error';
import { CHECK_OVER, launch, OWN_CLOCK_WALL_CAP, type ExitInfo, type Launched } from './launch';
import { findProgram, targetDir, type FoundProgram, type Program } from './program';
import { randomFreePort, CLOSED_PORTS, SERVER_PORTS } from './ports';
import { NotReadyError, portHeld, waitForListener, describeListener, type Listener } from './ready';
import { runTempFolder } from './run-temp';
import { currentTimeline, Timeline, withTimeline } from './timeline';
import { saveTimeline, traced } from './timeline-store';
import { checkTitle, LOAD_FAILURE_TITLE, notRunTitle, type CheckMeta } from './titles';

export { type CheckMeta } from './titles';

export interface Check extends CheckMeta {
  /** Jest's limit for the whole check; the check's own waits should end well before it. */
  timeoutMs?: number;
  /**
   * Set when this machine cannot run the check (no AF_UNIX, no namespaces): it is skipped, saying why.
   * A function is asked only when the check is registered to run, never when it is only declared.
   */
  skip?: string | (() => string | undefined);
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

/**
 * jest's limit for a check unless it sets its own. Every wait of a check is bounded well within it
 * (OWN_CLOCK_WALL_CAP times its length at most): reaching it means the grading could not keep time.
 */
const CHECK_TIME_LIMIT_MS = 60_000;
/** jest's limit for a check: both attempts (side by side, then alone) and the wait for the turn alone. */
export const checkJestLimitMs = (timeoutMs = CHECK_TIME_LIMIT_MS): number => 3 * timeoutMs;

export function hiddenChecksEnabled(): boolean {
  const fromGlobal = (globalThis as { GRADER_HIDDEN?: boolean }).GRADER_HIDDEN;
  return fromGlobal ?? process.env.GRADER_HIDDEN === '1';
}

/** While declarations are read (readDeclarations), exercise() records each exercise's checks instead of registering tests. */
let recording: Map<string, CheckMeta[]> | undefined;

/**
 * What the exercises that `load` defines declare: every check's id, title, points and visibility
 * (hidden ones included), in their order; no test is registered, nothing started. `load` requires the
 * spec files.
 */
export function recordDeclarations(load: () => void): Map<string, CheckMeta[]> {
  if (recording) throw new Error('recordDeclarations: already recording');
  recording = new Map();
  try {
    load();
    return recording;
  } finally {
    recording = undefined;
  }
}

export function exercise(id: string, define: (checks: { check: (meta: Check, body: (t: CheckRun) => Promise<void>) => void }) => void): void {
  if (recording) {
    const checks: CheckMeta[] = [];
    define({ check: (meta) => declare(checks, meta) });
    recording.set(id, checks);
    return;
  }
  const { program, unusable } = programOf(id);
  const gate = gateOf(id);
  const declared: CheckMeta[] = [];
  /** The final outcome of each check of this exercise that runs, by id, for the checks that require it. */
  const outcomes = new Map<string, Promise<void>>();
  describe(id, () => {
    afterEach(async () => {
      await runCleanups();
    });
    try {
      registerChecks();
    } catch (error) {
      // Told as the exercise's own failure to load, not a crash of the whole test file (which may hold other exercises).
      test(LOAD_FAILURE_TITLE, () => {
        throw error;
      });
    }
  });
  function registerChecks(): void {
    define({
      check(meta, body) {
        declare(declared, meta);
        if (meta.hidden && !hiddenChecksEnabled()) return;
        if (!program.attempted) {
          test.skip(notRunTitle(meta, 'not attempted', program.reason), () => undefined);
          return;
        }
        const skip = typeof meta.skip === 'function' ? meta.skip() : meta.skip;
        if (skip) {
          test.skip(notRunTitle(meta, 'skipped', skip), () => undefined);
          return;
        }
        const timeoutMs = meta.timeoutMs ?? CHECK_TIME_LIMIT_MS;
        const title = unusable ? notRunTitle(meta, 'cannot start', unusable) : checkTitle(meta);
        /** The last attempt's: the one whose outcome is the check's. */
        let timeline: Timeline | undefined;
        const attempt = (alone: boolean) => {
          const own = (timeline = new Timeline());
          return withTimeline(own, () => withCleanups(() => runCheck(new CheckRun(program, meta, alone), body, timeoutMs)));
        };
        // The checks of an exercise are independent (each starts its own program on its own port): they
        // run side by side, and a failure that running side by side may have caused is confirmed alone.
        const work = async () => {
          if (unusable) throw new CheckFailure(unusable);
          await requiredPassed(meta, declared, outcomes);
          try {
            await sideBySideThenAlone(gate, meta, attempt, (check) => outcomes.get(check));
            if (traced(id)) keepTimeline(id, meta.id, timeline);
          } catch (error) {
            if (error instanceof CheckFailure || traced(id)) keepTimeline(id, meta.id, timeline);
            throw error;
          }
        };
        const scheduled = scheduler.add(`${id} ${title}`, () => {
          const outcome = work();
          outcomes.set(meta.id, outcome);
          return outcome;
        });
        test(title, scheduled, checkJestLimitMs(timeoutMs));
      },
    });
  }
}

/**
 * Adds a check to an exercise's declared ones, or says why it cannot be: ids are unique, and a check
 * requires only checks declared before it (so a required check always starts first, and no cycle).
 */
function declare(declared: CheckMeta[], meta: CheckMeta): void {
  if (declared.some((c) => c.id === meta.id)) throw new Error(`the check id "${meta.id}" is declared twice`);
  for (const required of meta.requires ?? []) {
    if (!declared.some((c) => c.id === required)) throw new Error(`the check "${meta.id}" requires "${required}", which is not a check declared before it`);
  }
  declared.push({ id: meta.id, title: meta.title, points: meta.points, hidden: Boolean(meta.hidden), ...(meta.requires?.length ? { requires: [...meta.requires] } : {}) });
}

/** The timeline goes with the result where a front end asked for it; failing to keep it changes no result. */
function keepTimeline(exercise: string, check: string, timeline: Timeline | undefined): void {
  if (!timeline || timeline.empty) return;
  try {
    saveTimeline(exercise, check, timeline.record());
  } catch {
    // a full or read-only folder: the feedback goes without the picture
  }
}

/** How a check that was not run because a check it requires failed begins its message. */
export const REQUIRED_CHECK_FAILED = 'Not run: this check needs the check';

/**
 * Waits for the checks `meta` requires that run in this run (a hidden, skipped or filtered-out one
 * does not: then this check runs on its own), and fails at once, naming the first that failed. A
 * required check's grading error says nothing of the program: this check then runs on its own.
 */
async function requiredPassed(meta: CheckMeta, declared: CheckMeta[], outcomes: Map<string, Promise<void>>): Promise<void> {
  for (const id of meta.requires ?? []) {
    const outcome = outcomes.get(id);
    if (!outcome) continue;
    const failure = await outcome.then(
      () => undefined,
      (error: unknown) => (error instanceof CheckFailure ? error : undefined),
    );
    if (!failure) continue;
    const required = declared.find((c) => c.id === id)!;
    const [cause] = failure.message.split('\n');
    throw new CheckFailure(`${REQUIRED_CHECK_FAILED} "${required.title}" [${required.id}], which failed; fix that first.\n  there: ${cause}`);
  }
}

/** The exercise's program; a run.json it cannot be found from fails every check (the student's to fix, not a crash of the grading). */
function programOf(id: string): { program: Program; unusable?: string } {
  try {
    return { program: findProgram(id) };
  } catch (error) {
    if ((error as Error)?.name !== 'ManifestError') throw error;
    const program: FoundProgram = { attempted: true, exercise: id, source: 'run.json', language: 'manifest', cwd: targetDir(), command: '', args: [] };
    return { program, unusable: (error as Error).message };
  }
}

/** Every check of this test file (one spec, or the entry's several), started side by side. */
const scheduler = new CheckScheduler(checksAtOnce);
/** Per exercise: several exercises may share this module (the entry, exercise-list.ts). */
const gates = new Map<string, CheckGate>();
function gateOf(id: string): CheckGate {
  if (!gates.has(id)) gates.set(id, new CheckGate());
  return gates.get(id)!;
}
/** Held back by load longer than this during a check, its failure is confirmed alone. */
const LOADED_MS = 100;

/**
 * Runs a check beside the others; when it fails in a way the others or the machine's load may have
 * caused (a port or file collision between two instances of the program, the grader or the program
 * held back by load, a grading error), runs it once more alone, and that run decides.
 */
async function sideBySideThenAlone(gate: CheckGate, meta: Check, attempt: (alone: boolean) => Promise<void>, outcomeOf: (check: string) => Promise<void> | undefined): Promise<void> {
  const held = heldBackMs();
  try {
    await gate.runShared(() => attempt(false));
  } catch (error) {
    if (error instanceof NotRunAfterStartFailure) {
      // Not run because another check's start failed: once that check is decided (it may be confirmed
      // alone), this one runs after all unless the start failed there again.
      await outcomeOf(error.check.id)?.catch(() => undefined);
      if (startFailures.has(error.how)) throw error;
    } else if (!(error instanceof GraderError) && !collided(error) && heldBackMs() - held < LOADED_MS) throw error;
    await gate.runAlone(() => {
      // Its own start failure is what this run confirms (or not): it must not stop it.
      for (const [how, failure] of startFailures) if (failure.check === meta) startFailures.delete(how);
      return attempt(true);
    });
  }
}

/** Signs in a failure that another instance of the program held something it wanted (a fixed port, say). */
function collided(error: unknown): boolean {
  return error instanceof CheckFailure && COLLISION.test(error.message);
}

async function runCheck(run: CheckRun, body: (t: CheckRun) => Promise<void>, timeoutMs: number): Promise<void> {
  if (run.program.graderError) throw new GraderError(`${run.program.source} could not be built, for a reason that is not in the program: ${run.program.graderError}`);
  if (run.program.buildError) throw new CheckFailure(`${run.program.source} could not be built.\n${run.program.buildError}`);
  try {
    await beforeDeadline(body(run), checkDeadline(timeoutMs));
  } catch (error) {
    throw explain(error, run);
  }
}

/** The check's own deadline: a little before jest's, so that running out of time is told as what it is. */
export function checkDeadline(timeoutMs: number): number {
  return timeoutMs - Math.min(1000, timeoutMs / 10);
}

/**
 * The check's waits are all bounded well within its time limit: a check still running at the limit
 * means the grading could not keep time (an overloaded machine, a harness bug), not a wrong program.
 */
function beforeDeadline(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new GraderError(`the check did not finish within ${Math.round(ms / 100) / 10} s, the grader's time limit for it (the machine may have been too busy)`)), ms);
  });
  work.catch(() => undefined); // still running past the deadline: its later failure is nobody's
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/**
 * JavaScript's own errors in the check's code are bugs of the harness, not answers of the program.
 * By name: Node's own errors come from another realm than jest's sandbox, where instanceof fails.
 */
const HARNESS_BUGS = new Set(['TypeError', 'ReferenceError', 'SyntaxError', 'EvalError']);
/** Failures of the machine the grader runs on (a socket error such as ECONNRESET is the program's). */
const MACHINE_FAILURES = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EMFILE', 'ENFILE', 'ENOMEM', 'EIO']);

/** Adds what the student's programs printed to a failure, and turns harness errors into CheckFailures (or GraderErrors: the grading's own). */
function explain(error: unknown, run: CheckRun): Error {
  if (error instanceof GraderError) return error;
  const name = (error as Error | undefined)?.name;
  if (typeof name === 'string' && HARNESS_BUGS.has(name)) return new GraderError(`the check's code failed: ${(error as Error).message}`, { cause: error });
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code && MACHINE_FAILURES.has(code)) return new GraderError(`the machine failed the grader: ${(error as Error).message}`, { cause: error });
  if (error instanceof NotRunAfterStartFailure) return error; // it started no program: nothing to add
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

/**
 * One observation judged by several checks side by side (one run of a client, say): made once, by
 * the first check that asks, and each check's timeline shows it. A check confirming a failure alone
 * observes anew.
 */
export function sharedObservation<T>(observe: (t: CheckRun) => Promise<T>): (t: CheckRun) => Promise<T> {
  let shared: { result: Promise<T>; timeline: Timeline | undefined } | undefined;
  return (t) => {
    if (t.alone) return observe(t);
    if (shared) {
      if (shared.timeline) currentTimeline()?.follow(shared.timeline);
      return shared.result;
    }
    shared = { result: observe(t), timeline: currentTimeline() };
    return shared.result;
  };
}

export class CheckRun {
  readonly launched: Launched[] = [];
  /** Made when jest starts the check: its limit (meta.timeoutMs) counts from here. */
  private readonly began = Date.now();

  constructor(
    readonly program: FoundProgram,
    readonly meta: Check,
    /** This run confirms, alone, a failure seen beside other checks: it must observe anew, sharing nothing. */
    readonly alone = false,
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
    onCleanup(() => started.kill(CHECK_OVER));
    return started;
  }

  /**
   * Runs the program to its end (clients, command-line tools); killed once it has run `timeoutMs`
   * of its own clock (time spent waiting for a CPU on a busy machine is not counted).
   */
  async run(args: string[], timeoutMs = 10_000, options: StartOptions = {}): Promise<RunResult> {
    const program = this.start(args, options);
    const exit = await program.waitForExit(timeoutMs, 'own', this.wallCapMs(timeoutMs));
    if (!exit) {
      const [own, wall] = [program.ownMs(), Date.now() - program.startedAt];
      if (own < timeoutMs) {
        // Still running, but the machine never gave it its time: the grading's failure, graded again later.
        await program.kill('stopped by the grader: the machine was too busy');
        throw new GraderError(`${this.program.source} had only ${Math.round(own / 100) / 10} s of its own time in ${Math.round(wall / 100) / 10} s: the machine was too busy to judge whether it hangs`);
      }
      await program.kill(`still running after ${timeoutMs / 1000} s`);
    }
    return {
      exit,
      timedOut: !exit,
      stdout: program.stdout.toString(),
      stderr: program.stderr.toString(),
      ms: Date.now() - program.startedAt,
      program,
    };
  }

  /** A free port chosen at random from a range no client's ephemeral port comes from (free for UDP too if asked). */
  freePort(protocol: 'tcp' | 'udp' = 'tcp'): Promise<number> {
    return randomFreePort(SERVER_PORTS, protocol);
  }

  /** A port nothing listens on, for a client to be refused: from a range no server of a check is started on. */
  closedPort(): Promise<number> {
    return randomFreePort(CLOSED_PORTS);
  }

  /**
   * Starts the program as a server (`HOST PORT`) on a free port and waits until it listens. A start
   * lost to a port taken in the meantime by another process is retried on a new port.
   */
  async startServer(protocol: 'tcp' | 'udp', host = '127.0.0.1', readyTimeoutMs = 5000): Promise<ServerHandle> {
    let listener: PortListener | undefined;
    return this.onceStartable(`${protocol} ${host}`, () =>
      pRetry(
        async () => {
          const port = await this.freePort(protocol);
          listener = { protocol, host, port };
          const program = this.start([host, String(port)]);
          const { shared } = await waitForListener(program, listener, readyTimeoutMs, this.wallCapMs(readyTimeoutMs));
          if (shared) {
            // A parallel check's server bound it too (both with SO_REUSEPORT, say): either could get the traffic.
            await program.kill('stopped by the grader: another program listened on its port too');
            throw new PortLost(`another program listened on ${describeListener(listener)} too (a parallel check's server); three ports were tried`);
          }
          return { host, port, program, where: describeListener(listener) };
        },
        { retries: 2, minTimeout: 0, shouldRetry: ({ error }) => error instanceof PortLost || lostPortRace(error, this.launched.at(-1), listener) },
      ),
    );
  }

  /** Starts the program as a Unix-socket server at a fresh path (or `socketPath`) and waits until it listens. */
  async startUnixServer(socketPath?: string, readyTimeoutMs = 5000): Promise<{ path: string; program: Launched; where: string }> {
    const start = async () => {
      const at = socketPath ?? path.join(this.tempDir(), 'server.sock');
      const program = this.start([at]);
      await waitForListener(program, { protocol: 'unix', path: at }, readyTimeoutMs, this.wallCapMs(readyTimeoutMs));
      return { path: at, program, where: describeListener({ protocol: 'unix', path: at }) };
    };
    // A path given by the check is a special situation (a stale file there): its failure says nothing of the others.
    return socketPath ? start() : this.onceStartable('unix', start);
  }

  /**
   * A server that never started listening in one check of this exercise will not in another started
   * the same way: those fail at once, naming the root cause once, instead of each waiting for it.
   */
  private async onceStartable<T>(how: string, start: () => Promise<T>): Promise<T> {
    const key = `${this.program.exercise} ${how}`;
    // Alone, a check confirms a failure: its own start is what it judges, not another check's.
    const earlier = this.alone ? undefined : startFailures.get(key);
    if (earlier) throw new NotRunAfterStartFailure(notRunBecause(earlier), earlier.check, key);
    try {
      return await start();
    } catch (error) {
      // A start lost to a sibling check's instance (a fixed port) says nothing of the program alone.
      if (error instanceof NotReadyError && !COLLISION.test(error.message) && !startFailures.has(key)) startFailures.set(key, { check: this.meta, message: error.message });
      throw error;
    }
  }

  /** How long, in wall time, a wait of `ownMs` on a program's own clock may last: a few times longer, but ending before jest's limit for the check. */
  private wallCapMs(ownMs: number): number {
    const left = (this.meta.timeoutMs ?? CHECK_TIME_LIMIT_MS) - (Date.now() - this.began) - 4000;
    return Math.max(ownMs, Math.min(OWN_CLOCK_WALL_CAP * ownMs, left));
  }

  /** A temporary folder removed when the check ends. */
  tempDir(): string {
    const dir = runTempFolder('grader-');
    onCleanup(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }
}

/**
 * A check not run because another check of the exercise (`check`) found that the program does not
 * start this way (`how`): final only once that check's verdict on the start is.
 */
class NotRunAfterStartFailure extends CheckFailure {
  constructor(message: string, readonly check: Check, readonly how: string) {
    super(message);
  }
}

/** How an exercise's server failed to start, per exercise and way of starting it. */
const startFailures = new Map<string, { check: Check; message: string }>();

function notRunBecause(earlier: { check: Check; message: string }): string {
  const [cause] = earlier.message.split('\n');
  return `Not run: in the check "${earlier.check.title}" [${earlier.check.id}] the program did not start as a server; fix that first.\n  there: ${cause}`;
}

const COLLISION = /address already in use|EADDRINUSE|errno 98\b/i;

/**
 * It ended before it listened, and either said that the address is in use or another program holds
 * the port now (whatever it said): the port was taken between the pick and its bind.
 */
function lostPortRace(error: unknown, program: Launched | undefined, listener: PortListener | undefined): boolean {
  if (!(error instanceof NotReadyError) || program?.exit === undefined) return false;
  return COLLISION.test(program.transcript.toString()) || (listener !== undefined && portHeld(listener.protocol, listener.port));
}

/** The port was shared with another program: graded again, on a new port, and at the end as the grading's error. */
class PortLost extends GraderError {}

type PortListener = Extract<Listener, { protocol: 'tcp' | 'udp' }>;
