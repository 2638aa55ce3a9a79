/**
 * The jail every student program is started in (launch.ts puts it in front of every command).
 *
 * With bubblewrap (`bwrap`) on Linux the program gets its own PID namespace (killing the jail's
 * monitor kills every descendant, daemons included), a filesystem view of the system's read-only
 * folders, its interpreter, its own folder (read-only), the temporary folders named in its arguments
 * (read-write) and a small private /tmp, and resource limits (prlimit). It shares the network of
 * whoever starts it: grader/isolation.ts gives a whole submission's grading a private loopback.
 *
 * When the grader runs as root, the program runs under a user id of its own (setpriv), so that the
 * process limit applies (the kernel never applies it to root) and no file it was not given is
 * writable. Without bubblewrap only the resource limits apply; GRADER_SANDBOX=off turns everything
 * off (see docs/sandbox.md).
 */
import { chmodSync, chownSync, existsSync, readlinkSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { executableFor, interpreterMounts, pythonExecutable } from './interpreters';
import { inheritedOrFound } from './inherited';
import { readProc } from './proc-files';
import { isBuiltProgram } from './program';
import { REPO_ROOT } from './repo';
import { bubblewrapOptions, containsOrIs, JailView, type ViewStep } from './jail-view';
import { SHELL_AS_PID_1 } from './namespace-init';
import { unshareJailArgs } from './unshare-jail';
import { detectSandbox, isJail, jailUserId, probe, type JailBackend, type SandboxMode, type SandboxSupport } from './sandbox-support';

export { describeSandbox, isJail, type JailBackend, type SandboxMode, type SandboxSupport } from './sandbox-support';

export const MIB = 1024 * 1024;

export interface ProgramLimits {
  /** RLIMIT_DATA: heap and private memory maps (what an allocation loop grows). */
  memoryBytes: number;
  /** RLIMIT_STACK soft limit; glibc gives every thread a stack this big, counted in memoryBytes. */
  stackBytes: number;
  /** RLIMIT_NPROC: processes and threads of the program, inside its own jail. */
  processes: number;
  /** RLIMIT_FSIZE: the largest file it may write. */
  fileBytes: number;
  /** RLIMIT_CPU: CPU seconds of each of its processes. */
  cpuSeconds: number;
  openFiles: number;
  /** Size of the private /tmp (and /dev/shm) the jail gives it. */
  tmpBytes: number;
}

export const PROGRAM_LIMITS: ProgramLimits = {
  memoryBytes: 512 * MIB,
  stackBytes: 2 * MIB,
  processes: 256,
  fileBytes: 64 * MIB,
  cpuSeconds: 30,
  openFiles: 1024,
  tmpBytes: 64 * MIB,
};

/** Where program.ts caches built TypeScript; such a file in the arguments is made visible, read-only. */
/** CheckRun.tempDir() folders; one named in the arguments (a socket path, a file) is made writable. */
const CHECK_TEMP_PREFIX = 'grader-';

/** Environment variables passed into the jail from the grader's own environment. */
const PASSED_VARIABLES = [/^GRADER_RUN_ID$/, /^GRADER_SUBMISSION_RUN$/, /^LANG(UAGE)?$/, /^LC_[A-Z]+$/, /^TZ$/];
const SYSTEM_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
/** Shown read-only in every jail; the merged-/usr links are recreated as they are on the host. */
const SYSTEM_FOLDERS = ['/usr', '/etc'];
const SYSTEM_LINKS = ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

export interface JailRequest {
  command: string;
  args: string[];
  cwd: string;
  /** The grader's environment; only markers and locale pass into a jail. */
  inherited: NodeJS.ProcessEnv;
  /** Variables the check sets for the program; they always pass. */
  env: Record<string, string>;
}

export interface Jailed {
  command: string;
  args: string[];
  env: Record<string, string>;
  mode: SandboxMode;
  backend?: JailBackend;
}

interface JailMode {
  asRoot: boolean;
}

let support: SandboxSupport | undefined;

/**
 * Set by the first process that tries the jails, for the processes it starts (jest's workers) in the
 * same user, namespaces, privileges, PATH and GRADER_SANDBOX choice: each trial blocks its process for a while.
 */
const FOUND_ENV = 'GRADER_SANDBOX_FOUND';

/** What this machine allows (or GRADER_SANDBOX asks for), tried once per process and its children alike. */
export function sandboxSupport(): SandboxSupport {
  if (support) return support;
  const wanted = process.env.GRADER_SANDBOX?.trim().toLowerCase() || 'auto';
  const where = [wanted, process.getuid?.(), ...['user', 'mnt', 'pid', 'net'].map((ns) => readlinkOr(`/proc/self/ns/${ns}`)), privileges(), process.env.PATH].join('\0');
  support = inheritedOrFound(FOUND_ENV, where, () => detectFor(wanted));
  return support;
}

/** This process's capabilities, no_new_privs and seccomp mode: what else decides whether a jail can be built. */
function privileges(): string {
  const status = readProc('/proc/self/status') ?? '';
  return status.split('\n').filter((line) => /^(CapEff|NoNewPrivs|Seccomp):/.test(line)).join(' ');
}

function readlinkOr(link: string): string {
  try {
    return readlinkSync(link);
  } catch {
    return '-';
  }
}

/** Each jail backend that works on this machine, with its mode (for tests and benchmarks that compare them). */
export function workingJails(): SandboxSupport[] {
  return (['bubblewrap', 'unshare'] as const).map(detectFor).filter((found) => isJail(found.mode));
}

function detectFor(wanted: string): SandboxSupport {
  return detectSandbox(wanted, (mode, backend) => {
    const jailed = jail({ command: 'true', args: [], cwd: '/usr', inherited: {}, env: {} }, mode, backend);
    return probe(jailed.command, jailed.args, jailed.env);
  });
}

export function jail(asked: JailRequest, mode: SandboxMode = sandboxSupport().mode, backend: JailBackend = sandboxSupport().backend ?? 'bubblewrap'): Jailed {
  const request = { ...asked, command: executableFor(asked.command) };
  if (mode === 'off') return { command: request.command, args: request.args, env: hostEnv(request), mode };
  if (mode === 'rlimits') {
    // No namespace of its own: the process count is the grader's user's, so it is not limited here.
    const limits = rlimitArgs({ ...PROGRAM_LIMITS, processes: 0 });
    return { command: 'prlimit', args: [...limits, '--', request.command, ...request.args], env: hostEnv(request), mode };
  }
  const jailMode = { asRoot: mode === 'root' };
  if (backend === 'unshare') {
    const args = unshareJailArgs(viewFor(request, jailMode), request.cwd, jailMode.asRoot, programCommand(request, jailMode, 'unshare'));
    return { command: 'setpriv', args, env: jailEnv(request), mode, backend };
  }
  return { command: 'bwrap', args: bwrapArgs(request, jailMode), env: jailEnv(request), mode, backend };
}

/** The folders, links and mounts a program sees, the same for both jail backends. */
function viewFor(request: JailRequest, mode: JailMode): ViewStep[] {
  const view = new JailView();
  for (const folder of SYSTEM_FOLDERS) view.bind(folder, 'ro');
  for (const link of SYSTEM_LINKS) view.systemLink(link);
  view.system();
  view.tmpfs('/tmp', PROGRAM_LIMITS.tmpBytes);
  view.tmpfs('/dev/shm', PROGRAM_LIMITS.tmpBytes);
  // An interpreter installed around the grader (a conda or venv holding the repository) stays hidden.
  for (const folder of interpreterMounts([request.command, ...request.args])) if (!containsOrIs(folder, REPO_ROOT)) view.bind(folder, 'ro');
  const { readable, writable } = pathsFor(request);
  for (const folder of writable) view.bind(folder, 'rw');
  for (const item of readable) view.bind(item, 'ro');
  if (mode.asRoot) grantAccess(writable, readable, jailUserId());
  return view.steps;
}

/**
 * As root, the program runs under a user id of its own; the process limit applies inside the jail.
 * In the util-linux jail of a user namespace the program keeps its own user id, and jail.sh the
 * namespace's capabilities (--keep-caps) to build the view; the program gets none of them (bubblewrap
 * drops them itself), so it cannot undo the read-only mounts.
 */
function programCommand(request: JailRequest, mode: JailMode, backend: JailBackend): string[] {
  const drop = mode.asRoot
    ? ['setpriv', `--reuid=${jailUserId()}`, `--regid=${jailUserId()}`, '--clear-groups', '--no-new-privs', '--']
    : backend === 'unshare'
      ? ['setpriv', '--inh-caps=-all', '--ambient-caps=-all', '--no-new-privs', '--']
      : [];
  return [...drop, 'prlimit', ...rlimitArgs(PROGRAM_LIMITS), '--', request.command, ...request.args];
}

function bwrapArgs(request: JailRequest, mode: JailMode): string[] {
  const namespaces = ['--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try'];
  if (!mode.asRoot) namespaces.unshift('--unshare-user');
  return [
    ...namespaces,
    '--die-with-parent',
    '--new-session',
    ...bubblewrapOptions(viewFor(request, mode)),
    '--chdir', request.cwd,
    ...SHELL_AS_PID_1,
    ...programCommand(request, mode, 'bubblewrap'),
  ];
}

/** The program's own folder and built file (read-only), and the check's temporary folders it is given (read-write). */
export function pathsFor(request: Pick<JailRequest, 'args' | 'cwd'>): { readable: string[]; writable: string[] } {
  const readable = new Set<string>([path.resolve(request.cwd)]);
  const writable = new Set<string>();
  const temp = path.resolve(tmpdir());
  for (const arg of request.args) {
    if (!path.isAbsolute(arg)) continue;
    const target = path.resolve(arg);
    if (isBuiltProgram(target)) readable.add(target);
    const relative = path.relative(temp, target);
    const top = relative.split(path.sep)[0];
    if (!relative.startsWith('..') && top.startsWith(CHECK_TEMP_PREFIX) && existsSync(path.join(temp, top))) writable.add(path.join(temp, top));
  }
  return { readable: [...readable], writable: [...writable] };
}

/** Root mode: the program's own user id must be able to enter its folder and write the check's folders. */
function grantAccess(writable: string[], readable: string[], uid: number): void {
  for (const folder of writable) chownSync(folder, uid, uid);
  for (const item of readable) {
    const stat = statSync(item);
    const wanted = stat.isDirectory() ? 0o005 : 0o004;
    if ((stat.mode & wanted) !== wanted) chmodSync(item, stat.mode | wanted);
  }
}

export function rlimitArgs(limits: ProgramLimits): string[] {
  const hard = (name: string, value: number) => `--${name}=${value}:${value}`;
  return [
    hard('data', limits.memoryBytes),
    `--stack=${limits.stackBytes}:`,
    ...(limits.processes ? [hard('nproc', limits.processes)] : []),
    hard('fsize', limits.fileBytes),
    // SIGXCPU at the soft limit lets the program be told; SIGKILL follows at the hard one.
    `--cpu=${limits.cpuSeconds}:${limits.cpuSeconds + 2}`,
    hard('nofile', limits.openFiles),
    hard('core', 0),
  ];
}

function jailEnv(request: JailRequest): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.inherited)) {
    if (value !== undefined && PASSED_VARIABLES.some((pattern) => pattern.test(name))) env[name] = value;
  }
  const interpreterBins = interpreterMounts([request.command, ...request.args]).map((prefix) => path.join(prefix, 'bin'));
  return {
    ...env,
    PATH: [...new Set([...interpreterBins, path.dirname(process.execPath), ...SYSTEM_PATH])].join(':'),
    HOME: '/tmp',
    TMPDIR: '/tmp',
    ...request.env,
  };
}

/** Unjailed, the program keeps the grader's environment, with the real python3 first on its PATH (no shim). */
function hostEnv(request: JailRequest): Record<string, string> {
  const env = Object.fromEntries(Object.entries(request.inherited).filter((entry): entry is [string, string] => entry[1] !== undefined));
  const python = pythonExecutable();
  if (path.isAbsolute(python)) env.PATH = [path.dirname(python), env.PATH].filter(Boolean).join(':');
  return { ...env, ...request.env };
}
