import { readFileSync } from 'node:fs';
import { TcpConnection } from './harness/clients';
import { allByteValues, lowercaseText, pseudoRandomBytes } from './harness/data';
import { exercise, type ServerHandle } from './harness/exercise';
import { expectBytes, fail } from './harness/expect';
import { fairTimeout } from './harness/fair-timer';
import { NotReadyError, waitForListener } from './harness/ready';
import { portInUse, silentAndResettingClients } from './harness/server-checks';
import { howItEnded } from './harness/stream-checks';

const MiB = 1024 * 1024;

/** Connects, or fails saying the server is gone (with how it exited) instead of a bare ECONNREFUSED. */
async function connect(server: ServerHandle, who: string, timeoutMs = 2000): Promise<TcpConnection> {
  try {
    return await TcpConnection.open(server, timeoutMs);
  } catch (error) {
    const { program } = server;
    fail(`${who} could not connect to ${server.where}${program.exit ? `: the server ${program.describeExit()}` : ''}.`, {
      details: [(error as Error).message],
      hint: 'serve clients in a loop: after one client is done, go back to accept() (and catch errors per client)',
    });
  }
}

/** One client: sends `payload`, reads the echo (without needing the server to close), checks it. */
async function echoes(server: ServerHandle, payload: Buffer, context: { who: string; hint: string; end?: boolean; timeoutMs?: number; on?: TcpConnection }): Promise<TcpConnection> {
  const { who, hint, end = true, timeoutMs = 3000 } = context;
  const conn = context.on ?? (await connect(server, who));
  void conn.write(payload);
  if (end) conn.end();
  const received = await conn.readBytes(payload.length, timeoutMs);
  expectBytes(received.data, payload, {
    did: `${who} connected to ${server.where}, sent ${payload.length} bytes${end ? ' and shut down its sending side' : ''}`,
    sent: payload,
    what: `The echo is not what was sent: ${howItEnded(received, timeoutMs)}.`,
    hint,
  });
  return conn;
}

const probe = async (server: ServerHandle) => {
  const conn = await echoes(server, Buffer.from('still there?'), { who: 'a new client', hint: 'one client going wrong must cost only its own connection: catch OSError per client and go back to accept()' });
  conn.close();
};

/** The kernel's TCP sockets on local `port` (Linux, from /proc/net): state and receive queue, as hex fields. */
function socketsOnPort(port: number): { state: string; rxQueue: number }[] | undefined {
  const wanted = port.toString(16).toUpperCase().padStart(4, '0');
  const found: { state: string; rxQueue: number }[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let table: string;
    try {
      table = readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
    for (const line of table.split('\n').slice(1)) {
      const [, local, , state, queues] = line.trim().split(/\s+/);
      if (local?.split(':').pop() === wanted) found.push({ state, rxQueue: parseInt(queues.split(':')[1], 16) });
    }
  }
  return found;
}

const LISTEN = '0A';
const TIME_WAIT = '06';

/**
 * Waits until `holds` is true of the sockets on `port`, or `timeoutMs` passes. Resolves undefined
 * where the kernel's tables cannot be read (not Linux).
 */
async function waitForSockets(port: number, holds: (sockets: { state: string; rxQueue: number }[]) => boolean, timeoutMs: number): Promise<boolean | undefined> {
  let expired = false;
  // On the fair clock (fair-timer.ts): a grader held back by load does not run out of time sooner.
  const cancel = fairTimeout(() => (expired = true), timeoutMs);
  try {
    for (;;) {
      const sockets = socketsOnPort(port);
      if (!sockets) return undefined;
      if (holds(sockets)) return true;
      if (expired) return false;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    cancel();
  }
}

exercise('tcp-echo-server', ({ check }) => {
  check({ id: 'echo-binary', points: 2, title: 'echoes every byte value 0-255 unchanged' }, async (t) => {
    const server = await t.startServer('tcp');
    await echoes(server, allByteValues(), {
      who: 'a client',
      hint: 'work on bytes: conn.sendall(data) with what recv returned; decoding to text changes or rejects bytes such as 0x00 or 0xff',
    });
  });

  check({ id: 'conversation', points: 1, title: 'echoes each message as it arrives, before the client closes' }, async (t) => {
    const server = await t.startServer('tcp');
    const conn = await connect(server, 'a client');
    let sofar = Buffer.alloc(0);
    for (const message of ['first message\n', 'second message\n', 'third message\n'].map((m) => Buffer.from(m))) {
      await conn.write(message);
      sofar = Buffer.concat([sofar, message]);
      const received = await conn.readBytes(sofar.length, 3000);
      expectBytes(received.data, sofar, {
        did: `a client sent 3 messages one after the other on one open connection to ${server.where}, waiting for each echo before sending the next`,
        sent: sofar,
        what: `The echo of the messages so far did not come back: ${howItEnded(received, 3000)}.`,
        hint: 'echo inside a loop: while True: data = conn.recv(4096); if not data: break; conn.sendall(data). One recv() per client (as in the lecture) echoes only the first message, and waiting for EOF before echoing leaves the client waiting',
      });
    }
  });

  check({ id: 'large', points: 2, title: 'echoes 1 MiB intact' }, async (t) => {
    const server = await t.startServer('tcp');
    // The test client reads while it writes: an echo server blocks once nobody reads its replies.
    await echoes(server, pseudoRandomBytes(MiB), {
      who: 'a client',
      timeoutMs: 15_000,
      hint: 'loop until recv() returns b"", sendall() every chunk (send() may send only part of it), and keep bytes as bytes',
    });
  });

  check({ id: 'half-close', points: 1, title: "closes the connection after the client's EOF" }, async (t) => {
    const server = await t.startServer('tcp');
    const conn = await connect(server, 'a client');
    const payload = Buffer.from('last words');
    await conn.write(payload);
    conn.end();
    const received = await conn.readUntilEnd(3000);
    expectBytes(received.data, payload, {
      did: `a client sent ${JSON.stringify(payload.toString())} to ${server.where} and shut down its sending side (EOF)`,
      sent: payload,
      what: `The echo is not what was sent: ${howItEnded(received, 3000)}.`,
      hint: 'keep echoing until recv() returns b""',
    });
    if (!received.ended) {
      fail(`The server did not close the connection within 3 s of the client's EOF: ${howItEnded(received, 3000)}.`, {
        did: `a client sent ${JSON.stringify(payload.toString())} to ${server.where}, shut down its sending side and waited for the server to close`,
        hint: 'recv() returning b"" means the client is done: close the connection (conn.close(), or a with block) before the next accept()',
      });
    }
  });

  check({ id: 'sequential', points: 2, title: 'serves three clients one after another' }, async (t) => {
    const server = await t.startServer('tcp');
    for (let i = 1; i <= 3; i++) {
      const conn = await echoes(server, Buffer.from(`client ${i} says hello`), {
        who: `client ${i} of 3`,
        hint: 'after a client is done, go back to accept() for the next one: while True: conn, addr = s.accept() ...',
      });
      conn.close();
    }
  });

  check({ id: 'queued-clients', points: 2, title: 'six clients connecting at once are all served in turn (backlog of at least 5)' }, async (t) => {
    const server = await t.startServer('tcp');
    const first = await connect(server, 'the first client');
    // While the first client holds the server, the next five wait in the listen queue.
    const attempts = await Promise.allSettled(Array.from({ length: 5 }, () => TcpConnection.open(server, 3000)));
    const queued = attempts.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
    if (queued.length < 5) {
      fail(`Only ${queued.length} of 5 clients could connect while a first client was connected to the server.`, {
        did: `one client connected to ${server.where} and stayed connected; 5 more tried to connect at once and waited up to 3 s`,
        hint: 'the listen backlog is the number of connections the kernel queues while you serve a client: s.listen(5), not listen(1) or listen(0)',
      });
    }
    const clients = [first, ...queued];
    const messages = clients.map((_, i) => Buffer.from(`queued client ${i} here`));
    clients.forEach((conn, i) => {
      void conn.write(messages[i]);
      conn.end();
    });
    const received = await Promise.all(clients.map((conn, i) => conn.readBytes(messages[i].length, 8000)));
    received.forEach((got, i) => {
      expectBytes(got.data, messages[i], {
        did: `6 clients connected to ${server.where} at once, then each sent one message and shut down its sending side`,
        sent: messages[i],
        what: `Client ${i} of 6 did not get its echo: ${howItEnded(got, 8000)}.`,
        hint: 'serve the queued clients one after the other: close each connection after its EOF and accept() the next',
      });
    });
  });

  check({ id: 'client-reset', points: 1, title: 'keeps serving after a client resets the connection mid-stream' }, async (t) => {
    const server = await t.startServer('tcp');
    const rude = await connect(server, 'a client');
    void rude.write(lowercaseText(MiB));
    const echoed = await rude.readBytes(64 * 1024, 3000); // the server is now busy echoing
    // Node cannot reset a socket whose sending side is already shut down (it would leak the handle):
    // a server that closed first has ended this connection anyway.
    if (echoed.ended || echoed.error || rude.socket.writableEnded) rude.close();
    else rude.reset();
    if (server.program.exit) {
      fail(`The server ${server.program.describeExit()} after a client reset the connection in the middle of its echo.`, {
        did: `a client sent 1 MiB to ${server.where}, read the first 64 KiB of the echo, then reset the connection (RST)`,
        hint: 'sendall() and recv() raise ConnectionResetError / BrokenPipeError when the client resets: catch OSError around each client and go back to accept()',
      });
    }
    await probe(server);
  });

  check({ id: 'restart', points: 1, title: 'can be restarted on the same port right after serving a client (SO_REUSEADDR)' }, async (t) => {
    const server = await t.startServer('tcp');
    const conn = await connect(server, 'a client');
    // Until the server accept()s it, the connection only waits in the listen queue (empty queue = accepted).
    const accepted = await waitForSockets(server.port, (sockets) => sockets.some((s) => s.state === LISTEN && s.rxQueue === 0), 3000);
    // Not seen accepted: its echo proves it was (a connection killed in the listen queue leaves no TIME_WAIT to test).
    if (accepted !== true) await echoes(server, Buffer.from('before the restart'), { who: 'a client', end: false, hint: 'echo what the client sends', on: conn });
    // Stopped while a client is connected, the server's side of that connection closes first and,
    // once the client closes too, lingers in TIME_WAIT for a minute, holding the port.
    await server.program.kill();
    await conn.readUntilEnd(2000);
    conn.close();
    await waitForSockets(server.port, (sockets) => sockets.some((s) => s.state === TIME_WAIT), 2000);
    const again = t.start([server.host, String(server.port)]);
    try {
      await waitForListener(again, { protocol: 'tcp', host: server.host, port: server.port }, 5000);
    } catch (error) {
      if (!(error instanceof NotReadyError)) throw error;
      fail(`The server could not be restarted on port ${server.port}: ${again.exit ? `it ${again.describeExit()} (see its output below)` : 'it did not listen within 5 s'}.`, {
        did: `served a client on ${server.where}, was stopped while the client was connected, the client closed, and the server was started again on the same port at once`,
        hint: 'the old connection is in TIME_WAIT and bind() fails with "Address already in use": set s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1) before bind()',
      });
    }
    await probe({ ...server, program: again });
  });

  check({ id: 'ipv6', points: 1, title: 'works over IPv6 (::1)' }, async (t) => {
    const server = await t.startServer('tcp', '::1');
    await echoes(server, Buffer.from('over IPv6'), { who: 'a client', hint: 'pick the address family from HOST: AF_INET6 when it contains ":" (or use getaddrinfo)' });
  });

  silentAndResettingClients(check, probe);
  portInUse(check, 'tcp');
});
