/**
 * Broadcasts that cannot leave the machine. A program that broadcasts runs, jailed like every program,
 * under `unshare --user --map-root-user --net`: a network namespace of its own whose only interface is
 * its own `lo` (127.0.0.1/8, broadcast address 127.255.255.255), so a datagram to any broadcast
 * address (255.255.255.255 included) reaches nothing outside it. broadcast-lab.py brings `lo` up,
 * binds the scenario's responders there, then starts the program beside them and ends as it ends;
 * what the responders heard and sent is read back from a log. `broadcastSupport` says once whether this works here; where it does not
 * (no user namespaces), the checks are skipped with the reason, and nothing is ever broadcast.
 */
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { GraderError } from './grader-error';
import { executableFor, pythonExecutable } from './interpreters';
import { runJailedProbe, type Support } from './jailed-probe';

export const BROADCAST_ADDRESS = '127.255.255.255';
const LAB_SCRIPT = path.join(__dirname, 'broadcast-lab.py');
const UNSHARE_FLAGS = ['--user', '--map-root-user', '--net'];

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

export type { Support } from './jailed-probe';

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
    args: [...UNSHARE_FLAGS, '--', pythonExecutable(), '-I', '-S', this.script, this.scenarioFile, this.logFile, '--', executableFor(command), ...args],
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
  return runJailedProbe({
    what: 'the broadcast namespace',
    command: (dir) => {
      const script = path.join(dir, 'broadcast-lab.py');
      copyFileSync(LAB_SCRIPT, script);
      return { command: 'unshare', args: [...UNSHARE_FLAGS, '--', pythonExecutable(), '-I', '-S', script, '--probe'] };
    },
  }).support;
}
