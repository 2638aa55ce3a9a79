import { asciiUpper } from './harness/data';
import { exercise, sharedObservation, type CheckRun, type RunResult } from './harness/exercise';
import { fail, showBytes } from './harness/expect';
import { LOCALHOST_ADDRESSES, UdpTestServer, type Heard, type UdpServerScript } from './harness/peers';

const MESSAGE = 'Hello, UDP server';
const REPLY = asciiUpper(MESSAGE).toString();
/** The client gives up after 4 tries of 1 s: ~4 s. Past this it is treated as hanging. */
const GIVE_UP_LIMIT_MS = 8000;

interface Exchange {
  server: UdpTestServer;
  result: RunResult;
  host: string;
}

/** Starts a test server playing `script`, runs the client against it, and waits until every datagram it sent was read. */
async function exchange(t: CheckRun, script: UdpServerScript, options: { host?: string; listenOn?: string[] } = {}): Promise<Exchange> {
  const host = options.host ?? '127.0.0.1';
  const server = await UdpTestServer.start(script, options.listenOn ?? [host]);
  const result = await t.run([host, String(server.port), MESSAGE], GIVE_UP_LIMIT_MS);
  await server.settle();
  return { server, result, host };
}

function ran(e: Exchange, what: string): string {
  return `ran udp-client ${e.host} ${e.server.port} ${JSON.stringify(MESSAGE)} against a test server on ${e.server.where} that ${what}`;
}

function outcome(result: RunResult): string {
  if (result.timedOut) return `it was still running after ${GIVE_UP_LIMIT_MS / 1000} s and was stopped`;
  return `it ${result.program.describeExit()} after ${(result.ms / 1000).toFixed(1)} s`;
}

function datagramsLine(heard: Heard[]): string {
  if (heard.length === 0) return 'the test server received no datagram';
  const start = heard[0].at;
  return `the test server received ${heard.length} datagram(s), at ${heard.map((h) => `${((h.at - start) / 1000).toFixed(2)} s`).join(', ')}`;
}

/** The client must exit 0 having printed a line containing `received <reply>` (and only the real reply). */
function expectReplyPrinted(e: Exchange, what: string, hint: string, decoy?: string): void {
  const stdout = e.result.stdout;
  const line = stdout.split(/\r?\n/).find((l) => l.includes(`received ${REPLY}`));
  const printedDecoy = decoy !== undefined && stdout.includes(decoy);
  if (line && !printedDecoy && e.result.exit?.code === 0) return;
  const problem = printedDecoy
    ? 'The client printed the decoy datagram, which came from another port, as if it were the reply.'
    : !line
      ? `The client did not print a line containing ${JSON.stringify(`received ${REPLY}`)}.`
      : `The client printed the reply but ${outcome(e.result)} (expected exit code 0).`;
  fail(problem, {
    did: ran(e, what),
    details: [datagramsLine(e.server.heard), outcome(e.result), `stdout:   ${showBytes(Buffer.from(stdout), 300)}`],
    hint,
  });
}

exercise('udp-client', ({ check }) => {
  check({ id: 'prints-reply', points: 2, title: 'sends MESSAGE as one datagram and prints the reply' }, async (t) => {
    const e = await exchange(t, { reply: asciiUpper });
    const first = e.server.heard[0];
    if (first && !first.data.equals(Buffer.from(MESSAGE))) {
      fail('The datagram the test server received is not exactly MESSAGE.', {
        did: ran(e, 'answers every datagram with it uppercased'),
        details: [`expected: ${showBytes(Buffer.from(MESSAGE))}`, `received: ${showBytes(first.data)}`],
        hint: 'send MESSAGE.encode() as it is: no added newline, quotes or prefix',
      });
    }
    expectReplyPrinted(
      e,
      'answers every datagram with it uppercased',
      `print("received", data.decode()): printing the bytes object itself shows b'...', and the line must contain "received ${REPLY}"`,
    );
  });

  check({ id: 'retransmits', points: 2, title: 'retransmits when the first datagram is lost' }, async (t) => {
    const e = await exchange(t, { dropFirst: 1, reply: asciiUpper });
    expectReplyPrinted(
      e,
      'ignores the first datagram (as if it were lost) and answers the next one',
      'UDP does not retransmit for you: settimeout(1), and on socket.timeout send MESSAGE again (4 tries in all)',
    );
  });

  // One observation of a client whose server never answers, judged by three checks below.
  const observeNoAnswer = sharedObservation((t: CheckRun) => exchange(t, { dropFirst: Infinity }));
  const judgeNoAnswer = async (t: CheckRun) => {
    const e = await observeNoAnswer(t);
    if (!t.launched.includes(e.result.program)) t.launched.push(e.result.program); // so failures show its output
    return e;
  };
  const SILENT = 'never answers';

  check({ id: 'gives-up', points: 2, title: 'gives up when nobody answers: exit code 1 and "timeout" on stderr' }, async (t) => {
    const e = await judgeNoAnswer(t);
    const { result } = e;
    const details = [datagramsLine(e.server.heard), outcome(result), `stderr:   ${showBytes(Buffer.from(result.stderr), 300)}`];
    if (result.timedOut || result.exit?.code !== 1) {
      fail(result.timedOut ? 'The client never gave up.' : 'The client did not exit with code 1 after giving up.', {
        did: ran(e, SILENT),
        details,
        hint: 'after the 4th try times out, print the error to stderr and sys.exit(1)',
      });
    }
    if (!/timeout/i.test(result.stderr)) {
      fail('The client gave up without the word "timeout" on stderr.', {
        did: ran(e, SILENT),
        details,
        hint: 'print(f"timeout: no reply from {host}:{port}", file=sys.stderr): the socket.timeout exception itself only says "timed out"',
      });
    }
  });

  check({ id: 'four-tries', points: 1, title: 'sends exactly 4 datagrams when nobody answers' }, async (t) => {
    const e = await judgeNoAnswer(t);
    const count = e.server.heard.length;
    if (count !== 4) {
      fail(`The client sent ${count} datagram${count === 1 ? '' : 's'}; the contract asks for 4 tries (the first send and 3 retransmissions).`, {
        did: ran(e, SILENT),
        details: [datagramsLine(e.server.heard), outcome(e.result)],
        hint: count > 4 ? 'count the sends and stop after the 4th: for attempt in range(4)' : 'retransmit after each 1-s timeout until 4 datagrams have been sent',
      });
    }
  });

  check({ id: 'retry-interval', points: 1, title: 'waits about 1 s for a reply before each retransmission' }, async (t) => {
    const e = await judgeNoAnswer(t);
    const heard = e.server.heard;
    const gaps = heard.slice(1).map((h, i) => h.at - heard[i].at);
    // Wide bounds: the client's waits are ~1 s, and the rest is scheduling noise. A datagram read late
    // because the grader was held back by load makes the gap before it longer and the one after it
    // shorter: that time (Heard.held) is allowed for, in both directions.
    const heldBetween = (i: number) => (i > 0 ? heard[i].held - heard[i - 1].held : 0);
    const wrong = gaps.filter((gap, i) => gap + heldBetween(i) < 500 || gap - heldBetween(i + 1) > 2500);
    if (wrong.length > 0) {
      fail(`The time between tries was ${gaps.map((g) => `${(g / 1000).toFixed(2)} s`).join(', ')}; each should be about 1 s.`, {
        did: ran(e, SILENT),
        details: [datagramsLine(heard)],
        hint: 'settimeout takes seconds: s.settimeout(1.0), then retransmit when recvfrom raises socket.timeout',
      });
    }
  });

  check({ id: 'ignores-other-port', points: 2, title: 'ignores a datagram from another port and prints the real reply' }, async (t) => {
    const decoy = 'DECOY FROM ANOTHER PORT';
    const e = await exchange(t, { reply: asciiUpper, decoy: Buffer.from(decoy), decoyLeadMs: 300 });
    expectReplyPrinted(
      e,
      `first sends the decoy ${JSON.stringify(decoy)} from another port, then the real reply 0.3 s later`,
      'compare the address recvfrom returns with the server\'s (host, port) and keep waiting if it differs, or connect() the socket to the server so the OS filters for you',
      decoy,
    );
  });

  check({ id: 'localhost', points: 1, title: 'accepts a host name: localhost' }, async (t) => {
    const e = await exchange(t, { reply: asciiUpper }, { host: 'localhost', listenOn: LOCALHOST_ADDRESSES });
    expectReplyPrinted(
      e,
      'answers every datagram with it uppercased',
      'the reply comes from an address (127.0.0.1), never from the name "localhost": compare with the resolved address (socket.getaddrinfo), or connect() the socket',
    );
  });

  check({ id: 'ipv6', points: 1, title: 'works over IPv6 (::1)' }, async (t) => {
    const e = await exchange(t, { reply: asciiUpper }, { host: '::1' });
    expectReplyPrinted(
      e,
      'answers every datagram with it uppercased',
      'use AF_INET6 when HOST contains ":" (or take the family from getaddrinfo); recvfrom then returns a 4-tuple address (host, port, flowinfo, scope_id)',
    );
  });
});
