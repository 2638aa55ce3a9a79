/**
 * How a whole submission's grading is contained: its jest run (specs and the student's programs)
 * runs in fresh network, PID, IPC and UTS namespaces (bubblewrap), so it has a loopback of its own
 * (parallel submissions never see or collide on each other's ports, and nothing but that loopback
 * is reachable) and everything it started dies with it. Each student program is jailed further by
 * specs/harness/sandbox.ts; both are driven by the same detection.
 */
import { isJail, sandboxSupport, type SandboxSupport } from '../specs/harness/sandbox';

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
  return {
    active: true,
    protections: ['network namespace per submission (its own loopback only)', 'PID namespace per submission', ...support.protections],
    reason: support.reason,
    wrap: (command, args) => ({ command: 'bwrap', args: [...submissionNamespaces(mode), '--', command, ...args] }),
  };
}

/**
 * The submission keeps the grader's view of the filesystem (jest, the specs and the results file
 * are the grader's own); only the student's programs get the narrow view of sandbox.ts.
 */
export function submissionNamespaces(mode: 'root' | 'userns'): string[] {
  return [
    ...(mode === 'userns' ? ['--unshare-user'] : []),
    '--unshare-net', // bwrap brings up lo (127.0.0.1 and ::1) in it
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--die-with-parent',
    '--dev-bind', '/', '/',
    '--proc', '/proc',
  ];
}
