import { TcpConnection, type Received } from './harness/clients';
import { asciiUpper, lowercaseText } from './harness/data';
import { exercise, type ServerHandle } from './harness/exercise';
import { expectBytes, fail, showBytes } from './harness/expect';
import { connectOrFail, portInUse, serverEnded, silentAndResettingClients } from './harness/server-checks';

const MAX_LENGTH = 1024 * 1024;

/** A message as the protocol frames it: 4-byte big-endian length, then the payload. */
function frame(payload: Buffer | string): Buffer {
  const body = Buffer.from(payload);
  return Buffer.concat([lengthHeader(body.length), body]);
}

function lengthHeader(length: number): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(length);
  return header;
}

function hex4(header: Buffer): string {
  return [...header].map((b) => b.toString(16).padStart(2, '0')).join(' ');
}

const NETWORK_ORDER_HINT =
  "the length is 4 bytes in network byte order (big-endian): struct.unpack('!I', header) to read it and " +
  "struct.pack('!I', len(reply)) to write it (or int.from_bytes(header, 'big')); '<I' or a plain 'I' is little-endian on this machine";

/** Says what a reply that went wrong most likely means, from what came back and how the wait ended. */
function whatHappened(got: Received, expected: Buffer, seconds: number): string {
  if (got.data.length === 0) {
    if (got.error) return `The connection was reset (${got.error}) and nothing came back.`;
    if (got.ended) return 'The server closed the connection without replying.';
    return `Nothing came back within ${seconds} s.`;
  }
  if (got.data.length >= 4 && expected.length >= 4 && got.data.readUInt32LE(0) === expected.readUInt32BE(0) && expected.readUInt32BE(0) !== expected.readUInt32LE(0)) {
    return `The reply's length header ${hex4(got.data.subarray(0, 4))} is little-endian: it must be in network byte order (${hex4(expected.subarray(0, 4))}).`;
  }
  if (got.data.length >= 4 && expected.length >= 4 && got.data.readUInt32BE(0) < expected.readUInt32BE(0)) {
    return `The first reply announces ${got.data.readUInt32BE(0)} bytes where the message had ${expected.readUInt32BE(0)}: only part of the payload was read (one recv() returns what has arrived so far).`;
  }
  if (got.data.length < expected.length) return `Only ${got.data.length} of the ${expected.length} expected bytes came back${got.ended ? ' before the server closed the connection' : ` within ${seconds} s`}.`;
  return 'The replies are not what was expected.';
}

/**
 * When the server dropped the connection on a header that is within the limit but over it when read
 * little-endian (00 00 00 03 -> 50331648), byte order is the likely cause whatever the check is about.
 */
function littleEndianSuspicion(got: Received, sent: Buffer | undefined): string {
  if (got.data.length > 0 || !(got.ended || got.error) || !sent || sent.length < 4) return '';
  const bigEndian = sent.readUInt32BE(0);
  const littleEndian = sent.readUInt32LE(0);
  if (bigEndian > MAX_LENGTH || littleEndian <= MAX_LENGTH) return '';
  return `\n  Read little-endian, the header ${hex4(sent.subarray(0, 4))} would be ${littleEndian}, over the limit: is the length read with '<I' or 'I' instead of '!I' (network byte order)?`;
}

interface Exchange {
  server: ServerHandle;
  /** One line saying what was sent, for the failure message. */
  did: string;
  sent?: Buffer;
  hint: string;
  timeoutMs?: number;
}

/** Waits until `expected` (whole framed replies) has arrived and fails, explaining, unless it is exactly that. */
async function expectReplies(conn: TcpConnection, expected: Buffer, how: Exchange): Promise<void> {
  const timeoutMs = how.timeoutMs ?? 3000;
  const already = conn.data.length;
  const got = await conn.waitFor((data) => data.length >= already + expected.length, timeoutMs);
  const replies = got.data.subarray(already);
  if (replies.equals(expected)) return;
  expectBytes(replies, expected, {
    did: how.did,
    sent: how.sent,
    what: whatHappened({ ...got, data: replies }, expected, timeoutMs / 1000) + (await whyClosed({ ...got, data: replies }, how)),
    hint: how.hint,
  });
}

/**
 * Why the server closed a connection it should have answered: it died (wait a moment for its exit, so
 * its last output arrives too), or, still running, it may have read the length little-endian.
 */
async function whyClosed(got: Received, how: Exchange): Promise<string> {
  if (!(got.ended || got.error)) return '';
  if (await how.server.program.waitForExit(500)) return `\n  ${serverEnded(how.server.program, KEEP_SERVING)}`;
  return littleEndianSuspicion(got, how.sent);
}

const KEEP_SERVING = 'it must keep serving clients until it is killed.';

async function connect(server: ServerHandle, why: string): Promise<TcpConnection> {
  const conn = await connectOrFail(server, () => TcpConnection.open(server), why, KEEP_SERVING);
  conn.socket.setNoDelay(true); // writes leave at once, so split writes really arrive split
  return conn;
}

/** A fresh client sends one message and must get its reply: proof that the server still serves. */
async function stillServes(server: ServerHandle, after: string): Promise<void> {
  const conn = await connect(server, `as a new client ${after}`);
  const message = Buffer.from('still serving?');
  await conn.write(frame(message));
  await expectReplies(conn, frame(asciiUpper(message)), {
    server,
    did: `${after}, a new client connected to ${server.where} and sent one message`,
    sent: frame(message),
    hint: 'after a client is done (or misbehaves), close that connection and go back to accept() for the next one',
  });
  conn.close();
}

/** Waits for the server to close a connection it must close, and fails if anything came back on it. */
async function expectClosedWithoutReply(conn: TcpConnection, how: Exchange & { afterReplies?: Buffer; mustClose: boolean }): Promise<void> {
  const timeoutMs = how.timeoutMs ?? 3000;
  const got = await conn.readUntilEnd(timeoutMs);
  const allowed = how.afterReplies ?? Buffer.alloc(0);
  const extra = got.data.subarray(allowed.length);
  if (!got.data.subarray(0, allowed.length).equals(allowed)) {
    const what = whatHappened(got, allowed, timeoutMs / 1000) + (await whyClosed(got, how));
    expectBytes(got.data, allowed, { did: how.did, sent: how.sent, what, hint: how.hint });
  }
  if (extra.length > 0) {
    fail('The server replied where it must not.', {
      did: how.did,
      sent: how.sent,
      details: [`expected: ${allowed.length ? `only the reply ${showBytes(allowed)}` : 'no reply at all'}`, `received after that: ${showBytes(extra).replace(/\n/g, '\n  ')}`],
      hint: how.hint,
    });
  }
  if (how.mustClose && got.timedOut) {
    fail(`The server did not close the connection within ${timeoutMs / 1000} s.`, { did: how.did, sent: how.sent, hint: how.hint });
  }
}

/** Writes `pieces` one after another with a pause between them (the pause is the stimulus, not a wait). */
async function writeInPieces(conn: TcpConnection, pieces: Buffer[], pauseMs: number): Promise<void> {
  for (const [i, piece] of pieces.entries()) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    await conn.write(piece);
  }
}

exercise('tcp-framed-server', ({ check }) => {
  check({ id: 'two-messages', points: 2, title: 'answers "Hi!" and "Hope you\'re well" sent in one write with two framed replies' }, async (t) => {
    const server = await t.startServer('tcp');
    const conn = await connect(server, 'to send two messages');
    const sent = Buffer.concat([frame('Hi!'), frame("Hope you're well")]);
    await conn.write(sent);
    await expectReplies(conn, Buffer.concat([frame('HI!'), frame("HOPE YOU'RE WELL")]), {
      server,
      did: `sent two framed messages in a single write to ${server.where}`,
      sent,
      hint: 'one recv() may return several messages: keep the bytes left over after a message and answer every complete message in them (a while loop, not an if)',
    });
  });

  check({ id: 'byte-at-a-time', points: 2, title: 'answers a message that arrives one byte at a time' }, async (t) => {
    const server = await t.startServer('tcp');
    const conn = await connect(server, 'to send a message slowly');
    const sent = frame('byte by byte');
    await writeInPieces(conn, [...sent].map((b) => Buffer.from([b])), 30);
    await expectReplies(conn, frame('BYTE BY BYTE'), {
      server,
      did: `sent one framed message to ${server.where} one byte per write, 30 ms apart`,
      sent,
      hint: 'recv(4) may return fewer than 4 bytes and recv(n) fewer than n: loop until you have exactly the 4 header bytes, then exactly n payload bytes',
    });
  });

  check({ id: 'split-header', points: 1, title: 'answers messages whose length header is split across writes' }, async (t) => {
    const server = await t.startServer('tcp');
    const conn = await connect(server, 'to send split headers');
    const first = frame('split header');
    const second = frame('another one');
    // The first header arrives in two pieces; the second header is cut after 2 bytes and its rest is only
    // sent once the first reply is back, so the server is certainly waiting in the middle of a header.
    await writeInPieces(conn, [first.subarray(0, 2), Buffer.concat([first.subarray(2), second.subarray(0, 2)])], 150);
    const how = {
      server,
      did: `sent ${hex4(first.subarray(0, 2))}, 150 ms later the rest of the message "split header" and the first 2 bytes of the next header (${hex4(second.subarray(0, 2))}) to ${server.where}`,
      sent: Buffer.concat([first, second.subarray(0, 2)]),
      hint: 'a recv() may end in the middle of the 4-byte header: keep reading until you have all 4 bytes (and keep what follows a message for the next one)',
    };
    await expectReplies(conn, frame('SPLIT HEADER'), how);
    await conn.write(second.subarray(2));
    await expectReplies(conn, frame('ANOTHER ONE'), {
      ...how,
      did: `${how.did}; got the reply, then sent the rest of the second message (${hex4(second.subarray(2, 4))} "another one")`,
      sent: second,
    });
  });

  check({ id: 'empty-message', points: 1, title: 'answers a zero-length message with a zero-length reply and keeps the connection' }, async (t) => {
    const server = await t.startServer('tcp');
    const conn = await connect(server, 'to send an empty message');
    const hint = 'length 0 is a valid message: reply 00 00 00 00. An empty payload is not the end of the connection: only recv() returning b"" means EOF';
    await conn.write(frame(''));
    await expectReplies(conn, frame(''), { server, did: `sent a zero-length message (00 00 00 00) to ${server.where}`, sent: frame(''), hint });
    await conn.write(frame('after the empty one'));
    await expectReplies(conn, frame('AFTER THE EMPTY ONE'), {
      server,
      did: `sent a zero-length message, got its reply, then sent "after the empty one" on the same connection to ${server.where}`,
      sent: frame('after the empty one'),
      hint,
    });
  });

  check({ id: 'max-size', points: 2, title: 'answers a message of exactly 1 MiB (1048576 bytes), the largest allowed' }, async (t) => {
    const server = await t.startServer('tcp');
    const conn = await connect(server, 'to send 1 MiB');
    const payload = lowercaseText(MAX_LENGTH);
    await conn.write(frame(payload));
    await expectReplies(conn, frame(asciiUpper(payload)), {
      server,
      did: `sent one message of 1048576 bytes (header 00 10 00 00) to ${server.where} and waited 10 s for its reply`,
      sent: frame(payload).subarray(0, 40),
      timeoutMs: 10_000,
      hint: 'exactly 1048576 is allowed (only a length over 1048576 is refused), and recv(1048576) returns what has arrived so far, often much less: loop until you have all n bytes, then sendall() the reply',
    });
  });

  check({ id: 'pipelined', points: 1, title: 'answers 1000 pipelined messages, in order' }, async (t) => {
    const server = await t.startServer('tcp');
    const conn = await connect(server, 'to send 1000 messages');
    const messages = Array.from({ length: 1000 }, (_, i) => Buffer.from(`message ${i}${'!'.repeat(i % 7)}`));
    const expected = Buffer.concat(messages.map((m) => frame(asciiUpper(m))));
    await conn.write(Buffer.concat(messages.map((m) => frame(m))));
    const got = await conn.waitFor((data) => data.length >= expected.length, 5000);
    if (got.data.equals(expected)) return;
    const replies = parseFrames(got.data);
    const wrong = replies.findIndex((reply, i) => !reply.equals(asciiUpper(messages[i])));
    const at = wrong >= 0 ? wrong : replies.length;
    fail(`${replies.length === 1000 && wrong < 0 ? 'The replies are followed by unexpected bytes.' : `Reply #${at} (counting from 0) is ${at < replies.length ? 'wrong' : 'missing'}: ${replies.length} of the 1000 replies came back${got.timedOut ? ' within 5 s' : ''}.`}`, {
      did: `sent 1000 framed messages (${JSON.stringify(messages[0].toString())}, ${JSON.stringify(messages[1].toString())}, ... ${JSON.stringify(messages[999].toString())}) back to back in one write to ${server.where}`,
      details: [
        `expected reply #${at}: ${showBytes(frame(asciiUpper(messages[Math.min(at, 999)])))}`,
        `received reply #${at}: ${at < replies.length ? showBytes(frame(replies[at])) : 'nothing'}`,
      ],
      hint: 'answer every complete message in what recv() returned before reading again, in the order they came, and keep any leftover bytes for the next message',
    });
  });

  check({ id: 'network-byte-order', points: 2, title: 'reads and writes the length in network byte order (big-endian)' }, async (t) => {
    const server = await t.startServer('tcp');
    const conn = await connect(server, 'to send a 3-byte message');
    // 00 00 00 03 read little-endian is 50331648: over the limit (closed) or a wait for 48 MiB that never come.
    const sent = frame('abc');
    await conn.write(sent);
    await expectReplies(conn, frame('ABC'), {
      server,
      did: `sent the 3-byte message "abc" with header 00 00 00 03 to ${server.where}; read little-endian, that header says 50331648 (0x03000000)`,
      sent,
      hint: NETWORK_ORDER_HINT,
    });
    const longer = lowercaseText(300);
    await conn.write(frame(longer));
    await expectReplies(conn, frame(asciiUpper(longer)), {
      server,
      did: `then sent a 300-byte message (header 00 00 01 2c) on the same connection`,
      sent: frame(longer).subarray(0, 40),
      hint: `${NETWORK_ORDER_HINT}. All 4 bytes count: 00 00 01 2c is 256 + 44 = 300`,
    });
  });

  check({ id: 'oversize', points: 2, title: 'closes the connection without a reply when a length is over 1 MiB, then serves the next client' }, async (t) => {
    const server = await t.startServer('tcp');
    const hint =
      'check the length as soon as the 4 header bytes are in: over 1048576, close that connection right away (do not try to read the payload) and go back to accept(); read the length unsigned (!I, not !i)';
    for (const length of [MAX_LENGTH + 1, 0xffffffff]) {
      const conn = await connect(server, 'to announce an oversize message');
      const header = lengthHeader(length);
      await conn.write(header);
      await expectClosedWithoutReply(conn, {
        server,
        did: `sent only the header ${hex4(header)} (length ${length}, over the 1048576 limit) to ${server.where} and waited 3 s for the server to close the connection`,
        mustClose: true,
        hint,
      });
      conn.close();
    }
    await stillServes(server, 'after two clients announced lengths 1048577 and 4294967295 and were disconnected');
  });

  check({ id: 'truncated', points: 1, title: 'does not answer a message cut short by EOF, and keeps serving' }, async (t) => {
    const server = await t.startServer('tcp');
    const hint = 'at EOF (recv() returns b"") in the middle of a header or payload, drop the partial message without replying, close the connection and accept the next client';
    const complete = frame('complete one');
    const cutPayload = Buffer.concat([complete, lengthHeader(10), Buffer.from('cut h')]);
    const first = await connect(server, 'to send a truncated message');
    await first.write(cutPayload);
    first.end();
    await expectClosedWithoutReply(first, {
      server,
      did: `sent "complete one", then a header announcing 10 bytes followed by only 5 ("cut h"), then EOF (shutdown SHUT_WR) to ${server.where}`,
      sent: cutPayload,
      afterReplies: frame('COMPLETE ONE'),
      mustClose: false,
      hint,
    });
    first.close();
    const cutHeader = Buffer.from([0x00, 0x00]);
    const second = await connect(server, 'after a truncated message');
    await second.write(cutHeader);
    second.end();
    await expectClosedWithoutReply(second, {
      server,
      did: `a second client sent only 2 header bytes (00 00), then EOF, to ${server.where}`,
      sent: cutHeader,
      mustClose: false,
      hint,
    });
    second.close();
    await stillServes(server, 'after a client whose last message was cut short by EOF, and one that sent half a header');
  });

  check({ id: 'reset-mid-message', points: 1, title: 'survives a client that resets the connection in the middle of a message' }, async (t) => {
    const server = await t.startServer('tcp');
    const conn = await connect(server, 'to start a message');
    await conn.write(frame('first'));
    await expectReplies(conn, frame('FIRST'), { server, did: `sent "first" to ${server.where}`, sent: frame('first'), hint: 'answer each complete message' });
    // The server is now reading this connection: it gets 10 of 100 announced bytes, then the reset.
    await conn.write(Buffer.concat([lengthHeader(100), Buffer.from('only ten b')]));
    conn.reset();
    await stillServes(server, 'after a client announced 100 bytes, sent 10 and reset the connection (RST)');
  });

  silentAndResettingClients(check, (server) => stillServes(server, 'after clients that sent nothing or reset'));
  portInUse(check, 'tcp');
});

/** The complete framed messages at the start of `data` (a trailing partial one is left out). */
function parseFrames(data: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  let offset = 0;
  while (offset + 4 <= data.length) {
    const length = data.readUInt32BE(offset);
    if (offset + 4 + length > data.length) break;
    frames.push(data.subarray(offset + 4, offset + 4 + length));
    offset += 4 + length;
  }
  return frames;
}

