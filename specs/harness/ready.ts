/**
 * Waits until a started program is listening, like testcontainers' wait strategies: the probe is
 * raced against the program's exit (fail fast, with what it printed) and a deadline.
 *
 * On Linux the probe reads the kernel's socket tables (/proc/net), which sends no traffic and so
 * never disturbs an iterative server or a UDP exchange. Elsewhere it connects (TCP, Unix) or sends a
 * probe datagram and waits for any answer (UDP).
 */
import { existsSync, readFileSync } from 'node:fs';
import dgram from 'node:dgram';
import net from 'node:net';
import pRetry, { AbortError } from 'p-retry';
import type { Launched } from './launch';

export type Listener =
  | { protocol: 'tcp' | 'udp'; host: string; port: number }
  | { protocol: 'unix'; path: string };

export class NotReadyError extends Error {}

export function describeListener(listener: Listener): string {
  if (listener.protocol === 'unix') return `Unix socket ${listener.path}`;
  const host = listener.host.includes(':') ? `[${listener.host}]` : listener.host;
  return `${listener.protocol.toUpperCase()} ${host}:${listener.port}`;
}

export async function waitForListener(program: Launched, listener: Listener, timeoutMs = 5000): Promise<void> {
  const controller = new AbortController();
  const probing = pRetry(
    async () => {
      if (program.exit) throw new AbortError('exited');
      if (!(await isListening(listener))) throw new Error('not yet');
    },
    { retries: Number.POSITIVE_INFINITY, factor: 1, minTimeout: 50, maxTimeout: 50, maxRetryTime: timeoutMs, signal: controller.signal },
  );
  const exited = program.exited.then(() => 'exited' as const);
  try {
    const outcome = await Promise.race([probing.then(() => 'ready' as const, () => 'timeout' as const), exited]);
    if (outcome === 'ready') return;
    const what = describeListener(listener);
    if (outcome === 'exited' || program.exit) {
      throw new NotReadyError(
        `${program.options.label} ${program.describeExit()} before it listened on ${what}.\n` +
          `It was started as: ${program.commandLine}\nWhat it printed:\n${program.tail()}`,
      );
    }
    const hint =
      listener.protocol === 'unix'
        ? 'does it bind to the path given as its first argument?'
        : 'is the port hard-coded? It must bind the HOST and PORT given as arguments.';
    throw new NotReadyError(
      `${program.options.label} did not listen on ${what} within ${timeoutMs / 1000} s: ${hint}\n` +
        `It was started as: ${program.commandLine}\nWhat it printed:\n${program.tail()}`,
    );
  } finally {
    controller.abort();
  }
}

async function isListening(listener: Listener): Promise<boolean> {
  if (listener.protocol === 'unix') return existsSync(listener.path) && (await connects({ path: listener.path }));
  if (process.platform === 'linux' && existsSync('/proc/net/tcp')) return inKernelTable(listener.protocol, listener.port);
  if (listener.protocol === 'tcp') return connects({ host: listener.host, port: listener.port });
  return answersDatagram(listener.host, listener.port);
}

/** TCP: a socket in LISTEN state (0A) on the port; UDP: any socket bound to it. */
function inKernelTable(protocol: 'tcp' | 'udp', port: number): boolean {
  const wanted = port.toString(16).toUpperCase().padStart(4, '0');
  for (const file of [`/proc/net/${protocol}`, `/proc/net/${protocol}6`]) {
    let table: string;
    try {
      table = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of table.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 4) continue;
      const localPort = fields[1].split(':').pop();
      if (localPort === wanted && (protocol === 'udp' || fields[3] === '0A')) return true;
    }
  }
  return false;
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
