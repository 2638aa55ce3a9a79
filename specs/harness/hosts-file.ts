/**
 * Name lookups that cannot leave this machine, optionally with a fixture /etc/hosts.
 *
 * A lookup that /etc/hosts cannot answer goes on to DNS, i.e. off the machine. So where Linux user
 * namespaces work, a program that looks names up runs under
 * `unshare --user --map-root-user --mount --net`: its network namespace has no usable interface (no
 * query can leave), its /etc/nsswitch.conf is a copy whose `hosts:` line keeps only local sources
 * (a miss fails at once instead of waiting for DNS), and fixture files can be bind-mounted over
 * /etc/hosts and /etc/host.conf. `hostsFileSupport` says once (per loaded module) whether that works
 * here, trying it the way a check's program is started (inside the sandbox's jail, see sandbox.ts).
 */
import type { SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isIP } from 'node:net';
import { lastLine, runJailedOnce, runJailedProbe, runToEnd, type Support } from './jailed-probe';

export type Wrap = (command: string, args: string[]) => { command: string; args: string[] };

/** Files that replace the machine's own while the program runs. */
export type { Support } from './jailed-probe';

export interface HostsFiles {
  hosts?: string;
  hostConf?: string;
}


const UNSHARE_FLAGS = ['--user', '--map-root-user', '--mount', '--net'];
/** Bind-mounts each SOURCE TARGET pair given before `--`, then execs the rest (same pid, same process group). */
const MOUNT_THEN_EXEC = 'while [ "$1" != -- ]; do mount --bind "$1" "$2" || exit 125; shift 2; done; shift; exec "$@"';
/** nsswitch sources that answer from this machine alone (myhostname: the machine's own name and localhost). */
const LOCAL_SOURCES = ['files', 'myhostname'];

/**
 * A `wrap` for CheckRun.run/start: the program runs with lookups kept on this machine and `files` in
 * place. The files are copied into `dir`, a check's temporary folder (CheckRun.tempDir()): the jail
 * shows a program the temporary folders named in its arguments, and nothing else of the grader's /tmp.
 */
export function offlineLookups(dir: string, files: HostsFiles = {}): Wrap {
  const binds: string[] = [];
  const put = (name: string, target: string, write: (copy: string) => void) => {
    const copy = path.join(dir, name);
    write(copy);
    binds.push(copy, target);
  };
  if (files.hosts) put('hosts', '/etc/hosts', (copy) => copyFileSync(files.hosts!, copy));
  if (files.hostConf) put('host.conf', '/etc/host.conf', (copy) => copyFileSync(files.hostConf!, copy));
  if (existsSync('/etc/nsswitch.conf')) put('nsswitch.conf', '/etc/nsswitch.conf', (copy) => writeFileSync(copy, localOnlyNsswitch(readFileSync('/etc/nsswitch.conf', 'utf8'))));
  return (command, args) => ({
    command: 'unshare',
    args: [...UNSHARE_FLAGS, '--', '/bin/sh', '-c', MOUNT_THEN_EXEC, 'sh', ...binds, '--', command, ...args],
  });
}

/** The machine's nsswitch.conf with `hosts:` cut down to local sources (keeping their order). */
export function localOnlyNsswitch(original: string): string {
  const hostsLine = /^\s*hosts\s*:([^\n]*)/m.exec(original)?.[1] ?? '';
  const sources = hostsLine
    .replace(/#.*/, '')
    .replace(/\[[^\]]*\]/g, ' ')
    .split(/\s+/)
    .filter((source) => LOCAL_SOURCES.includes(source));
  if (!sources.includes('files')) sources.unshift('files');
  const others = original.split('\n').filter((line) => !/^\s*hosts\s*:/.test(line));
  return [...others, `hosts: ${sources.join(' ')}`, ''].join('\n');
}

/** Runs `command` to its end as a check's program would run with `offlineLookups(files)`. */
function runOffline(what: string, files: HostsFiles, command: string, args: string[]): SpawnSyncReturns<string> {
  return runJailedOnce(what, (dir) => offlineLookups(dir, files)(command, args));
}

const probed = new Map<string, Support>();

/**
 * Whether `offlineLookups(dir, files)` works here, found once by running `getent hosts KEY`
 * under it: the answer must mention `expect` (a name or address the fixture hosts file gives for KEY),
 * which also proves that no cache such as nscd answers from the real /etc/hosts.
 */
export function hostsFileSupport(files: HostsFiles, probe: { key: string; expect: string }): Support {
  const id = JSON.stringify([files, probe]);
  let support = probed.get(id);
  if (!support) {
    support = runProbe(files, probe);
    probed.set(id, support);
  }
  return support;
}

function runProbe(files: HostsFiles, probe: { key: string; expect: string }): Support {
  if (process.platform !== 'linux') return { available: false, reason: 'needs Linux namespaces' };
  if (!onPath('unshare')) return { available: false, reason: 'util-linux unshare is not installed' };
  if (files.hostConf && !existsSync('/etc/host.conf')) return { available: false, reason: 'this machine has no /etc/host.conf to mount over' };
  const { support, stdout } = runJailedProbe({ what: "the resolver's private /etc/hosts", command: (dir) => offlineLookups(dir, files)('getent', ['hosts', probe.key]) });
  if (!support.available) return support;
  if (!stdout.split(/\s+/).includes(probe.expect)) {
    return { available: false, reason: 'lookups in the namespace do not see the fixture hosts file (is nscd caching hosts?)' };
  }
  return { available: true };
}

function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => dir !== '' && existsSync(path.join(dir, command)));
}

/** True when /etc/hosts has a line for this name (any case) or address: looking it up needs no DNS. */
export function listedInEtcHosts(nameOrAddress: string): boolean {
  let text: string;
  try {
    text = readFileSync('/etc/hosts', 'utf8');
  } catch {
    return false;
  }
  const wanted = nameOrAddress.toLowerCase();
  return text.split('\n').some((line) => {
    const [address, ...names] = line.replace(/#.*/, '').trim().split(/\s+/);
    if (!address || names.length === 0) return false;
    return isIP(wanted) ? address === wanted : names.some((name) => name.toLowerCase() === wanted);
  });
}

export type PythonQuery = ['forward' | 'reverse' | 'fqdn', string];
export interface PythonAnswer {
  hostname?: string;
  aliases?: string[];
  addresses?: string[];
  fqdn?: string;
  /** Set when Python raised (the name or address is unknown). */
  error?: string;
}

const ASK_PYTHON = `
import json, socket, sys
def answer(kind, arg):
    try:
        if kind == 'fqdn':
            return {'fqdn': socket.getfqdn(arg)}
        hostname, aliases, addresses = (socket.gethostbyname_ex if kind == 'forward' else socket.gethostbyaddr)(arg)
        return {'hostname': hostname, 'aliases': aliases, 'addresses': addresses}
    except (OSError, UnicodeError) as error:
        return {'error': str(error)}
print(json.dumps([answer(kind, arg) for kind, arg in zip(sys.argv[1::2], sys.argv[2::2])]))
`;

/**
 * What Python's gethostbyname_ex / gethostbyaddr / getfqdn answer here, or why Python could not be
 * asked. With `offline`, Python runs as the checked program does with `offlineLookups(dir, offline)`.
 */
export function askPython(queries: PythonQuery[], offline?: HostsFiles): PythonAnswer[] | { unavailable: string } {
  const args = ['-c', ASK_PYTHON, ...queries.flat()];
  // Out of time is the machine's load, never a reason to skip the checks: a GraderError (graded again).
  const what = 'asking Python for the expected answer';
  const ran = offline ? runOffline(what, offline, 'python3', args) : runToEnd(what, 'python3', args);
  if (ran.status === 0) {
    try {
      return JSON.parse(ran.stdout) as PythonAnswer[];
    } catch {
      // Reported below.
    }
  }
  if ((ran.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT' || /python3.*not found|No such file/.test(ran.stderr ?? '')) {
    return { unavailable: 'python3 not found: the grader asks Python for the expected answer' };
  }
  return { unavailable: `python3 could not compute the expected answer: ${lastLine(ran.stderr) || ran.error?.message || 'no output'}` };
}
