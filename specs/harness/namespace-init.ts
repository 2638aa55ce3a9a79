/**
 * PID 1 of a jail's PID namespace, and knowing when the namespace is empty.
 *
 * The kernel kills every process of a PID namespace when its PID 1 ends, and PID 1 becomes a zombie
 * only once all of them are reaped. A jail is gone when its PID 1 is: not when the jail's outer process
 * (bwrap, unshare) is, which SIGKILL ends at once while hundreds of processes inside may still be dying
 * on a busy machine, and which bubblewrap's own init lets return before the rest of the namespace ends.
 */
import pRetry from 'p-retry';
import { childProcesses, readProc, readStat } from './proc-files';

/**
 * bubblewrap arguments that make a shell PID 1 of the namespace, running the command as its child:
 * bwrap then returns only once the shell is reaped, i.e. after every other process of the namespace.
 */
export const SHELL_AS_PID_1 = ['--as-pid-1', '--', 'sh', '-c', '"$@"; exit $?', 'sh'];

/** The shell of SHELL_AS_PID_1, by its command line (it only waits for the command it runs). */
export function isPid1Shell(words: string[]): boolean {
  return words[0] === 'sh' && words[1] === '-c' && words[2] === SHELL_AS_PID_1[4];
}

export interface NamespaceInit {
  pid: number;
  /** Its start time (field 22 of stat): a later process given the same pid is not it. */
  startTime: string;
}

/**
 * PID 1 of the namespace that `rootPid` (the jail's outer process) created: the child of it that is
 * PID 1 of a namespace below ours. Undefined when it does not exist (yet, or any more).
 */
export function findNamespaceInit(rootPid: number): NamespaceInit | undefined {
  for (const child of childProcesses(rootPid)) {
    const nsPids = /^NSpid:\s+(.+)$/m.exec(readProc(`/proc/${child}/status`) ?? '')?.[1].trim().split(/\s+/) ?? [];
    const startTime = readStat(`/proc/${child}/stat`)?.startTime;
    if (nsPids.length >= 2 && nsPids[nsPids.length - 1] === '1' && startTime) return { pid: child, startTime };
  }
  return undefined;
}

/** The namespace is empty: its PID 1 is gone, or a zombie (which it becomes after the rest is reaped). */
export function namespaceEnded(init: NamespaceInit): boolean {
  const stat = readStat(`/proc/${init.pid}/stat`);
  return !stat || stat.startTime !== init.startTime || stat.ended;
}

/** Resolves once the namespace is empty, or after `limitMs` (then false). Polled: the kernel offers no event for it. */
export async function waitForNamespaceEnd(init: NamespaceInit, limitMs: number): Promise<boolean> {
  try {
    await pRetry(
      () => {
        if (!namespaceEnded(init)) throw new Error(`PID namespace of ${init.pid} still has processes`);
      },
      { retries: Number.POSITIVE_INFINITY, factor: 2, minTimeout: 5, maxTimeout: 100, maxRetryTime: limitMs },
    );
    return true;
  } catch {
    return false;
  }
}
