import { hostname as machineName } from 'node:os';
import path from 'node:path';
import { exercise, type CheckRun, type RunResult } from './harness/exercise';
import { fail } from './harness/expect';
import { askPython, hostsFileSupport, listedInEtcHosts, offlineLookups, type HostsFiles, type PythonAnswer, type PythonQuery, type Support } from './harness/hosts-file';
import { findProgram } from './harness/program';
import { REPO_ROOT } from './harness/repo';

const RUN_LIMIT_MS = 5000;
const FIXTURE = { hosts: path.join(REPO_ROOT, 'fixtures', 'resolver', 'hosts'), hostConf: path.join(REPO_ROOT, 'fixtures', 'resolver', 'host.conf') };
const HOSTNAME = machineName();

const attempted = ((): boolean => {
  try {
    return findProgram('resolver').attempted;
  } catch {
    return true; // a bad run.json: exercise() fails every check saying why, none is skipped for it
  }
})();

/**
 * Every lookup runs where it cannot leave the machine: in namespaces when they work here (with the
 * machine's /etc/hosts, or with the fixture's); else unwrapped, and then only for names and addresses
 * /etc/hosts answers. Checks that cannot run here are shown as skipped, with the reason. (Nothing is
 * probed for a program not attempted: its checks are skipped anyway.)
 */
const namespaces: Support = attempted ? hostsFileSupport(FIXTURE, { key: '192.0.2.10', expect: 'server.resolver.test' }) : { available: false, reason: 'not attempted' };
const machine: Place = { files: namespaces.available ? {} : undefined, note: '' };
const fixture: Place = { files: FIXTURE, note: ' with fixtures/resolver/hosts as /etc/hosts' };
const noNamespaces = namespaces.available ? undefined : `needs Linux user namespaces to keep lookups on this machine (${namespaces.reason})`;

function machineLookupBlocked(key: string): string | undefined {
  if (namespaces.available || listedInEtcHosts(key)) return undefined;
  return `${key} is not in /etc/hosts, so its lookup could leave this machine; ${noNamespaces}`;
}

/** Python's own answers on this machine (same environment as the program), asked once. */
const python = attempted
  ? expectedFromPython([
      ['forward', HOSTNAME],
      ['reverse', '127.0.0.1'],
      ['fqdn', ''],
    ])
  : { answer: () => undefined, unavailable: 'not attempted' };

interface Place {
  /** What to put in place in namespaces; undefined: run unwrapped (no namespaces here). */
  files?: HostsFiles;
  /** Added to the "ran:" line of failures. */
  note: string;
}

interface Ran extends RunResult {
  args: string[];
  did: string;
}

interface HostEntry {
  hostname: string;
  aliases: string[];
  addresses: string[];
}

function expectedFromPython(queries: PythonQuery[]): { answer: (q: PythonQuery) => PythonAnswer | undefined; unavailable?: string } {
  const allowed = queries.filter(([kind, arg]) => !machineLookupBlocked(kind === 'fqdn' ? HOSTNAME : arg));
  const answers = askPython(allowed, machine.files);
  if ('unavailable' in answers) return { answer: () => undefined, unavailable: answers.unavailable };
  return { answer: (q) => answers[allowed.findIndex((a) => a[0] === q[0] && a[1] === q[1])] };
}

/** Why a check comparing with Python's answer to `query` cannot run here, if it cannot. */
function pythonBlocked(query: PythonQuery, key: string, what: string): string | undefined {
  const blocked = machineLookupBlocked(key) ?? python.unavailable;
  if (blocked) return blocked;
  return python.answer(query)?.error !== undefined ? `${what} (Python says: ${python.answer(query)!.error})` : undefined;
}

async function resolver(t: CheckRun, args: string[], place: Place): Promise<Ran> {
  const wrap = place.files && offlineLookups(t.tempDir(), place.files);
  const result = await t.run(args, RUN_LIMIT_MS, { wrap });
  return { ...result, args, did: `ran: resolver ${args.join(' ')}${place.note}` };
}

function clip(text: string): string {
  return JSON.stringify(text.length > 300 ? `${text.slice(0, 300)}...` : text);
}

/** The Python call whose result the run must print. */
function pythonCall(args: string[]): string {
  if (args[0] === '-r') return `socket.gethostbyaddr(${JSON.stringify(args[1])})`;
  if (args[0] === '--fqdn') return `socket.getfqdn(${JSON.stringify(args[1] ?? '')})`;
  return `socket.gethostbyname_ex(${JSON.stringify(args[0])})`;
}

/** The JSON object a successful run printed; fails with what went wrong otherwise. */
function output(ran: Ran, hint?: string): Record<string, unknown> {
  if (ran.timedOut) fail(`resolver was still running after ${RUN_LIMIT_MS / 1000} s and was stopped.`, { did: ran.did, hint: 'look the name up once, print the result, and exit' });
  if (ran.exit?.code !== 0) {
    fail(`resolver ${ran.program.describeExit()}: a lookup that succeeds must print its result and exit 0.`, {
      did: ran.did,
      details: [`stderr:   ${clip(ran.stderr)}`],
      hint: hint ?? `here ${pythonCall(ran.args)} succeeds: print its result as JSON and exit 0`,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(ran.stdout);
  } catch {
    // Reported below.
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    fail('stdout is not one JSON object.', {
      did: ran.did,
      details: [`stdout:   ${clip(ran.stdout)}`],
      hint: 'print json.dumps(result) (Python) or JSON.stringify(result) (TypeScript), and nothing else: print(a_dict) or a tuple shows Python syntax (single quotes, parentheses), which is not JSON',
    });
  }
  return parsed as Record<string, unknown>;
}

function isStrings(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

/** The {"hostname", "aliases", "addresses"} a successful lookup printed. */
function entry(ran: Ran): HostEntry {
  const printed = output(ran);
  const { hostname, aliases, addresses } = printed;
  if (typeof hostname !== 'string' || !isStrings(aliases) || !isStrings(addresses)) {
    fail('The JSON object does not have the keys of a lookup result.', {
      did: ran.did,
      details: ['expected: {"hostname": "...", "aliases": ["...", ...], "addresses": ["...", ...]}', `received: ${clip(ran.stdout.trim())}`],
      hint: 'the three parts of gethostbyname_ex/gethostbyaddr, under these exact names: a string and two lists of strings',
    });
  }
  return { hostname, aliases, addresses };
}

function sameSet(a: string[], b: string[]): boolean {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((x) => right.has(x));
}

function differs(ran: Ran, what: string, expected: string, got: unknown, hint: string): never {
  fail(what, { did: ran.did, details: [`expected: ${expected}`, `received: ${JSON.stringify(got)}`], hint });
}

/** An unknown name or address: exit 2, nothing on stdout, exactly one line on stderr and no stack trace. */
function expectReportedFailure(ran: Ran, what: string, hint: string): void {
  const problems: string[] = [];
  if (ran.timedOut) problems.push(`it was still running after ${RUN_LIMIT_MS / 1000} s`);
  else if (ran.exit?.code !== 2) problems.push(`it ${ran.program.describeExit()} (expected: exit code 2)`);
  if (ran.stdout.trim() !== '') problems.push('it printed on stdout (expected: nothing there)');
  const lines = ran.stderr.trim() === '' ? [] : ran.stderr.trim().split('\n');
  if (/Traceback \(most recent call last\)|^\s+at .+:\d+/m.test(ran.stderr)) problems.push('it printed a stack trace');
  else if (lines.length !== 1) problems.push(`stderr has ${lines.length} lines (expected: exactly 1, the error)`);
  if (problems.length === 0) return;
  fail(`${what} was not reported the way the contract asks: ${problems.join('; ')}.`, {
    did: ran.did,
    details: [`stdout:   ${clip(ran.stdout)}`, `stderr:   ${clip(ran.stderr)}`],
    hint,
  });
}

const ERROR_HINT =
  'catch the lookup error (Python: socket.gaierror from gethostbyname_ex, socket.herror from gethostbyaddr, so catch OSError), print one line to stderr and exit with code 2; sys.exit("message") exits with 1';

exercise('resolver', ({ check }) => {
  check({ id: 'localhost', points: 1, title: 'looks up localhost: the addresses include 127.0.0.1', skip: machineLookupBlocked('localhost') }, async (t) => {
    const ran = await resolver(t, ['localhost'], machine);
    const got = entry(ran);
    if (!got.addresses.includes('127.0.0.1')) {
      differs(ran, 'The addresses of localhost do not include 127.0.0.1.', 'addresses including "127.0.0.1"', got, 'print all the addresses gethostbyname_ex returns, as strings in dotted-quad form');
    }
  });

  const own = python.answer(['forward', HOSTNAME]);
  check({ id: 'own-hostname', points: 1, title: "looks up this machine's own name (socket.gethostname())", skip: pythonBlocked(['forward', HOSTNAME], HOSTNAME, `this machine's name ${HOSTNAME} has no address without DNS`) },
    async (t) => {
      const ran = await resolver(t, [HOSTNAME], machine);
      const got = entry(ran);
      const missing = own!.addresses!.filter((a) => !got.addresses.includes(a));
      if (missing.length > 0) {
        differs(ran, `The addresses of this machine's name lack ${missing.join(', ')}.`, `addresses including ${JSON.stringify(own!.addresses)} (what Python's gethostbyname_ex gives here)`, got, 'look the name up like gethostbyname_ex: /etc/hosts, then the system resolver');
      }
    },
  );

  check({ id: 'ip-literal', points: 1, title: 'an IPv4 address given as NAME comes back as itself' }, async (t) => {
    const ran = await resolver(t, ['127.0.0.1'], machine);
    const got = entry(ran);
    if (got.hostname !== '127.0.0.1' || got.aliases.length > 0 || got.addresses.join() !== '127.0.0.1') {
      differs(ran, 'An address given as NAME must come back unchanged, as gethostbyname_ex returns it.', '{"hostname": "127.0.0.1", "aliases": [], "addresses": ["127.0.0.1"]}', got, 'an IPv4 address is not looked up, neither in reverse nor in the address column of /etc/hosts: it is its own hostname and only address');
    }
  });

  const loopback = python.answer(['reverse', '127.0.0.1']);
  check({ id: 'reverse-loopback', points: 1, title: 'reverse lookup of 127.0.0.1 gives its name', skip: pythonBlocked(['reverse', '127.0.0.1'], '127.0.0.1', '127.0.0.1 has no name without DNS') },
    async (t) => {
      const ran = await resolver(t, ['-r', '127.0.0.1'], machine);
      const got = entry(ran);
      if (got.hostname !== loopback!.hostname || !got.addresses.includes('127.0.0.1')) {
        differs(ran, 'The reverse lookup of 127.0.0.1 does not give the name Python gives here.', `"hostname": ${JSON.stringify(loopback!.hostname)} and "addresses": ["127.0.0.1"] (Python's gethostbyaddr)`, got, 'use gethostbyaddr (Python) or the first line of /etc/hosts with that address (its first name is the hostname), not a forward lookup of the address');
      }
    },
  );

  const fqdn = python.answer(['fqdn', '']);
  check({ id: 'fqdn', points: 1, title: '--fqdn prints the fully qualified name of this machine', skip: pythonBlocked(['fqdn', ''], HOSTNAME, "this machine's fqdn cannot be computed") }, async (t) => {
    const ran = await resolver(t, ['--fqdn'], machine);
    const printed = output(ran);
    if (printed.fqdn !== fqdn!.fqdn) {
      differs(ran, "--fqdn without NAME does not print what Python's socket.getfqdn() gives on this machine.", `{"fqdn": ${JSON.stringify(fqdn!.fqdn)}}`, printed, 'getfqdn() with no NAME: gethostbyaddr(gethostname()), then the first of its hostname and aliases that contains a dot, else its hostname');
    }
  });

  check({ id: 'unknown-name', points: 2, title: 'an unknown name: exit 2, one line on stderr, no traceback', skip: noNamespaces }, async (t) => {
    const ran = await resolver(t, ['nonexistent.invalid'], machine);
    expectReportedFailure(ran, 'The unknown name nonexistent.invalid (.invalid never resolves, RFC 6761)', ERROR_HINT);
  });

  check({ id: 'unknown-address', points: 1, title: 'an address without a name: exit 2, one line on stderr, no traceback', skip: noNamespaces }, async (t) => {
    const ran = await resolver(t, ['-r', '192.0.2.1'], machine);
    expectReportedFailure(ran, 'The address 192.0.2.1, which has no name (a documentation address, RFC 5737),', `${ERROR_HINT}; catching only socket.gaierror misses the socket.herror of an unknown address`);
  });

  check({ id: 'json-keys', points: 1, title: 'prints one JSON object with exactly the documented keys', skip: machineLookupBlocked('127.0.0.1') }, async (t) => {
    const cases: [string[], Record<string, 'string' | 'strings'>][] = [
      [['127.0.0.1'], { hostname: 'string', aliases: 'strings', addresses: 'strings' }],
      [['-r', '127.0.0.1'], { hostname: 'string', aliases: 'strings', addresses: 'strings' }],
      [['--fqdn', '127.0.0.1'], { fqdn: 'string' }],
    ];
    for (const [args, shape] of cases) {
      const ran = await resolver(t, args, machine);
      const printed = output(ran);
      const keysMatch = sameSet(Object.keys(printed), Object.keys(shape)) && Object.keys(printed).length === Object.keys(shape).length;
      const typesMatch = Object.entries(shape).every(([key, type]) => (type === 'string' ? typeof printed[key] === 'string' : isStrings(printed[key])));
      if (!keysMatch || !typesMatch) {
        const wanted = Object.entries(shape).map(([key, type]) => `"${key}": ${type === 'string' ? 'a string' : 'a list of strings'}`);
        fail('The JSON object does not have exactly the documented keys.', {
          did: ran.did,
          details: [`expected: exactly ${wanted.join(', ')}`, `received: ${clip(ran.stdout.trim())}`],
          hint: 'no other keys, no other names for them: scripts that read this output look for exactly these',
        });
      }
    }
  });

  check({ id: 'aliases', points: 2, title: 'a name with two aliases: canonical name, aliases and address', skip: noNamespaces }, async (t) => {
    const ran = await resolver(t, ['server.resolver.test'], fixture);
    const got = entry(ran);
    const want = { hostname: 'server.resolver.test', aliases: ['www.resolver.test', 'ftp.resolver.test'], addresses: ['192.0.2.10'] };
    if (got.hostname !== want.hostname || !sameSet(got.aliases, want.aliases) || !sameSet(got.addresses, want.addresses)) {
      differs(ran, 'The lookup result is not the /etc/hosts line "192.0.2.10 server.resolver.test www.resolver.test ftp.resolver.test".', `${JSON.stringify(want)} (aliases in any order)`, got, 'gethostbyname_ex returns the aliases too (the other names on the line); gethostbyname and getaddrinfo do not');
    }
  });

  check({ id: 'canonical-name', points: 1, title: 'looking up an alias gives the canonical name', skip: noNamespaces }, async (t) => {
    const ran = await resolver(t, ['www.resolver.test'], fixture);
    const got = entry(ran);
    if (got.hostname !== 'server.resolver.test' || !sameSet(got.addresses, ['192.0.2.10'])) {
      differs(ran, 'An alias must be answered with the canonical name (the first name on its /etc/hosts line) as "hostname".', '"hostname": "server.resolver.test", "addresses": ["192.0.2.10"]', got, 'print the hostname gethostbyname_ex returns, not the NAME you were given');
    }
  });

  check({ id: 'several-addresses', points: 2, title: 'a name on two lines of /etc/hosts has both IPv4 addresses, and no IPv6 one', skip: noNamespaces }, async (t) => {
    const ran = await resolver(t, ['several.resolver.test'], fixture);
    const got = entry(ran);
    const want = ['198.51.100.1', '198.51.100.2'];
    if (got.hostname !== 'several.resolver.test' || !sameSet(got.addresses, want)) {
      differs(ran, 'The addresses are not the two IPv4 addresses /etc/hosts gives several.resolver.test (order is not checked).', `"hostname": "several.resolver.test", "addresses": ${JSON.stringify(want)}`, got, 'gethostbyname_ex returns every IPv4 address (gethostbyname only the first); it is IPv4-only, so the 2001:db8::5 line must not appear');
    }
  });

  check({ id: 'reverse-aliases', points: 2, title: 'reverse lookup of an address gives its canonical name and aliases', skip: noNamespaces }, async (t) => {
    const ran = await resolver(t, ['-r', '192.0.2.10'], fixture);
    const got = entry(ran);
    const want = { hostname: 'server.resolver.test', aliases: ['www.resolver.test', 'ftp.resolver.test'], addresses: ['192.0.2.10'] };
    if (got.hostname !== want.hostname || !sameSet(got.aliases, want.aliases) || !sameSet(got.addresses, want.addresses)) {
      differs(ran, 'The reverse lookup is not the /etc/hosts line "192.0.2.10 server.resolver.test www.resolver.test ftp.resolver.test".', `${JSON.stringify(want)} (aliases in any order)`, got, 'use gethostbyaddr: the hostname is the first name on the line, the aliases the others (getnameinfo gives the hostname alone)');
    }
  });

  check({ id: 'fqdn-name', points: 2, title: '--fqdn NAME prints the fully qualified name of NAME', skip: noNamespaces }, async (t) => {
    const cases = [
      { name: 'www.resolver.test', want: 'server.resolver.test', why: 'the canonical name of its address, 192.0.2.10' },
      { name: 'resolverbox.resolver.test', want: 'resolverbox.resolver.test', why: 'its address 192.0.2.30 is named "resolverbox", which has no dot, so getfqdn takes the first alias with one' },
    ];
    for (const { name, want, why } of cases) {
      const ran = await resolver(t, ['--fqdn', name], fixture);
      const printed = output(ran);
      if (printed.fqdn !== want) {
        differs(ran, `--fqdn ${name} must print ${want}: ${why}.`, `{"fqdn": ${JSON.stringify(want)}}`, printed, 'pass NAME to socket.getfqdn(NAME); it takes gethostbyaddr(NAME) and returns the first of its hostname and aliases that contains a dot, else the hostname');
      }
    }
  });

  check({ id: 'fqdn-unknown', points: 1, title: '--fqdn of an unknown name prints the name itself', skip: noNamespaces }, async (t) => {
    const ran = await resolver(t, ['--fqdn', 'nonexistent.invalid'], machine);
    const printed = output(ran, 'getfqdn never fails: for a name it cannot resolve it returns the name unchanged, and the program exits 0');
    if (printed.fqdn !== 'nonexistent.invalid') {
      differs(ran, 'getfqdn never fails: for a name it cannot resolve it returns the name unchanged.', '{"fqdn": "nonexistent.invalid"} and exit code 0', printed, 'use socket.getfqdn(NAME) itself, or do as it does: catch the lookup error and print NAME');
    }
  });
});
