import { endianness } from 'node:os';
import { exercise, type CheckRun, type RunResult } from './harness/exercise';
import { fail } from './harness/expect';

/** What the host's htonl/ntohl (and htons/ntohs) compute: a byte swap on little-endian hosts, nothing on big-endian ones. */
const swapsBytes = endianness() === 'LE';
function convert32(n: number): number {
  if (!swapsBytes) return n;
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32LE(n);
  return bytes.readUInt32BE(0); // htonl(1) = 16777216 here
}

function convert16(n: number): number {
  return swapsBytes ? ((n & 0xff) << 8) | (n >> 8) : n;
}

/** A run of the tool: its arguments and either the line it must print or "error" (exit 2, one line on stderr). */
interface Case {
  args: string[];
  expect: string | 'error';
}

const RUN_TIMEOUT_MS = 5000;

function commandLine(args: string[]): string {
  return ['netutil', ...args.map((a) => (a === '' || /\s/.test(a) ? JSON.stringify(a) : a))].join(' ');
}

/** A traceback (Python) or a stack frame (Node: "    at fn (file.js:1:2)"). */
const STACK_TRACE = /Traceback \(most recent call last\)|^\s*at .*(:\d+:\d+\)?|\[native code\])$/m;

/** What is wrong with one run, or undefined when it did what the case says. */
function judge(run: RunResult, expected: Case['expect']): string | undefined {
  if (run.timedOut) return `did not finish within ${RUN_TIMEOUT_MS / 1000} s (is it waiting for input?)`;
  const code = run.exit?.signal ? `was killed by ${run.exit.signal}` : `exited with code ${run.exit?.code}`;
  const printed = `stdout ${JSON.stringify(run.stdout.slice(0, 200))}, stderr ${JSON.stringify(run.stderr.slice(0, 300))}`;
  if (expected !== 'error') {
    const lines = run.stdout.replace(/\r?\n$/, '');
    if (run.exit?.code === 0 && lines === expected) return undefined;
    return `expected to print ${JSON.stringify(expected)} and exit 0; it ${code}, ${printed}`;
  }
  const problems: string[] = [];
  if (run.exit?.code !== 2) problems.push(code);
  if (STACK_TRACE.test(run.stderr + run.stdout)) problems.push('printed a stack trace');
  const errorLines = run.stderr.split(/\r?\n/).filter((line) => line.trim() !== '');
  if (errorLines.length !== 1) problems.push(`printed ${errorLines.length} lines on stderr (expected exactly one)`);
  if (run.stdout.trim() !== '') problems.push('printed on stdout');
  if (problems.length === 0) return undefined;
  return `expected exit code 2, one line on stderr, nothing on stdout; it ${problems.join(', ')}; ${printed}`;
}

/** Runs every case (side by side: each is a separate short-lived process) and fails listing every wrong one. */
async function checkCases(t: CheckRun, cases: Case[], hint: string): Promise<void> {
  const runs = await Promise.all(cases.map((c) => t.run(c.args, RUN_TIMEOUT_MS)));
  const wrong = cases.flatMap((c, i) => {
    const problem = judge(runs[i], c.expect);
    return problem ? [`${commandLine(c.args)}: ${problem}`] : [];
  });
  if (wrong.length === 0) return;
  fail(`${wrong.length} of ${cases.length} runs did not do what was expected.`, {
    did: `ran ${cases.map((c) => commandLine(c.args)).join(', ')}`,
    details: wrong,
    hint,
  });
}

const outputs = (op: string, convert: (n: number) => number, values: number[]): Case[] => values.map((v) => ({ args: [op, String(v)], expect: String(convert(v)) }));
const errors = (argsList: string[][]): Case[] => argsList.map((args) => ({ args, expect: 'error' }));

const ERROR_HINT =
  'print one line to stderr (print(msg, file=sys.stderr) / console.error) and exit with status 2 (sys.exit(2) / process.exitCode = 2); ' +
  'sys.exit("message") exits with 1, an uncaught exception prints a traceback, and argparse prints a usage line as well';

exercise('netutil', ({ check }) => {
  const values32 = [0, 1, 0x12345678, 0xffffffff, 16777216];
  const values16 = [0, 1, 0x1234, 0xffff, 256];

  check({ id: 'htonl', points: 2, title: 'htonl converts a 32-bit number to network byte order' }, async (t) => {
    await checkCases(t, outputs('htonl', convert32, values32), 'on this little-endian machine htonl swaps the 4 bytes: socket.htonl(n), or struct.unpack("!I", struct.pack("=I", n))[0]');
  });

  check({ id: 'ntohl', points: 1, title: 'ntohl converts a 32-bit number from network byte order' }, async (t) => {
    await checkCases(t, outputs('ntohl', convert32, values32), 'ntohl is the same swap as htonl on this machine: socket.ntohl(n)');
  });

  check({ id: 'htons', points: 1, title: 'htons converts a 16-bit number to network byte order' }, async (t) => {
    await checkCases(t, outputs('htons', convert16, values16), 'htons swaps 2 bytes, not 4: socket.htons(1) is 256, not 16777216');
  });

  check({ id: 'ntohs', points: 1, title: 'ntohs converts a 16-bit number from network byte order' }, async (t) => {
    await checkCases(t, outputs('ntohs', convert16, values16), 'ntohs swaps 2 bytes, not 4: socket.ntohs(n)');
  });

  check({ id: 'out-of-range', points: 2, title: 'refuses numbers outside 0..2^32-1 (0..65535 for htons/ntohs) with exit 2' }, async (t) => {
    await checkCases(
      t,
      errors([['htonl', '-1'], ['htonl', '4294967296'], ['ntohl', '-1'], ['ntohl', '4294967296'], ['htons', '65536'], ['htons', '305419896'], ['ntohs', '65536'], ['ntohs', '-1']]),
      `check the range yourself before converting (masking with & 0xFFFFFFFF hides the error); socket.htonl raises OverflowError, which is not a ValueError. ${ERROR_HINT}`,
    );
  });

  check({ id: 'not-a-number', points: 1, title: 'refuses a VALUE that is not a decimal number with exit 2' }, async (t) => {
    await checkCases(
      t,
      errors([['htonl', 'abc'], ['htonl', '1.5'], ['ntohs', '12abc'], ['htonl', '0x10'], ['ntohl', '']]),
      `catch the ValueError of int(value); in TypeScript Number() accepts "0x10" and "" (which is 0): test the text against /^\\d+$/ first. ${ERROR_HINT}`,
    );
  });

  check({ id: 'aton', points: 2, title: 'aton prints a dotted quad as 8 lowercase hex digits' }, async (t) => {
    const cases: [string, string][] = [['127.0.0.1', '7f000001'], ['0.0.0.0', '00000000'], ['255.255.255.255', 'ffffffff'], ['192.168.1.10', 'c0a8010a'], ['10.0.0.1', '0a000001']];
    await checkCases(t, cases.map(([ip, hex]) => ({ args: ['aton', ip], expect: hex })), 'the 4 bytes in network order, each as 2 hex digits: socket.inet_pton(socket.AF_INET, ip).hex() (keep the leading zeros: 10.0.0.1 is 0a000001)');
  });

  check({ id: 'ntoa', points: 1, title: 'ntoa prints 8 hex digits as a dotted quad' }, async (t) => {
    const cases: [string, string][] = [['7f000001', '127.0.0.1'], ['00000000', '0.0.0.0'], ['ffffffff', '255.255.255.255'], ['c0a8010a', '192.168.1.10'], ['0A000001', '10.0.0.1']];
    await checkCases(t, cases.map(([hex, ip]) => ({ args: ['ntoa', hex], expect: ip })), 'the first hex pair is the first number: socket.inet_ntoa(bytes.fromhex(value)); upper-case hex digits are hex digits too');
  });

  check({ id: 'round-trip', points: 1, title: 'ntoa gives back the address aton was given' }, async (t) => {
    const addresses = ['1.2.3.4', '172.16.254.1', '8.8.4.4'];
    const hexes = await Promise.all(addresses.map((ip) => t.run(['aton', ip], RUN_TIMEOUT_MS)));
    const back = await Promise.all(hexes.map((run) => t.run(['ntoa', run.stdout.trim()], RUN_TIMEOUT_MS)));
    const wrong = addresses.flatMap((ip, i) => {
      const hex = hexes[i].stdout.trim();
      const again = back[i].stdout.trim();
      return again === ip && back[i].exit?.code === 0 ? [] : [`aton ${ip} printed ${JSON.stringify(hex)}, and ntoa ${JSON.stringify(hex)} printed ${JSON.stringify(again)}${back[i].stderr.trim() ? ` (stderr ${JSON.stringify(back[i].stderr.trim().slice(0, 200))})` : ''}`];
    });
    if (wrong.length) {
      fail('ntoa(aton(address)) is not the address.', {
        did: `ran aton on ${addresses.join(', ')}, then ntoa on each output`,
        details: wrong,
        hint: 'aton and ntoa must use the same byte order (network order: the first number is the first byte) and aton must print all 8 digits',
      });
    }
  });

  check({ id: 'aton-malformed', points: 2, title: 'aton refuses malformed addresses with exit 2' }, async (t) => {
    await checkCases(
      t,
      errors([['aton', '256.1.1.1'], ['aton', '1.2.3'], ['aton', 'abc'], ['aton', '1.2.3.4.5'], ['aton', '1.2.-3.4']]),
      `socket.inet_aton accepts "1.2.3" (as 1.2.0.3): use socket.inet_pton(socket.AF_INET, value), which wants exactly 4 numbers of 0..255, and catch its OSError. ${ERROR_HINT}`,
    );
  });

  check({ id: 'ntoa-malformed', points: 1, title: 'ntoa refuses anything but exactly 8 hex digits with exit 2' }, async (t) => {
    await checkCases(
      t,
      errors([['ntoa', 'ghijklmn'], ['ntoa', '7f00001'], ['ntoa', '7f0000011'], ['ntoa', '0x7f0001'], ['ntoa', '+7f00001']]),
      `int(value, 16) also accepts "0x7f0001" and "+7f00001": check that the value is exactly 8 characters of 0-9a-fA-F (re.fullmatch("[0-9a-fA-F]{8}", value)). ${ERROR_HINT}`,
    );
  });

  check({ id: 'unknown-op', points: 1, title: 'refuses an unknown OP with exit 2' }, async (t) => {
    await checkCases(t, errors([['frobnicate', '1'], ['htonll', '1'], ['atoi', '1.2.3.4']]), `an OP that is none of htonl, htons, ntohl, ntohs, aton, ntoa is an error, not silence. ${ERROR_HINT}`);
  });

  check({ id: 'missing-argument', points: 1, title: 'refuses a missing OP or VALUE with exit 2' }, async (t) => {
    await checkCases(t, errors([[], ['htonl'], ['aton']]), `check len(sys.argv) before reading sys.argv[2] (an IndexError is a traceback). ${ERROR_HINT}`);
  });

  check({ id: 'unseen-values', points: 2, hidden: true, title: 'converts numbers and addresses it was not shown before' }, async (t) => {
    const cases: Case[] = [
      ...outputs('htonl', convert32, [0xaabbccdd, 0xdeadbeef, 0x01020304, 0x80000000]),
      ...outputs('ntohs', convert16, [0xabcd, 0x8001]),
      { args: ['aton', '203.0.113.77'], expect: 'cb00714d' },
      { args: ['ntoa', 'c6336407'], expect: '198.51.100.7' },
    ];
    await checkCases(t, cases, 'compute the answer from VALUE: a table of the examples from the exercise page is not a conversion');
  });
});
