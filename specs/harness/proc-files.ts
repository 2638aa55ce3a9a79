/**
 * Reading /proc, which the harness does many times a second per running program (process-tree.ts,
 * ready.ts, fair-timer.ts). Its files report a size of 0, so fs.readFileSync reads each through a
 * fresh 64-KiB buffer; one buffer, reused (and grown for a large socket table), costs far less.
 */
import { closeSync, existsSync, openSync, readdirSync, readSync } from 'node:fs';

let buffer = Buffer.allocUnsafe(16 * 1024);

/** The file's text, or undefined when it cannot be read (a process gone meanwhile, say). */
export function readProc(file: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        const bigger = Buffer.allocUnsafe(buffer.length * 2);
        buffer.copy(bigger, 0, 0, length);
        buffer = bigger;
      }
      const got = readSync(fd, buffer, length, buffer.length - length, null);
      if (got === 0) break;
      length += got;
    }
    return buffer.toString('latin1', 0, length);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The folder's entries, or none when it cannot be read. */
export function listProc(folder: string): string[] {
  try {
    return readdirSync(folder);
  } catch {
    return [];
  }
}

/** The fields of each row of a /proc/net socket table (tcp, udp6, unix...), header skipped. */
export function socketTableRows(file: string): string[][] {
  return (readProc(file) ?? '')
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields.length >= 7);
}

/** Processes live for milliseconds here: one scan of /proc serves every look-up made in that time. */
const SCAN_REUSE_MS = 40;
let scan: { at: number; children: Map<number, number[]> } | undefined;

/** The child processes of `pid` now (`tids`: its tasks, when the caller has just listed them). */
export function childProcesses(pid: number, tids?: string[]): number[] {
  return HAS_CHILDREN_FILES ? childrenOf(pid, tids ?? listProc(`/proc/${pid}/task`)) : childrenByParent().get(pid) ?? [];
}

/** A process's or task's /proc/.../stat, split: what the harness reads of it. */
export interface ProcStat {
  command: string;
  /** R running, S sleeping, D in the kernel, Z zombie, X dead, ... */
  state: string;
  ppid: number;
  /** Clock ticks after boot at which it started (field 22): tells a reused pid from the one before. */
  startTime: string;
  ended: boolean;
}

/** `/proc/PID/stat` (or `/proc/PID/task/TID/stat`), or undefined when it cannot be read. */
export function readStat(file: string): ProcStat | undefined {
  const stat = readProc(file);
  if (!stat) return undefined;
  // Field 2, the command name, may hold spaces and parentheses: count from the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  return { command: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), state, ppid: Number(fields[1]), startTime: fields[19], ended: state === 'Z' || state === 'X' };
}

/** The kernel lists each task's children (CONFIG_PROC_CHILDREN): the tree is read without scanning every process. */
const HAS_CHILDREN_FILES = existsSync(`/proc/${process.pid}/task/${process.pid}/children`);

function childrenOf(pid: number, tids: string[]): number[] {
  const found: number[] = [];
  for (const tid of tids) {
    for (const child of (readProc(`/proc/${pid}/task/${tid}/children`) ?? '').split(' ')) if (child) found.push(Number(child));
  }
  return found;
}

/** pid -> its child processes, from every /proc/PID/stat (where the kernel lacks /proc/PID/task/TID/children). */
function childrenByParent(): Map<number, number[]> {
  if (scan && Date.now() - scan.at < SCAN_REUSE_MS) return scan.children;
  const children = new Map<number, number[]>();
  for (const entry of listProc('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const ppid = readStat(`/proc/${entry}/stat`)?.ppid;
    if (ppid === undefined) continue;
    children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
  }
  scan = { at: Date.now(), children };
  return children;
}
