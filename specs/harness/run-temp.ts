/**
 * The temporary folders of a grading run (grade.ts, npm test, the selftest, and every process they
 * start), and the removal of those a killed run left behind. Each such folder holds a marker naming
 * the processes it belongs to: the run's entry point (told to the processes it starts through the
 * environment, also to those in the run's own PID namespaces) and, when it lives in the same PID
 * namespace, the process that made it. A folder is stale when every one of them has ended: a pid
 * alone can be reused, so a process counts as the same only with the same start time (/proc/PID/stat),
 * boot and PID namespace.
 */
import { closeSync, constants, existsSync, fstatSync, lstatSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readStat } from './proc-files';

/** How every folder made by runTempFolder is named; nothing else in the temporary folder is looked at. */
export const RUN_TEMP_PREFIXES = ['grade-', 'grader-', 'socket-grader-'] as const;
export const OWNER_MARKER = '.socket-grader-owner';
const OWNER_ENV = 'GRADER_TEMP_OWNER';

interface Owner {
  pid: number;
  /** Clock ticks after boot at which it started (field 22 of /proc/PID/stat). */
  start: number;
  boot: string;
  pidns: string;
}

/** When it started, unless it has ended (a zombie has: it only waits to be reaped); null when its stat cannot be read. */
function startTime(pid: number | 'self'): number | undefined | null {
  const stat = readStat(`/proc/${pid}/stat`);
  if (!stat) return null;
  const start = Number(stat.startTime);
  return Number.isInteger(start) && !stat.ended ? start : undefined;
}

let self: Owner | null | undefined;

/** This process, as another process can tell it apart from whoever gets its pid later; null without /proc. */
function thisProcess(): Owner | null {
  if (self === undefined) {
    try {
      const start = startTime('self');
      self = start === undefined || start === null ? null : { pid: process.pid, start, boot: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(), pidns: readlinkSync('/proc/self/ns/pid') };
    } catch {
      self = null;
    }
  }
  return self;
}

function isOwner(value: unknown): value is Owner {
  const o = value as Owner;
  return typeof o === 'object' && o !== null && Number.isInteger(o.pid) && Number.isInteger(o.start) && typeof o.boot === 'string' && typeof o.pidns === 'string';
}

function inheritedOwner(): Owner | undefined {
  try {
    const owner: unknown = JSON.parse(process.env[OWNER_ENV] ?? '');
    return isOwner(owner) ? owner : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A run's entry point: removes what killed runs left, and from now on owns the folders it and the
 * processes it starts make. Inside the PID namespace of a run that owns them already (npm test
 * running itself again isolated), that run stays the owner: the host cannot see this process.
 */
export function beginRun(): void {
  removeStaleTempFolders();
  const me = thisProcess();
  const inherited = inheritedOwner();
  if (me && (!inherited || inherited.pidns === me.pidns)) process.env[OWNER_ENV] = JSON.stringify(me);
}

function owners(): Owner[] {
  const me = thisProcess();
  if (!me) return [];
  const run = inheritedOwner();
  if (!run) {
    process.env[OWNER_ENV] = JSON.stringify(me);
    return [me];
  }
  return run.pidns === me.pidns && run.pid !== me.pid ? [run, me] : [run];
}

type RunTempPrefix = `${(typeof RUN_TEMP_PREFIXES)[number]}${string}`;

/** mkdtemp in the temporary folder (mode 0700), marked as this run's. */
export function runTempFolder(prefix: RunTempPrefix): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  const marked = owners();
  if (marked.length) writeFileSync(path.join(dir, OWNER_MARKER), JSON.stringify(marked), { mode: 0o600, flag: 'wx' });
  return dir;
}

/** False only when it has certainly ended: not there, or another process (or boot) under its pid. */
function mayBeAlive(owner: Owner, me: Owner): boolean {
  if (owner.boot !== me.boot) return false;
  if (owner.pidns !== me.pidns) return true; // its pids are not ours to look up
  const start = startTime(owner.pid);
  // Unreadable but there (another user's, say): it may be alive.
  return start === null ? existsSync(`/proc/${owner.pid}`) : start === owner.start;
}

/** The owners a folder's marker names, when it is a regular file of this user's (never through a link). */
function readMarker(dir: string, uid: number): Owner[] | undefined {
  let fd: number;
  try {
    fd = openSync(path.join(dir, OWNER_MARKER), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile() || stat.uid !== uid || stat.size > 4096) return undefined;
    const parsed: unknown = JSON.parse(readFileSync(fd, 'utf8'));
    return Array.isArray(parsed) && parsed.length > 0 && parsed.every(isOwner) ? parsed : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * Removes the folders of ended runs from the temporary folder: named like ours, real folders (not
 * links) of this user's, with a marker whose every owner has ended. A folder without a readable marker
 * is left alone. Returns the folders removed.
 */
export function removeStaleTempFolders(root = tmpdir()): string[] {
  const me = thisProcess();
  const uid = process.getuid?.();
  if (!me || uid === undefined) return [];
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!RUN_TEMP_PREFIXES.some((prefix) => name.startsWith(prefix))) continue;
    const dir = path.join(root, name);
    try {
      const stat = lstatSync(dir);
      if (!stat.isDirectory() || stat.uid !== uid) continue;
      const marked = readMarker(dir, uid);
      if (!marked || marked.some((owner) => mayBeAlive(owner, me))) continue;
      // rm never follows links. The marker goes last: a folder that cannot be emptied now is tried again next time.
      for (const entry of readdirSync(dir)) if (entry !== OWNER_MARKER) rmSync(path.join(dir, entry), { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    } catch {
      // housekeeping: what cannot be removed now may be next time
    }
  }
  return removed;
}
