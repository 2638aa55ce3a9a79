/**
 * Waits until a started program is listening, like testcontainers' wait strategies, and when it
 * does not, says why in a way that does not depend on how busy the machine is:
 *
 * - it exited: how (with what it printed);
 * - its output shows a sandbox limit (memory, processes, ...): that limit, worded as describeExit does;
 * - it sits idle (no task of it ran or is runnable) while listening elsewhere: where (fast: a
 *   hard-coded port costs IDLE_ELSEWHERE_MS, not the whole wait); idle without a listener: so;
 * - it keeps working without listening: after `timeoutMs` of its own clock (wall time minus the
 *   time it waited for a CPU, Launched.ownMs), with the CPU time it used; a wall-time cap
 *   (`wallCapMs`) ends the wait on a machine too busy to give it that time, with the same reason.
 *
 * On Linux the probe reads the kernel's socket tables (/proc/net) and the program's process tree
 * (process-tree.ts), which sends no traffic and so never disturbs an iterative server or a UDP
 * exchange; only the program's own socket counts, never another program's on the same port (a
 * parallel check's server). Elsewhere it connects (TCP, Unix) or sends a probe datagram and waits
 * for any answer (UDP), and the wait is on the wall clock.
 */
import { existsSync } from 'node:fs';
import dgram from 'node:dgram';
import net from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { GraderError } from './grader-error';
import { socketTableRows } from './proc-files';
import { OWN_CLOCK_WALL_CAP, type Launched } from './launch';
import { jailUserId } from './sandbox-support';
import type { HeldSocket } from './process-tree';
import { currentTimeline } from './timeline';

export type Listener =
  | { protocol: 'tcp' | 'udp'; host: string; port: number }
  | { protocol: 'unix'; path: string };

export class NotReadyError extends Error {}

export interface Listening {
  /**
   * Another program's socket listens on the port too (SO_REUSEPORT, or SO_REUSEADDR on UDP, on both
   * sides let a parallel check's server bind it as well): what is sent there may reach that one.
   * False where it cannot be told.
   */
  shared: boolean;
}

const SAMPLE_MS = 100;
/** Live tasks past which a tree that keeps growing is multiplying toward the jail's process limit (256). */
const MULTIPLYING_TASKS = 32;
/**
 * Grown to a new size within this much of its own time: still multiplying. On its own clock, because a
 * busy machine spaces out a fork bomb's children in wall time (each spawn of node is a fork of it).
 */
const GROWTH_WINDOW_MS = 1000;
/** Idle this long while listening elsewhere: it waits for clients on the wrong port or path. */
const IDLE_ELSEWHERE_MS = 500;
/** Idle this long without any listener: it waits for something that will not come. */
const IDLE_MS = 2000;

export function describeListener(listener: Listener): string {
  if (listener.protocol === 'unix') return `Unix socket ${listener.path}`;
  const host = listener.host.includes(':') ? `[${listener.host}]` : listener.host;
  return `${listener.protocol.toUpperCase()} ${host}:${listener.port}`;
}

export async function waitForListener(program: Launched, listener: Listener, timeoutMs = 5000, wallCapMs = OWN_CLOCK_WALL_CAP * timeoutMs): Promise<Listening> {
  const tree = program.processTree();
  const waitStarted = Date.now();
  const ownStart = program.ownMs();
  let last = tree?.sample();
  let activeAt = Date.now();
  let largest = 0;
  let grewAtOwnMs = 0;
  for (;;) {
    if (program.exit) throw notReady(program, listener, `${program.describeExit()} before it listened on ${describeListener(listener)}.`);
    const listening = await isListening(listener, program);
    if (listening) return listened(listener, listening);
    const now = tree?.sample();
    // No task seen at all (a /proc that hides it): nothing is known, so it never counts as idle.
    if (!now || !last || now.tasks === 0 || now.busy || now.cpuMs !== last.cpuMs || now.tasks !== last.tasks) activeAt = Date.now();
    last = now;
    const idleMs = now ? Date.now() - activeAt : 0;
    const ownMs = program.ownMs(now?.waitedMs) - ownStart;
    const held = idleMs >= IDLE_ELSEWHERE_MS || ownMs >= timeoutMs || Date.now() - waitStarted >= wallCapMs ? tree?.listeners() ?? [] : [];
    // Its own socket listens where it should: it started since the kernel table was read (a busy machine delays this loop).
    if (held.some((socket) => isWanted(socket, listener))) return listened(listener, { shared: sharesPort(program, listener) });
    const elsewhere = held;
    // A UDP socket on an ephemeral port may be a client's (a lookup, say): not proof enough to fail fast.
    // Out of time while it is still multiplying (a fork bomb on a busy machine): the process limit will
    // stop it soon, and that, not the time, is the reason to give.
    if (now && now.live > largest) [largest, grewAtOwnMs] = [now.live, ownMs];
    const multiplying = largest >= MULTIPLYING_TASKS && ownMs - grewAtOwnMs < GROWTH_WINDOW_MS;
    const why =
      (elsewhere.some((s) => !s.ephemeral) && idleMs >= IDLE_ELSEWHERE_MS) || idleMs >= IDLE_MS
        ? idle(listener, elsewhere, idleMs)
        : ownMs >= timeoutMs && !multiplying
          ? working(listener, elsewhere, Math.min(ownMs, timeoutMs), now?.cpuMs)
          : undefined;
    if (!why && Date.now() - waitStarted >= wallCapMs) {
      // It kept working but the machine never gave it its time: the grading's failure, graded again later.
      throw new GraderError(`${program.options.label} had only ${seconds(ownMs)} of its own time in ${seconds(Date.now() - waitStarted)} to start listening on ${describeListener(listener)}: the machine was too busy`);
    }
    if (why) {
      const limit = program.limitReached();
      throw notReady(program, listener, limit ? `did not listen on ${describeListener(listener)} (${limit}).` : why);
    }
    await Promise.race([program.exited, delay(SAMPLE_MS)]);
  }
}

function isWanted(socket: HeldSocket, listener: Listener): boolean {
  if (listener.protocol === 'unix') return socket.protocol === 'unix' && socket.address === listener.path;
  return socket.protocol === listener.protocol && socket.port === listener.port;
}

function notReady(program: Launched, listener: Listener, why: string): NotReadyError {
  return new NotReadyError(`${program.options.label} ${why}\nIt was started as: ${program.commandLine}\nWhat it printed:\n${program.tail()}`);
}

function idle(listener: Listener, elsewhere: HeldSocket[], idleMs: number): string {
  // Idle at least IDLE_MS (a starved grader may notice later): the same words on any machine.
  if (elsewhere.length === 0) return `sits idle (for ${seconds(Math.min(idleMs, IDLE_MS))}) without listening on ${describeListener(listener)}: ${hint(listener, elsewhere)}`;
  return `listens on ${describeSockets(elsewhere)}, not on ${describeListener(listener)}: ${hint(listener, elsewhere)}`;
}

/** Out of time while it kept running: either it computes (an endless loop before bind?) or it keeps waking up for something. */
function working(listener: Listener, elsewhere: HeldSocket[], ownMs: number, cpuMs: number | undefined): string {
  const what = describeListener(listener);
  if (elsewhere.length > 0) return `listens on ${describeSockets(elsewhere)}, not on ${what}: ${hint(listener, elsewhere)}`;
  if (cpuMs === undefined) return `did not listen on ${what} within ${seconds(ownMs)}: ${hint(listener, elsewhere)}`;
  // A grader starved between two samples sees more CPU than the wait allowed: say what the wait judged, the same on any machine.
  const cpu = Math.min(cpuMs, ownMs);
  if (cpu >= ownMs / 2) return `used the CPU for ${seconds(cpu)} without listening on ${what}: is it stuck in a loop before it binds?`;
  return `ran for ${seconds(ownMs)} of its own time without listening on ${what} (using ${seconds(cpu)} of CPU): ${hint(listener, elsewhere)}`;
}

function hint(listener: Listener, elsewhere: HeldSocket[]): string {
  if (listener.protocol === 'unix') return 'does it bind to the path given as its first argument?';
  const samePort = elsewhere.find((s) => s.port === listener.port && s.protocol !== listener.protocol);
  if (samePort) return `a ${listener.protocol.toUpperCase()} server needs a ${listener.protocol === 'udp' ? 'SOCK_DGRAM' : 'SOCK_STREAM'} socket.`;
  return 'is the port hard-coded? It must bind the HOST and PORT given as arguments.';
}

function describeSockets(sockets: HeldSocket[]): string {
  const names = [...new Set(sockets.map((s) => (s.protocol === 'unix' ? `Unix socket ${s.address}` : `${s.protocol.toUpperCase()} ${s.address}`)))];
  return names.length > 3 ? `${names.slice(0, 3).join(', ')} and ${names.length - 3} more` : names.join(', ');
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

async function isListening(listener: Listener, program: Launched): Promise<Listening | undefined> {
  if (listener.protocol === 'unix') return existsSync(listener.path) && (await connects({ path: listener.path })) ? { shared: false } : undefined;
  if (hasSocketTables()) {
    // Another program may hold the port (a parallel check's server that won the race for it): only the
    // program's own socket counts. Holding none, it cannot be listening, and the table (about 4 ms of
    // CPU a read, however few sockets there are) is not read.
    const owner = socketOwner(program);
    if (owner.inodes?.size === 0) return undefined;
    const rows = portRows(listener.protocol, listener.port);
    if (!rows.some(owner.owns)) return undefined;
    return { shared: othersIn(rows, program) };
  }
  const answers = listener.protocol === 'tcp' ? await connects({ host: listener.host, port: listener.port }) : await answersDatagram(listener.host, listener.port);
  return answers ? { shared: false } : undefined;
}

/** What `Listening.shared` says, read afresh. */
function sharesPort(program: Launched, listener: Listener): boolean {
  return listener.protocol !== 'unix' && hasSocketTables() && othersIn(portRows(listener.protocol, listener.port), program);
}

/**
 * Some of `rows` are known to be another program's. Its descriptors are read after the rows, so that a
 * socket it made in between is not taken for another's.
 */
function othersIn(rows: string[][], program: Launched): boolean {
  const owner = socketOwner(program);
  return owner.known && rows.some((fields) => !owner.owns(fields));
}

/** Some program listens on the port (false where it cannot be told). */
export function portHeld(protocol: 'tcp' | 'udp', port: number): boolean {
  return hasSocketTables() && portRows(protocol, port).length > 0;
}

function hasSocketTables(): boolean {
  return process.platform === 'linux' && existsSync('/proc/net/tcp');
}

/**
 * Which rows of /proc/net are the program's: its sockets' inodes where its descriptors can be read;
 * otherwise, in the root mode, the user id it runs under (one per grading process); otherwise any.
 */
function socketOwner(program: Launched): { inodes?: Set<string>; known: boolean; owns: (fields: string[]) => boolean } {
  const inodes = program.processTree()?.socketInodes();
  if (inodes) return { inodes, known: true, owns: (fields) => inodes.has(fields[9]) };
  if (program.sandbox === 'root') return { known: true, owns: (fields) => Number(fields[7]) === jailUserId() };
  return { known: false, owns: () => true };
}

/** TCP: the sockets in LISTEN state (0A) on the port; UDP: the sockets bound to it. */
function portRows(protocol: 'tcp' | 'udp', port: number): string[][] {
  const wanted = port.toString(16).toUpperCase().padStart(4, '0');
  const rows: string[][] = [];
  for (const file of [`/proc/net/${protocol}`, `/proc/net/${protocol}6`]) {
    for (const fields of socketTableRows(file)) {
      if (fields[1].split(':').pop() === wanted && (protocol === 'udp' || fields[3] === '0A')) rows.push(fields);
    }
  }
  return rows;
}

function listened(listener: Listener, listening: Listening): Listening {
  currentTimeline()?.add({ kind: 'listening', from: 'program', text: `listening on ${describeListener(listener)}` });
  return listening;
}

function connects(target: net.NetConnectOpts): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(target);
    socket.setTimeout(500);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

function answersDatagram(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const timer = setTimeout(() => done(false), 200);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.close();
      resolve(ok);
    };
    socket.once('message', () => done(true));
    socket.once('error', () => done(false));
    socket.send(Buffer.from('probe'), port, host);
  });
}
