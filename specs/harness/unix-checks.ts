/**
 * What Unix-socket exercises share: their checks are skipped, with the reason in the title, where
 * AF_UNIX is unavailable (Windows); a dead socket file can be left at a path, as a killed server
 * leaves it; and the Unix variant of "survives clients that send nothing or misbehave".
 */
import { linkSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import pRetry from 'p-retry';
import { TcpConnection } from './clients';
import type { Check, CheckRun } from './exercise';
import { fail } from './expect';

type Register = (meta: Check, body: (t: CheckRun) => Promise<void>) => void;

export type UnixServer = Awaited<ReturnType<CheckRun['startUnixServer']>>;

/** Why Unix-socket checks cannot run here, or undefined when they can. */
export const unixSocketsMissing: string | undefined =
  process.platform === 'win32' ? 'AF_UNIX stream sockets are not available to Python and Node programs on Windows' : undefined;

/** Wraps an exercise's `check` so that, where AF_UNIX is missing, each check is skipped with the reason. */
export function unixOnly(check: Register): Register {
  const reason = unixSocketsMissing;
  return reason ? (meta, body) => check({ ...meta, skip: meta.skip ?? reason }, body) : check;
}

/**
 * Leaves a socket file at `socketPath` that nothing listens on, like a server killed without cleaning
 * up: bind() on it fails with "Address already in use" until it is removed.
 */
export async function leaveDeadSocket(socketPath: string): Promise<void> {
  const live = path.join(path.dirname(socketPath), `live-${process.pid}.sock`);
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(live, resolve);
  });
  // A second name for the same socket survives the close (Node unlinks only the name it bound).
  linkSync(live, socketPath);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(live, { force: true });
}

/**
 * Connects to a Unix stream socket like a blocking client: Node's connect is non-blocking, so a full
 * backlog (an iterative server still busy with earlier clients) gives EAGAIN at once; retry until
 * `timeoutMs`. Other errors (ECONNREFUSED, ENOENT) fail at once.
 */
export function openUnix(socketPath: string, timeoutMs = 3000): Promise<TcpConnection> {
  return pRetry(() => TcpConnection.open({ path: socketPath }, timeoutMs), {
    retries: Number.POSITIVE_INFINITY,
    factor: 1,
    minTimeout: 20,
    maxTimeout: 20,
    maxRetryTime: timeoutMs,
    shouldRetry: ({ error }) => /EAGAIN/.test(error.message),
  });
}

/** A correct exchange with the server; must fail when the server does not answer properly. */
export type UnixProbe = (server: UnixServer, t: CheckRun) => Promise<void>;

/**
 * Clients that connect and send nothing, then clients that send 64 KiB and hang up without reading the
 * echo: on a Unix socket the server then gets EPIPE (BrokenPipeError) or ECONNRESET, which must end that
 * client only. Then `probe` proves the server still serves.
 */
export function silentAndHangingUpUnixClients(check: Register, probe: UnixProbe, points = 1): void {
  check({ id: 'silent-clients', points, title: 'survives clients that send nothing, or hang up without reading their echo' }, async (t) => {
    const server = await t.startUnixServer();
    for (let i = 0; i < 3; i++) {
      const idle = await openUnix(server.path);
      idle.end();
      idle.close();
    }
    for (let i = 0; i < 2; i++) {
      const rude = await openUnix(server.path);
      await rude.write(Buffer.alloc(64 * 1024, 'x'));
      rude.close();
    }
    if (server.program.exit) {
      fail(`The server ${server.program.describeExit()} after clients that sent nothing or hung up without reading.`, {
        did: `3 clients connected to ${server.where} and closed without sending; 2 sent 64 KiB and closed without reading the echo`,
        hint: 'sendall() to a client that has gone raises BrokenPipeError (or ConnectionResetError): catch OSError per client and go back to accept()',
      });
    }
    await probe(server, t);
  });
}
