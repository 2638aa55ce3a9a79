import { asciiUpper, lowercaseText } from './harness/data';
import { exercise, type CheckRun, type RunResult } from './harness/exercise';
import { fail, showBytes } from './harness/expect';
import { answerAfterEof, answerOnRequest, LOCALHOST_ADDRESSES, neverAnswer, TcpTestServer, type Serve } from './harness/peers';

const MESSAGE = 'Hello, TCP server';
/** A client that gives up after 2 s without progress ends well before this; past it, it hangs. */
const RUN_LIMIT_MS = 7000;

interface Exchange {
  server: TcpTestServer;
  result: RunResult;
  host: string;
  /** What the test server does, for messages. */
  plays: string;
}

async function exchange(t: CheckRun, serve: Serve, plays: string, options: { host?: string; listenOn?: string[] } = {}): Promise<Exchange> {
  const host = options.host ?? '127.0.0.1';
  const server = await TcpTestServer.start(serve, options.listenOn ?? [host]);
  const result = await t.run([host, String(server.port), MESSAGE], RUN_LIMIT_MS);
  return { server, result, host, plays };
}

function ran(e: { host: string; server: { port: number; where: string }; plays: string }): string {
  return `ran tcp-client ${e.host} ${e.server.port} ${JSON.stringify(MESSAGE)} against a test server on ${e.server.where} that ${e.plays}`;
}

function outcome(result: RunResult): string {
  if (result.timedOut) return `it was still running after ${RUN_LIMIT_MS / 1000} s and was stopped`;
  return `it ${result.program.describeExit()} after ${(result.ms / 1000).toFixed(1)} s`;
}

/** Long text in a message: quoted in full when short, else its start and its length. */
function quote(text: string): string {
  return text.length <= 100 ? JSON.stringify(text) : `${JSON.stringify(text.slice(0, 60))}... (${text.length} characters in all)`;
}

function whatServerGot(server: TcpTestServer): string {
  const client = server.clients[0];
  if (!client) return 'no connection reached it';
  return `${quote(client.received.toString('latin1'))}${client.ended ? ', then EOF' : ' and no EOF (the client did not shut down its sending side)'}`;
}

/** The client must exit 0 having printed a line containing `Received <reply>`, the whole reply. */
function expectReplyPrinted(e: Exchange, reply: Buffer, hint: string): void {
  const expected = `Received ${reply.toString('latin1')}`;
  const stdout = e.result.stdout;
  const line = stdout.split(/\r?\n/).find((l) => l.includes(expected));
  if (line && e.result.exit?.code === 0) return;
  const printed = stdout.split(/\r?\n/).find((l) => l.includes('Received'));
  fail(line ? `The client printed the reply but ${outcome(e.result)} (expected exit code 0).` : 'The client did not print the whole reply.', {
    did: ran(e),
    details: [
      `expected a line containing: ${quote(expected)}`,
      `its "Received" line:        ${printed === undefined ? 'none' : quote(printed)}`,
      `the test server received:   ${whatServerGot(e.server)}`,
      outcome(e.result),
    ],
    hint,
  });
}

const TRACEBACK = /Traceback \(most recent call last\)|^\s+at .+:\d+:\d+\)?$/m;

/** Exit code 1 and a short message on stderr (not a stack trace), within the run limit. */
function expectCleanError(e: Parameters<typeof ran>[0] & { result: RunResult }, situation: string, hint: string): void {
  const { result } = e;
  const stderr = result.stderr.trim();
  const wrong = result.timedOut
    ? `When ${situation}, the client hung: it was still running after ${RUN_LIMIT_MS / 1000} s.`
    : result.exit?.code !== 1
      ? `When ${situation}, the client ${result.program.describeExit()}; it must exit with code 1.`
      : stderr === ''
        ? `When ${situation}, the client exited with code 1 but printed nothing on stderr; it must say what went wrong.`
        : TRACEBACK.test(stderr)
          ? `When ${situation}, the client crashed with a stack trace; it should print a one-line error on stderr instead.`
          : undefined;
  if (!wrong) return;
  fail(wrong, {
    did: ran(e),
    details: [outcome(result), `stderr:   ${showBytes(Buffer.from(stderr), 400)}`],
    hint,
  });
}

exercise('tcp-client', ({ check }) => {
  check({ id: 'prints-reply', points: 2, title: 'sends MESSAGE and prints the reply' }, async (t) => {
    const reply = asciiUpper(MESSAGE);
    const e = await exchange(t, answerOnRequest(MESSAGE.length, [reply]), 'answers with the message uppercased as soon as it has it, then closes');
    const request = e.server.firstRequest;
    if (e.server.clients.length > 0 && !request.equals(Buffer.from(MESSAGE))) {
      fail('What the test server received is not exactly MESSAGE.', {
        did: ran(e),
        details: [`expected: ${showBytes(Buffer.from(MESSAGE))}`, `received: ${showBytes(request)}`, outcome(e.result)],
        hint: 'send MESSAGE.encode() with sendall(): no added newline, quotes or prefix',
      });
    }
    expectReplyPrinted(e, reply, `print("Received", data.decode()): printing the bytes object itself shows b'...'`);
  });

  check({ id: 'fragments', points: 2, title: 'prints the whole reply when it arrives in fragments with pauses' }, async (t) => {
    const fragments = ['THE REPLY ', 'COMES IN ', 'FOUR PIECES ', 'WITH PAUSES'].map((f) => Buffer.from(f));
    const e = await exchange(t, answerOnRequest(MESSAGE.length, fragments, 700), 'writes its reply in 4 fragments, 0.7 s apart, then closes');
    expectReplyPrinted(
      e,
      Buffer.concat(fragments),
      'TCP is a stream: one recv() returns whatever has arrived so far. Loop on recv() until it returns b"" (the server closed), and wait 2 s per recv, not 2 s in all',
    );
  });

  check({ id: 'long-reply', points: 1, title: 'prints a reply longer than 1024 bytes' }, async (t) => {
    const reply = Buffer.concat([Buffer.from('LONG REPLY '), lowercaseText(5000), Buffer.from(' END')]);
    const e = await exchange(t, answerOnRequest(MESSAGE.length, [reply]), `writes a ${reply.length}-byte reply at once, then closes`);
    expectReplyPrinted(e, reply, 'recv(1024) returns at most 1024 bytes: keep calling recv() until it returns b""');
  });

  check({ id: 'half-close', points: 2, title: 'shuts down its sending side, for a server that answers only after EOF' }, async (t) => {
    const e = await exchange(t, answerAfterEof((request) => asciiUpper(request)), 'reads until EOF, then answers with what it read uppercased and closes');
    expectReplyPrinted(
      e,
      asciiUpper(MESSAGE),
      'after sendall(MESSAGE), call s.shutdown(socket.SHUT_WR): the server then sees EOF and knows the request is complete, while you can still read its reply',
    );
  });

  check({ id: 'refused', points: 1, title: 'connection refused: exit code 1 and a clear message' }, async (t) => {
    const port = await t.closedPort();
    const result = await t.run(['127.0.0.1', String(port), MESSAGE], RUN_LIMIT_MS);
    expectCleanError(
      { host: '127.0.0.1', server: { port, where: `TCP 127.0.0.1:${port}` }, plays: 'does not exist (nothing listens on that port)', result },
      'nothing listens on the port',
      'catch ConnectionRefusedError (OSError) around connect(), print e.g. "connection refused by HOST:PORT" to stderr and sys.exit(1)',
    );
  });

  check({ id: 'silent-server', points: 1, title: 'gives up with exit code 1 when the server never answers' }, async (t) => {
    const e = await exchange(t, neverAnswer(), 'accepts the connection, reads, and never answers nor closes');
    expectCleanError(e, 'the server accepts but never answers', 's.settimeout(2) before connect(); catch socket.timeout, print an error to stderr and sys.exit(1)');
  });

  check({ id: 'localhost', points: 1, title: 'accepts a host name: localhost' }, async (t) => {
    const reply = asciiUpper(MESSAGE);
    const e = await exchange(t, answerOnRequest(MESSAGE.length, [reply]), 'answers with the message uppercased, then closes', {
      host: 'localhost',
      listenOn: LOCALHOST_ADDRESSES,
    });
    expectReplyPrinted(e, reply, 'HOST may be a name: socket.create_connection((host, port)) (or getaddrinfo) resolves it; do not parse it as an IP address');
  });

  check({ id: 'ipv6', points: 1, title: 'works over IPv6 (::1)' }, async (t) => {
    const reply = asciiUpper(MESSAGE);
    const e = await exchange(t, answerOnRequest(MESSAGE.length, [reply]), 'answers with the message uppercased, then closes', { host: '::1' });
    expectReplyPrinted(e, reply, 'an AF_INET socket cannot reach ::1: use socket.create_connection((host, port)), or AF_INET6 when HOST contains ":"');
  });
});
