import { TcpConnection } from './harness/clients';
import { allByteValues, asciiUpper, lowercaseText } from './harness/data';
import { exercise } from './harness/exercise';
import type { Probe } from './harness/server-checks';
import { portInUse, silentAndResettingClients } from './harness/server-checks';
import { exchange, idleTimeoutCheck, judgeReply, slices } from './harness/stream-checks';

const READ_LINES = 'read lines with conn.makefile("rb") and readline() (or `for line in file`): one recv() is not one line';

exercise('tcp-line-server', ({ check }) => {
  const lines = (text: string) => Buffer.from(text, 'latin1');

  check({ id: 'several-lines', points: 2, title: 'answers several lines sent in one write, each uppercased' }, async (t) => {
    const server = await t.startServer('tcp');
    await exchange(server, [lines('one\ntwo\nthree\n')], lines('ONE\nTWO\nTHREE\n'), {
      what: 'The replies are not the three lines uppercased.',
      hint: `${READ_LINES}; one recv() may hold several lines, and a fresh makefile() per line loses what the previous one had buffered`,
    });
  });

  check({ id: 'split-line', points: 2, title: 'answers a line that arrives in several writes as one line' }, async (t) => {
    const server = await t.startServer('tcp');
    const pieces = ['a line se', 'nt in thr', 'ee pieces\n'].map(lines);
    await exchange(server, pieces, lines('A LINE SENT IN THREE PIECES\n'), {
      pauseMs: 200,
      what: 'The reply is not the one line uppercased.',
      hint: `${READ_LINES}; splitting each recv() on "\\n" answers pieces of lines`,
    });
  });

  check({ id: 'crlf', points: 1, title: 'accepts \\r\\n as an end of line and replies with \\n only' }, async (t) => {
    const server = await t.startServer('tcp');
    await exchange(server, [lines('a windows line\r\n')], lines('A WINDOWS LINE\n'), {
      what: 'The reply is not the line uppercased with a single "\\n".',
      hint: 'remove the end of line before uppercasing: "\\n", and a "\\r" just before it; reply with the line plus "\\n"',
    });
  });

  check({ id: 'last-line', points: 1, title: 'answers a last line that has no newline before EOF' }, async (t) => {
    const server = await t.startServer('tcp');
    await exchange(server, [lines('first\nlast without newline')], lines('FIRST\nLAST WITHOUT NEWLINE\n'), {
      what: 'The replies are not both lines uppercased, each with "\\n".',
      hint: 'at EOF, a non-empty last line without "\\n" is still a line: readline() returns it without the newline (do not cut its last byte with line[:-1])',
    });
  });

  check({ id: 'long-line', points: 2, title: 'answers a 64 KiB line' }, async (t) => {
    const server = await t.startServer('tcp');
    // 64 KiB before the newline: more than any single read returns (Node reads at most 64 KiB).
    const line = Buffer.concat([lowercaseText(64 * 1024), lines('\n')]);
    await exchange(server, slices(line, 8 * 1024), asciiUpper(line), {
      describe: 'in writes of 8 KiB while reading the reply',
      timeoutMs: 5000,
      what: 'The reply is not the 64 KiB line uppercased.',
      hint: `${READ_LINES}; keep the part of a line already received until its "\\n" arrives, and send with sendall()`,
    });
  });

  check({ id: 'empty-line', points: 1, title: 'answers an empty line with an empty line and goes on' }, async (t) => {
    const server = await t.startServer('tcp');
    await exchange(server, [lines('before\n\nafter\n')], lines('BEFORE\n\nAFTER\n'), {
      what: 'The replies are not the three lines (the middle one empty) uppercased.',
      hint: 'an empty line ("\\n" alone) is answered with "\\n"; only EOF (readline() returning b"") ends the session',
    });
  });

  check({ id: 'line-by-line', points: 2, title: 'answers each line as soon as it arrives, before the client closes' }, async (t) => {
    const server = await t.startServer('tcp');
    const conn = await TcpConnection.open(server);
    const limit = 1500;
    let sent = Buffer.alloc(0);
    for (const line of ['first line\n', 'second line\n'].map(lines)) {
      await conn.write(line);
      sent = Buffer.concat([sent, line]);
      const expected = asciiUpper(sent);
      const received = await conn.waitFor((data) => data.length >= expected.length, limit);
      judgeReply(received, expected, {
        did: `connected to ${server.where}; sent one line at a time, waiting up to ${limit / 1000} s for each reply, without closing the connection`,
        sent,
        what: 'A line was not answered while the connection stayed open.',
        hint: `answer each line as soon as it is complete: a server that reads until EOF (recv until b"", file.read()) never answers a client waiting for its reply; ${READ_LINES}`,
        timeoutMs: limit,
      });
    }
  });

  check({ id: 'all-bytes', points: 1, title: 'leaves every byte except a-z unchanged' }, async (t) => {
    const server = await t.startServer('tcp');
    const body = allByteValues().filter((b) => b !== 0x0a && b !== 0x0d);
    const line = Buffer.concat([body, lines('\n')]);
    await exchange(server, [line], asciiUpper(line), {
      what: 'The reply is not the line with a-z uppercased and every other byte unchanged.',
      hint: 'work on bytes (makefile("rb"), bytes.upper()): text mode decodes UTF-8, which fails on invalid bytes, and str.upper() changes non-ASCII letters',
    });
  });

  check({ id: 'keeps-spaces', points: 1, title: 'keeps the spaces and tabs at both ends of a line' }, async (t) => {
    const server = await t.startServer('tcp');
    await exchange(server, [lines('  indented,\ttabbed and trailing \t \n')], lines('  INDENTED,\tTABBED AND TRAILING \t \n'), {
      what: 'The reply is not the line uppercased with its spaces and tabs.',
      hint: 'strip() removes spaces and tabs too: remove only the end of line ("\\n", or "\\r\\n")',
    });
  });

  idleTimeoutCheck(check, lines('is anybody there?\n'), lines('IS ANYBODY THERE?\n'));

  const probe: Probe = (server) =>
    exchange(server, [lines('are you still there?\n')], lines('ARE YOU STILL THERE?\n'), {
      what: 'After those clients, a normal client did not get its line uppercased.',
      hint: 'serve each client in a try/except and go back to accept() whatever happened to it',
    });
  silentAndResettingClients(check, probe);
  portInUse(check, 'tcp');
});
