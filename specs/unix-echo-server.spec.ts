import { lstatSync } from 'node:fs';
import path from 'node:path';
import type { Received, TcpConnection } from './harness/clients';
import { allByteValues, pseudoRandomBytes } from './harness/data';
import { exercise } from './harness/exercise';
import { expectBytes, fail } from './harness/expect';
import { NotReadyError } from './harness/ready';
import { connectOrFail, serverEnded } from './harness/server-checks';
import { leaveDeadSocket, openUnix, silentAndHangingUpUnixClients, unixOnly, type UnixServer } from './harness/unix-checks';

const KEEP_ACCEPTING = 'it must accept() clients in a loop until it is killed (the grader checks that it listens by connecting once: that is a client too).';

function connect(server: UnixServer, why: string): Promise<TcpConnection> {
  return connectOrFail(server, () => openUnix(server.path), why, KEEP_ACCEPTING);
}

/**
 * A connection the server closed unexpectedly may mean the server died: wait a moment for its exit (its
 * last output arrives meanwhile) and say so.
 */
async function exitNote(got: Received, server: UnixServer): Promise<string> {
  if (!(got.ended || got.error)) return '';
  const exit = await server.program.waitForExit(500);
  return exit ? `\n  ${serverEnded(server.program, KEEP_ACCEPTING)}` : '';
}

/** Sends `data`, half-closes, and fails unless exactly `data` comes back (EOF from the server not required). */
async function expectEcho(conn: TcpConnection, server: UnixServer, data: Buffer, how: { did: string; hint: string; timeoutMs?: number }): Promise<void> {
  const timeoutMs = how.timeoutMs ?? 3000;
  await conn.write(data);
  conn.end();
  const got = await conn.readBytes(data.length, timeoutMs);
  if (got.data.equals(data)) return;
  const what =
    got.data.length === 0
      ? got.ended || got.error
        ? 'The server closed the connection without echoing anything.'
        : `Nothing came back within ${timeoutMs / 1000} s.`
      : got.data.length < data.length
        ? `Only ${got.data.length} of ${data.length} bytes came back${got.ended ? ' before the server closed the connection' : ` within ${timeoutMs / 1000} s`}.`
        : 'The echo is not the bytes that were sent.';
  expectBytes(got.data, data, { did: how.did, sent: data, what: what + (await exitNote(got, server)), hint: how.hint });
}

/** A fresh client gets its echo: proof that the server still serves. */
async function stillEchoes(server: UnixServer, after: string): Promise<void> {
  const conn = await connect(server, `as a new client ${after}`);
  await expectEcho(conn, server, Buffer.from('still there?\n'), {
    did: `${after}, a new client connected to ${server.where}, sent "still there?\\n" and shut down its sending side`,
    hint: 'when a client is done (recv() returns b"") or fails, close that connection and go back to accept()',
  });
  conn.close();
}

exercise('unix-echo-server', ({ check: register }) => {
  const check = unixOnly(register);

  check({ id: 'echo', points: 2, title: 'echoes what a client sends over the Unix socket' }, async (t) => {
    const server = await t.startUnixServer();
    const conn = await connect(server, 'to send a text');
    await expectEcho(conn, server, Buffer.from('Hello over a Unix socket!\nA second line.\n'), {
      did: `connected to ${server.where}, sent two lines and shut down the sending side (EOF)`,
      hint: 'use socket.socket(socket.AF_UNIX, socket.SOCK_STREAM), bind the PATH argument, listen, accept, then recv() and sendall() the same bytes until recv() returns b""',
    });
  });

  check({ id: 'closes-at-eof', points: 1, title: "closes the connection after the client's EOF" }, async (t) => {
    const server = await t.startUnixServer();
    const conn = await connect(server, 'to send a text');
    const sent = Buffer.from('echo this, then hang up\n');
    await conn.write(sent);
    conn.end();
    const got = await conn.readUntilEnd(3000);
    const did = `sent ${JSON.stringify(sent.toString())} to ${server.where}, shut down the sending side (EOF) and waited 3 s for the server to close`;
    const hint = 'when recv() returns b"" the client is done: close the connection (conn.close() or "with conn:"); an open makefile() also keeps it open';
    if (!got.data.equals(sent)) {
      expectBytes(got.data, sent, { did, sent, what: 'The echo is not the bytes that were sent.', hint });
    }
    if (got.timedOut) fail(`The echo came back, but the server had not closed the connection 3 s after the client's EOF.`, { did, sent, hint });
  });

  check({ id: 'binary', points: 2, title: 'echoes binary data (every byte value, 200 KB) unchanged' }, async (t) => {
    const server = await t.startUnixServer();
    const conn = await connect(server, 'to send binary data');
    const data = Buffer.concat([allByteValues(), pseudoRandomBytes(200_000)]);
    await expectEcho(conn, server, data, {
      did: `sent the 256 byte values 00..ff then 200000 pseudo-random bytes (${data.length} bytes) to ${server.where}, then EOF`,
      timeoutMs: 5000,
      hint: 'echo bytes, not text: decode()/encode() fails or changes invalid UTF-8 (and toString() in Node does too); and loop on recv(), one call returns only part of the data',
    });
  });

  check({ id: 'interactive', points: 1, title: "echoes as the data arrives, without waiting for the client's EOF" }, async (t) => {
    const server = await t.startUnixServer();
    const conn = await connect(server, 'to talk to it');
    const hint = 'send back each chunk as soon as recv() returns it: a client may wait for the echo before it sends more (or before it closes)';
    let expected = Buffer.alloc(0);
    for (const line of ['ping\n', 'pong\n']) {
      await conn.write(line);
      expected = Buffer.concat([expected, Buffer.from(line)]);
      const got = await conn.readBytes(expected.length, 2000);
      if (!got.data.equals(expected)) {
        expectBytes(got.data, expected, {
          did: `connected to ${server.where}, and for each of "ping\\n" and "pong\\n": sent it, then waited 2 s for its echo (the connection stays open)`,
          sent: expected,
          what: got.data.length < expected.length ? `The echo of ${JSON.stringify(line)} did not come back within 2 s, before any EOF.` : 'The echo is not the bytes that were sent.',
          hint,
        });
      }
    }
  });

  check({ id: 'stale-socket', points: 2, title: 'starts when a stale socket file from an earlier run is at PATH' }, async (t) => {
    const socketPath = path.join(t.tempDir(), 'server.sock');
    await leaveDeadSocket(socketPath);
    const did = `left a socket file at ${socketPath} that nothing listens on (what a killed server leaves behind), then started the server with that PATH`;
    const hint = 'a socket file stays after the server that made it dies: before bind(), remove it: if os.path.exists(path): os.unlink(path) (or catch FileNotFoundError)';
    let server: UnixServer;
    try {
      server = await t.startUnixServer(socketPath);
    } catch (error) {
      if (!(error instanceof NotReadyError)) throw error;
      fail('The server did not start on a path where a stale socket file was.', { did, details: [error.message.replace(/\n/g, '\n  ')], hint });
    }
    if (!lstatSync(socketPath).isSocket()) fail(`${socketPath} is not a socket after the server started.`, { did, hint });
    await stillEchoes(server, 'once it listened');
  });

  check({ id: 'several-clients', points: 1, title: 'serves several clients one after another' }, async (t) => {
    const server = await t.startUnixServer();
    for (let i = 1; i <= 3; i++) {
      const conn = await connect(server, `as client ${i} of 3`);
      await expectEcho(conn, server, Buffer.from(`client ${i} says hello\n`), {
        did: `3 clients in turn connected to ${server.where}, each sent one line, shut down its sending side and closed after its echo; this was client ${i}`,
        hint: 'put accept() in a loop: after a client is done, close its connection and accept the next one (do not close the listening socket)',
      });
      conn.close();
    }
  });

  silentAndHangingUpUnixClients(check, (server) => stillEchoes(server, 'after clients that sent nothing or hung up without reading'));
});
