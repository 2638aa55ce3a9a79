/**
 * Broadcasts that cannot leave the machine. A program that broadcasts runs, jailed like every program,
 * under `unshare --user --map-root-user --net`: a network namespace of its own whose only interface is
 * its own `lo` (127.0.0.1/8, broadcast address 127.255.255.255), so a datagram to any broadcast
 * address (255.255.255.255 included) reaches nothing outside it. broadcast-lab.py brings `lo` up,
 * binds the scenario's responders there, then starts the program beside them and ends as it ends;
 * what the responders heard and sent is read back from a log. `broadcastSupport` says once whether this works here; where it does not
 * (no user namespaces), the checks are skipped with the reason, and nothing is ever broadcast.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { GraderError } from './grader-error';
import { pythonExecutable } from './interpreters';
import { runTempFolder } from './run-temp';
import { jail } from './sandbox';

export const BROADCAST_ADDRESS = '127.255.255.255';
const LAB_SCRIPT = path.join(__dirname, 'broadcast-lab.py');
const UNSHARE_FLAGS = ['--user', '--map-root-user', '--net'];
/** How long trying the namespace may take: well under a second on a quiet machine. */
const PROBE_TIMEOUT_MS = 60_000;

export interface Responder {
  /** The address it replies from (127.0.0.2, ...), with the port the program broadcast to. */
  address: string;
  reply: string;
  /** Seconds after each datagram it hears (as the kernel received it) at which it replies. */
  delays?: number[];
  /** Replies every this many seconds after each datagram it hears, for as long as the program runs. */
  every?: number;
}

export interface Scenario {
  port: number;
  responders: Responder[];
  /** A datagram sent to the program from another port, `after` seconds after each one heard. */
  decoy?: { address: string; reply: string; after: number };
}

/** A datagram the responders heard; times are seconds on the monotonic clock. */
export interface Heard {
  on: string;
  at: number;
  source: [string, number];
  destination: string | null;
  data: Buffer;
}

/** A reply (or the decoy) sent: `by` is the responder's index. */
export interface Sent {
  by: number | 'decoy';
  planned: number;
  at: number;
}

export interface LabLog {
  heard: Heard[];
  sent: Sent[];
  /** When the program ended; absent when the grader stopped the run first. */
  ended?: number;
  /** The lab's own failure (never the program's). */
  error?: string;
}

export type Support = { available: true } | { available: false; reason: string };

export class BroadcastLab {
  private readonly logFile: string;
  private readonly scenarioFile: string;
  private readonly script: string;

  /** `dir`: a check's temporary folder (the jail shows the program the folders named in its arguments). */
  constructor(dir: string, readonly scenario: Scenario) {
    this.script = path.join(dir, 'broadcast-lab.py');
    this.scenarioFile = path.join(dir, 'scenario.json');
    this.logFile = path.join(dir, 'lab.jsonl');
    copyFileSync(LAB_SCRIPT, this.script);
    writeFileSync(this.scenarioFile, JSON.stringify(scenario));
  }

  /** For CheckRun.run/start: the program runs in the lab's namespace, beside its responders. */
  readonly wrap = (command: string, args: string[]): { command: string; args: string[] } => ({
    command: 'unshare',
    args: [...UNSHARE_FLAGS, '--', pythonExecutable(), '-I', '-S', this.script, this.scenarioFile, this.logFile, '--', command === 'python3' ? pythonExecutable() : command, ...args],
  });

  log(): LabLog {
    const log: LabLog = { heard: [], sent: [] };
    const text = existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '';
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      let event: Record<string, unknown>;
      try {
        event = JSON.parse(line);
      } catch {
        continue; // the last line, cut by the program's end
      }
      if (event.event === 'heard') log.heard.push({ ...(event as unknown as Heard), data: Buffer.from(String(event.data), 'hex') });
      else if (event.event === 'sent') log.sent.push(event as unknown as Sent);
      else if (event.event === 'ended') log.ended = Number(event.at);
      else if (event.event === 'error') log.error = String(event.message);
    }
    if (log.error) throw new GraderError(`the broadcast lab's responders failed: ${log.error}`);
    return log;
  }
}

let probed: Support | undefined;

/** Whether broadcasts can be kept in a namespace here, found once by trying it jailed, as a check would. */
export function broadcastSupport(): Support {
  probed ??= probe();
  return probed;
}

function probe(): Support {
  if (process.platform !== 'linux') return { available: false, reason: 'needs Linux network namespaces' };
  const dir = runTempFolder('grader-');
  try {
    const script = path.join(dir, 'broadcast-lab.py');
    copyFileSync(LAB_SCRIPT, script);
    const jailed = jail({ command: 'unshare', args: [...UNSHARE_FLAGS, '--', pythonExecutable(), '-I', '-S', script, '--probe'], cwd: dir, inherited: process.env, env: {} });
    const ran = spawnSync(jailed.command, jailed.args, { cwd: dir, env: jailed.env, encoding: 'utf8', timeout: PROBE_TIMEOUT_MS, killSignal: 'SIGKILL' });
    // Out of time means a busy machine, not a missing feature: skipping would cost the student points.
    if (ran.signal === 'SIGKILL' || (ran.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT') {
      throw new GraderError(`trying the broadcast namespace took over ${PROBE_TIMEOUT_MS / 1000} s: the machine was too busy`);
    }
    if (ran.error) return { available: false, reason: `unshare could not run: ${ran.error.message}` };
    if (ran.status !== 0) return { available: false, reason: lastLine(ran.stderr) || `unshare exited with ${ran.status ?? ran.signal}` };
    return { available: true };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function lastLine(text: string | null | undefined): string {
  const lines = (text ?? '').trim().split('\n');
  return (lines[lines.length - 1] ?? '').replace(/[[\]]/g, '').slice(0, 160);
}
