/**
 * What the TCP stream exercises share (tcp-upper-server, tcp-concurrent-server, tcp-line-server):
 * sending a request in one or several writes, reading a reply without requiring the server to close,
 * judging it with a message that says how the connection ended, the uppercase-stream checks, and the
 * idle-timeout check of the iterative servers.
 */
import { fairTimeout } from './fair-timer';
import { TcpConnection, type Received } from './clients';
import { allByteValues, asciiUpper, lowercaseText } from './data';
import type { Check, CheckRun, ServerHandle } from './exercise';
import { expectBytes, fail, showBytes } from './expect';
import type { Probe } from './server-checks';

export type Register = (meta: Check, body: (t: CheckRun) => Promise<void>) => void;

/** How long a complete reply is watched for bytes that should not follow it (when the server keeps the connection open). */
const TRAILING_MS = 250;

/** The idle timeout the iterative servers' contract sets, and how far from it the check tolerates. */
export const IDLE_TIMEOUT_MS = 2000;
const IDLE_EARLIEST_MS = 1500;
const IDLE_MARGIN_MS = 1500;

export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function seconds(ms: number): string {
  return `${+(ms / 1000).toFixed(2)} s`;
}

/** Writes `pieces` one after the other, pausing `pauseMs` between them (part of the stimulus, not a synchronisation). */
export async function writePieces(conn: TcpConnection, pieces: Buffer[], pauseMs = 0): Promise<void> {
  for (const [i, piece] of pieces.entries()) {
    if (i > 0 && pauseMs > 0) await pause(pauseMs);
    await conn.write(piece);
  }
}

/** Resolves with `work`'s outcome, or with `undefined` once `ms` have passed. */
async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  let cancel: (() => void) | undefined;
  const deadline = new Promise<undefined>((resolve) => (cancel = fairTimeout(() => resolve(undefined), ms)));
  try {
    return await Promise.race([work, deadline]);
  } finally {
    cancel?.();
  }
}

/** Splits `data` into writes of at most `size` bytes. */
export function slices(data: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < data.length; at += size) out.push(data.subarray(at, at + size));
  return out;
}

/**
 * Waits until at least `length` bytes arrived (or the connection ended, failed, or `timeoutMs`
 * passed). A reply of exactly `length` bytes on a connection still open is watched a little longer,
 * so that trailing bytes the server should not have sent are seen too.
 */
export async function readReply(conn: TcpConnection, length: number, timeoutMs: number): Promise<Received> {
  const first = await conn.waitFor((data) => data.length >= length, timeoutMs);
  if (first.timedOut || first.ended || first.error || first.data.length > length) return first;
  const more = await conn.waitFor((data) => data.length > length, TRAILING_MS);
  return { ...more, timedOut: false, ms: first.ms + more.ms };
}

/** How a read ended, in words: "the server closed the connection after sending 12 bytes". */
export function howItEnded(received: Received, timeoutMs: number): string {
  const bytes = `${received.data.length} byte${received.data.length === 1 ? '' : 's'}`;
  if (received.error) {
    return `the connection was reset (${received.error}) after ${bytes} had arrived (a server resets a connection when it closes it with unread data in it, or when it dies)`;
  }
  if (received.ended) return `the server closed the connection after sending ${bytes}`;
  if (received.timedOut) return `${received.data.length ? `only ${bytes} arrived` : 'nothing arrived'} within ${seconds(timeoutMs)}, and the connection stayed open`;
  return `${bytes} arrived`;
}

export interface Judged {
  /** One line: what the client did. */
  did: string;
  sent?: Buffer;
  hint: string;
  /** What is wrong when the bytes differ, e.g. "The reply is not the stream uppercased." */
  what: string;
  timeoutMs: number;
}

/** Fails unless `received` holds exactly `expected`, saying how the connection ended. */
export function judgeReply(received: Received, expected: Buffer, context: Judged): void {
  if (received.data.equals(expected)) return;
  const ending = howItEnded(received, context.timeoutMs);
  expectBytes(received.data, expected, { ...context, what: `${context.what.replace(/\.$/, '')}: ${ending}.` });
}

/** Connects, writes `pieces` (pausing between them), half-closes, and judges the reply. */
export async function exchange(
  server: ServerHandle,
  pieces: Buffer[],
  expected: Buffer,
  context: { what: string; hint: string; pauseMs?: number; timeoutMs?: number; describe?: string },
): Promise<void> {
  const timeoutMs = context.timeoutMs ?? 3000;
  const conn = await TcpConnection.open(server);
  const sent = Buffer.concat(pieces);
  const how = context.describe ?? (pieces.length === 1 ? 'in one write' : `in ${pieces.length} writes${context.pauseMs ? ` ${context.pauseMs} ms apart` : ''}`);
  // A server that stops reading leaves the writes pending once the socket buffers are full.
  const wrote = await withDeadline(writePieces(conn, pieces, context.pauseMs).then(() => true), timeoutMs);
  if (!wrote) {
    fail(`The server stopped reading: ${sent.length} bytes could not all be sent within ${seconds(timeoutMs)}.`, {
      did: `connected to ${server.where} and sent ${sent.length} bytes ${how}`,
      details: [`received meanwhile: ${showBytes(conn.data)}`],
      hint: 'keep reading while you send: read a piece, send its reply with sendall(), and repeat until recv() returns b""',
    });
  }
  conn.end();
  const received = await readReply(conn, expected.length, timeoutMs);
  conn.close();
  judgeReply(received, expected, {
    did: `connected to ${server.where}, sent ${sent.length} bytes ${how}, closed the sending side (shutdown SHUT_WR), and read for up to ${seconds(timeoutMs)}`,
    sent: sent.length <= 4096 ? sent : undefined,
    what: context.what,
    hint: context.hint,
    timeoutMs,
  });
}

/** A correct uppercase exchange: the probe the common server checks end with. */
export const uppercaseProbe: Probe = (server) =>
  exchange(server, [Buffer.from('are you still there?')], Buffer.from('ARE YOU STILL THERE?'), {
    what: 'After those clients, a normal client did not get the stream uppercased.',
    hint: 'serve each client in a try/except and go back to accept() whatever happened to it',
  });

const WHOLE_STREAM = 'read in a loop until recv() returns b"" (EOF), sending each piece uppercased with sendall()';

/** The checks of a server whose reply is the client's byte stream uppercased (tcp-upper-server, tcp-concurrent-server). */
export function uppercaseStreamChecks(check: Register, options: { sequential: boolean }): void {
  check({ id: 'uppercase', points: 2, title: 'replies with the stream uppercased' }, async (t) => {
    const server = await t.startServer('tcp');
    const text = Buffer.from('Hello, World!\nSockets are files, more or less.\n');
    await exchange(server, [text], asciiUpper(text), {
      what: 'The reply is not the stream uppercased.',
      hint: `the reply is the whole stream, not one line or one message: ${WHOLE_STREAM}`,
    });
  });

  check({ id: 'all-bytes', points: 1, title: 'leaves every byte except a-z unchanged' }, async (t) => {
    const server = await t.startServer('tcp');
    const data = Buffer.concat([allByteValues(), allByteValues()]);
    await exchange(server, [data], asciiUpper(data), {
      what: 'The reply is not the bytes with a-z uppercased.',
      hint: 'work on bytes (data.upper() on bytes changes only a-z): decoding to text fails on invalid UTF-8 or changes non-ASCII bytes',
    });
  });

  check({ id: 'several-writes', points: 2, title: 'answers a stream that arrives in several writes' }, async (t) => {
    const server = await t.startServer('tcp');
    const pieces = ['the stream ', 'arrives in ', 'three pieces'].map((s) => Buffer.from(s));
    await exchange(server, pieces, asciiUpper(Buffer.concat(pieces)), {
      pauseMs: 200,
      what: 'The reply is not the whole stream uppercased.',
      hint: `one recv() returns whatever has arrived so far, maybe only the first piece: ${WHOLE_STREAM}`,
    });
  });

  check({ id: 'large', points: 2, title: 'answers a 256 KiB stream, the client reading while it writes' }, async (t) => {
    const server = await t.startServer('tcp');
    const data = lowercaseText(256 * 1024);
    await exchange(server, slices(data, 16 * 1024), asciiUpper(data), {
      describe: 'in writes of 16 KiB while reading the reply',
      timeoutMs: 8000,
      what: 'The reply is not the 256 KiB stream uppercased.',
      hint: `no single recv() returns a stream this large: ${WHOLE_STREAM} (send() may write only part of its data: use sendall())`,
    });
  });

  if (options.sequential) {
    check({ id: 'sequential-clients', points: 1, title: 'serves clients one after another' }, async (t) => {
      const server = await t.startServer('tcp');
      for (const n of [1, 2, 3]) {
        const text = Buffer.from(`client number ${n} of 3`);
        await exchange(server, [text], asciiUpper(text), {
          what: `Client ${n} of 3 (each connecting after the previous one was answered) did not get its stream uppercased.`,
          hint: 'after a client leaves, close that connection and go back to accept() the next one: do not exit or close the listening socket',
        });
      }
    });
  }

  check({ id: 'closes-after-eof', points: 1, title: "closes the connection after the client's EOF" }, async (t) => {
    const server = await t.startServer('tcp');
    const text = Buffer.from('that is all from me');
    const conn = await TcpConnection.open(server);
    await conn.write(text);
    conn.end();
    const limit = 1500;
    const received = await conn.readUntilEnd(limit);
    const did = `connected to ${server.where}, sent ${showBytes(text)}, closed the sending side (shutdown SHUT_WR) and waited ${seconds(limit)} for EOF`;
    if (!received.ended) {
      fail(`The server did not close the connection: ${howItEnded(received, limit)}.`, {
        did,
        details: [`received: ${showBytes(received.data)}`],
        hint: 'when recv() returns b"" the client has finished: reply to what is left, then conn.close() (a forked child\'s parent must close its copy too)',
      });
    }
    judgeReply(received, asciiUpper(text), { did, what: 'The connection was closed, but the reply before it is not the stream uppercased.', hint: WHOLE_STREAM, timeoutMs: limit });
  });
}

/**
 * An iterative server closes a connection on which nothing arrived for 2 s, so that one silent
 * client cannot keep every other client waiting: a silent client connects, a real one queues behind
 * it; the silent one must see EOF after about 2 s, and the real one must then be answered.
 */
export function idleTimeoutCheck(check: Register, request: Buffer, reply: Buffer, points = 2): void {
  check({ id: 'idle-timeout', points, title: 'closes a connection idle for 2 s, then serves the next client' }, async (t) => {
    const server = await t.startServer('tcp');
    const limit = IDLE_TIMEOUT_MS + IDLE_MARGIN_MS;
    // Timed from before the connect: a grader slow to see the connection can then only make the
    // server's timeout look longer, never too short.
    const opening = Date.now();
    const silent = await TcpConnection.open(server);
    // Watched from the start, so that the time of its EOF is known even while B is being judged.
    const watching = Date.now();
    const silentEnd = silent.readUntilEnd(limit);
    const real = await TcpConnection.open(server);
    await real.write(request);
    real.end();
    const did = `client A connected to ${server.where} and sent nothing; client B connected right after, sent ${showBytes(request)} and closed its sending side`;
    const hint = `call conn.settimeout(${IDLE_TIMEOUT_MS / 1000}) on each accepted connection, and on socket.timeout close it and go back to accept()`;

    const answered = await readReply(real, reply.length, limit);
    judgeReply(answered, reply, {
      did: `${did}; waited up to ${seconds(limit)} for B's reply`,
      sent: request,
      what: 'Client B did not get its reply while client A stayed silent.',
      hint,
      timeoutMs: limit,
    });

    const waited = await silentEnd;
    const closedAfter = waited.ms + (watching - opening);
    if (!waited.ended || waited.error) {
      fail(`Silent client A was not closed with an EOF within ${seconds(limit)}: ${howItEnded(waited, limit)}.`, { did, hint });
    }
    if (closedAfter < IDLE_EARLIEST_MS) {
      fail(`Silent client A was closed after only ${seconds(closedAfter)}: the contract gives a client ${seconds(IDLE_TIMEOUT_MS)} of silence.`, {
        did,
        hint: `the idle timeout is ${IDLE_TIMEOUT_MS / 1000} s: a shorter one cuts off clients that merely pause`,
      });
    }
  });
}
