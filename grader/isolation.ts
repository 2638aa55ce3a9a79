/**
 * How a whole submission's grading is contained: its jest run (specs and the student's programs)
 * runs in fresh network, PID, IPC and UTS namespaces (bubblewrap, or util-linux's unshare), so it has a loopback of its own
 * (parallel submissions never see or collide on each other's ports, and nothing but that loopback
 * is reachable) and everything it started dies with it. Each student program is jailed further by
 * specs/harness/sandbox.ts; both are driven by the same detection.
 */
import path from 'node:path';
import { pythonExecutable } from '../specs/harness/interpreters';
import { isJail, sandboxSupport, type JailBackend, type SandboxSupport } from '../specs/harness/sandbox';
import { SHELL_AS_PID_1 } from '../specs/harness/namespace-init';

export interface Isolation {
  /** True when the kernel's isolation (namespaces) is in force, as a TA's grading run requires. */
  active: boolean;
  /** What protects this run, said once to the user, e.g. ["process groups", "output bounds"]. */
  protections: string[];
  /** Why the isolation is weaker than it could be (or off), when it is; for the TA. */
  reason?: string;
  /** Wraps a command (a whole submission's jest run) so that it runs isolated. */
  wrap(command: string, args: string[]): { command: string; args: string[] };
}

export function detectIsolation(support: SandboxSupport = sandboxSupport()): Isolation {
  if (!isJail(support.mode)) {
    return { active: false, protections: support.protections, reason: support.reason, wrap: (command, args) => ({ command, args }) };
  }
  const mode = support.mode;
  const backend = support.backend ?? 'bubblewrap';
  return {
    active: true,
    protections: ['network namespace per submission (its own loopback only)', 'PID namespace per submission', ...support.protections],
    reason: support.reason,
    wrap: (command, args) => wrapInNamespaces(mode, backend, command, args),
  };
}

/**
 * bubblewrap's own PID 1 outlives the command, and bwrap returns as soon as the command ends: the run's
 * other processes would still be dying when the caller looks. With a shell as PID 1 (--as-pid-1), bwrap
 * returns only once the shell is reaped, which the kernel does after every process of the namespace.
 */
export function wrapInNamespaces(mode: 'root' | 'userns', backend: JailBackend, command: string, args: string[]): { command: string; args: string[] } {
  if (backend === 'bubblewrap') return { command: 'bwrap', args: [...submissionNamespaces(mode), ...SHELL_AS_PID_1, ...ownLoopback(mode === 'userns'), command, ...args] };
  return { command: 'setpriv', args: [...unshareNamespaces(mode), command, ...args] };
}

/**
 * The submission keeps the grader's view of the filesystem (jest, the specs and the results file
 * are the grader's own); only the student's programs get the narrow view of sandbox.ts.
 */
export function submissionNamespaces(mode: 'root' | 'userns'): string[] {
  return [
    ...(mode === 'userns' ? ['--unshare-user'] : []),
    '--unshare-net', // bwrap brings up lo (127.0.0.1 and ::1) in it
    // What loopback-namespace.py needs to make the grading's own namespace; it gives them up after.
    ...(mode === 'userns' ? OWN_LOOPBACK_CAPS.flatMap((cap) => ['--cap-add', cap]) : []),
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--die-with-parent',
    '--dev-bind', '/', '/',
    '--proc', '/proc',
  ];
}

const LOOPBACK_NAMESPACE = path.join(__dirname, 'loopback-namespace.py');
/** Root keeps its capabilities in bubblewrap; an unprivileged user's sandbox gets these for the step, and then none. */
const OWN_LOOPBACK_CAPS = ['CAP_NET_ADMIN', 'CAP_SYS_ADMIN', 'CAP_SETPCAP'];

/**
 * The grading's first step in its namespaces (loopback-namespace.py, python3, which every grading machine
 * has): `lo` up, then a network namespace of its own whose TCP table is small enough that the grader's
 * reads of /proc/net/tcp cost microseconds, not milliseconds; then it execs the command.
 */
function ownLoopback(dropCaps: boolean): string[] {
  return [pythonExecutable(), '-I', '-S', LOOPBACK_NAMESPACE, ...(dropCaps ? ['--drop-caps'] : [])];
}

/**
 * The same namespaces with util-linux: setpriv makes the run die with its parent; the shell stays PID 1,
 * so everything the run started dies with it; the run's first step is ownLoopback's.
 */
export function unshareNamespaces(mode: 'root' | 'userns'): string[] {
  return [
    '--pdeathsig', 'KILL', '--',
    'unshare', ...(mode === 'userns' ? ['--user', '--map-root-user'] : []),
    '--net', '--pid', '--fork', '--kill-child', '--mount', '--propagation', 'private', '--mount-proc', '--ipc', '--uts', '--',
    'sh', '-c', '"$@"; exit $?', 'sh', ...ownLoopback(false),
  ];
}
