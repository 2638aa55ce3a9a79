/**
 * Which containment this machine allows, found once per process by trying it: the full jail (as
 * root: real namespaces and a user id per program; otherwise: an unprivileged user namespace) built
 * by bubblewrap where it is installed, else by util-linux's unshare (on every Linux), else resource
 * limits only (prlimit), else nothing but process groups and output bounds. GRADER_SANDBOX chooses
 * instead of detecting: auto (default) | bubblewrap | unshare | rlimits | off.
 */
import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';

export type SandboxMode = 'root' | 'userns' | 'rlimits' | 'off';
/** What builds the jail in the root and userns modes. */
export type JailBackend = 'bubblewrap' | 'unshare';

export interface SandboxSupport {
  mode: SandboxMode;
  /** Set in the root and userns modes. */
  backend?: JailBackend;
  /** Why a stronger mode is not in force, in words a TA can act on. */
  reason?: string;
  /** What protects each student program, e.g. "PID namespace per program". */
  protections: string[];
}

const CHOICES = ['auto', 'bubblewrap', 'unshare', 'rlimits', 'off'];
const BACKENDS: JailBackend[] = ['bubblewrap', 'unshare'];
let uid: number | undefined;

/** Tries a jail on a program that exits at once: undefined when it works, else the jail's complaint. */
export type JailProbe = (mode: 'root' | 'userns', backend: JailBackend) => string | undefined;

/** Root mode: the user id this process's student programs run under (unlikely to be anyone's). */
export function jailUserId(): number {
  uid ??= 1_500_000_000 + randomInt(100_000_000);
  return uid;
}

export function isJail(mode: SandboxMode): mode is 'root' | 'userns' {
  return mode === 'root' || mode === 'userns';
}

/** One line for the user: which protections are active, and why not more. */
export function describeSandbox(current: SandboxSupport): string {
  const line = `Student programs are contained by: ${current.protections.join(', ')}.`;
  return current.reason ? `${line}\n  ${current.reason}` : line;
}

export function detectSandbox(wanted: string, probeJail: JailProbe): SandboxSupport {
  if (wanted === 'off') return result('off', 'GRADER_SANDBOX=off: student programs run unconfined.');
  if (!CHOICES.includes(wanted)) return result('off', `GRADER_SANDBOX=${wanted} is not one of ${CHOICES.join(', ')}: no sandbox.`);
  if (process.platform !== 'linux') return result('off', `No sandbox on ${process.platform}: only Linux has the namespaces it needs.`);
  const mode = isRealRoot() ? 'root' : 'userns';
  const failures: string[] = [];
  if (wanted !== 'rlimits') {
    for (const backend of wanted === 'auto' ? BACKENDS : [wanted as JailBackend]) {
      const failure = tryJail(mode, backend, probeJail);
      if (!failure) return result(mode, failures.length ? failures.join(' ') : undefined, backend);
      failures.push(failure);
    }
  }
  const noLimits = tryLimits();
  if (noLimits) failures.push(noLimits);
  if (failures.length && wanted === 'auto') failures.push(namespaceAdvice());
  return result(noLimits ? 'off' : 'rlimits', failures.join(' ') || undefined);
}

/** Undefined when prlimit works here, else why not. */
function tryLimits(): string | undefined {
  if (!onPath('prlimit')) return 'prlimit (util-linux) is not installed: no resource limits.';
  return probe('prlimit', ['--core=0', '--', 'true']);
}

/** Undefined when the jail works here, else why not. */
function tryJail(mode: 'root' | 'userns', backend: JailBackend, probeJail: JailProbe): string | undefined {
  const tools = backend === 'bubblewrap' ? ['bwrap', 'prlimit', 'setpriv'] : ['unshare', 'setpriv', 'prlimit', 'mount', 'pivot_root', 'umount'];
  const missing = tools.filter((tool) => !onPath(tool));
  if (missing.length) {
    return backend === 'bubblewrap'
      ? `bubblewrap is not installed (${missing.join(', ')} missing): no bubblewrap jail.`
      : `util-linux's ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing: no util-linux jail.`;
  }
  const failure = probeJail(mode, backend);
  if (!failure) return undefined;
  return `${backend === 'bubblewrap' ? 'bubblewrap' : 'unshare'} ${mode === 'root' ? 'as root' : 'in a user namespace'} failed (${failure})${userNamespaceHint()}.`;
}

/** What gives a machine without a jail one. */
function namespaceAdvice(): string {
  return 'Student programs need Linux namespaces to be isolated: see docs/sandbox.md ("Requirements").';
}

/**
 * Runs a command that exits at once: undefined when it succeeds, else its complaint. A busy machine can
 * take seconds to start it; a run that only ran out of time is tried again with much longer, since a
 * failed probe means a weaker sandbox for the whole run.
 */
export function probe(command: string, args: string[], env?: Record<string, string>, timeoutsMs = PROBE_TIMEOUTS_MS): string | undefined {
  for (const timeout of timeoutsMs) {
    const run = spawnSync(command, args, { encoding: 'utf8', timeout, env: env ?? process.env });
    if (run.status === 0) return undefined;
    const timedOut = (run.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT';
    if (!timedOut) return (run.stderr || run.error?.message || `exit ${run.status}`).trim().split('\n')[0];
  }
  return `${command} did not finish within ${timeoutsMs.at(-1)! / 1000} s (is the machine overloaded?)`;
}

const PROBE_TIMEOUTS_MS = [10_000, 60_000];

function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => dir && existsSync(`${dir}/${command}`));
}

/** Root of the whole machine, not of a user namespace (where other user ids are not mapped). */
function isRealRoot(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    return /^\s*0\s+0\s+4294967295\s*$/.test(readFileSync('/proc/self/uid_map', 'utf8'));
  } catch {
    return false;
  }
}

function userNamespaceHint(): string {
  const read = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined);
  if (read('/proc/sys/kernel/apparmor_restrict_unprivileged_userns') === '1') {
    return '; AppArmor restricts unprivileged user namespaces (Ubuntu 23.10+): see docs/sandbox.md';
  }
  if (read('/proc/sys/kernel/unprivileged_userns_clone') === '0') return '; unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone=0)';
  if (read('/proc/sys/user/max_user_namespaces') === '0') return '; user namespaces are disabled (user.max_user_namespaces=0)';
  if (existsSync('/.dockerenv')) return '; in Docker, namespaces need --security-opt seccomp=unconfined (or run as root with CAP_SYS_ADMIN)';
  return '';
}

function result(mode: SandboxMode, reason?: string, backend?: JailBackend): SandboxSupport {
  return { mode, ...(backend ? { backend } : {}), reason, protections: protectionsOf(mode, backend) };
}

function protectionsOf(mode: SandboxMode, backend?: JailBackend): string[] {
  const base = ['process groups', 'output bounds'];
  if (mode === 'off') return base;
  const limits = 'resource limits (memory, file size, CPU time, open files' + (isJail(mode) ? ', processes)' : ')');
  if (mode === 'rlimits') return [...base, limits];
  return [
    ...base,
    limits,
    'PID namespace per program',
    `private filesystem view (${backend === 'unshare' ? "util-linux's unshare" : 'bubblewrap'})`,
    ...(mode === 'root' ? ['own user id per program'] : ['user namespace per program']),
  ];
}
