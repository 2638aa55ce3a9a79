/**
 * What a started program's process tree (the launched process and all its descendants, daemons
 * included) is doing, read from Linux's /proc without disturbing it: the CPU time its tasks used,
 * whether one of them is running or about to, how long they were held back by others (waiting for a
 * CPU, in the kernel, or for the grader to read their output: the machine's load, not the program's
 * doing), and the sockets it listens on.
 *
 * `ProcessTree.of()` is undefined where there is no such /proc (not Linux, a kernel without
 * schedstat): callers then keep to the wall clock.
 */
import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import net from 'node:net';
import { endianness } from 'node:os';
import { isPid1Shell } from './namespace-init';
import { childProcesses, listProc, readProc, readStat, socketTableRows } from './proc-files';

export interface Activity {
  /** CPU time of every task of the tree seen so far: it grows whenever any of them runs. */
  cpuMs: number;
  /**
   * How long it was held back by others: runnable but waiting for a CPU (per process the longest wait
   * of one of its threads, which wait side by side, added up over its processes: a jail's set-up is a
   * chain of short-lived ones, each waiting in turn; tasks that lived only between two samples are not
   * seen), plus the time between samples that found it all held in the kernel (D) or blocked writing
   * output the grader had not read yet, and nothing of it working, or still in the jail's set-up.
   */
  waitedMs: number;
  /** A task is running or runnable (R), or in an uninterruptible wait such as disk I/O (D). */
  busy: boolean;
  /** Tasks seen so far; a new one is activity too. */
  tasks: number;
  /** Tasks (processes and threads) alive in this sample. */
  live: number;
}

export interface HeldSocket {
  protocol: 'tcp' | 'udp' | 'unix';
  /** "0.0.0.0:9999", "[::1]:9999", or the socket's path. */
  address: string;
  port?: number;
  /** UDP in the ephemeral port range: maybe a client socket the kernel bound, not a server's. */
  ephemeral?: boolean;
}

/**
 * Sleeping here (/proc/.../wchan), a task waits for the grader to read its output (Node gives a child
 * a Unix socket pair for stdout and stderr; a pipe when run through a shell): the grader's slowness,
 * not the program's.
 */
const WAITS_FOR_THE_GRADER = /^(anon_)?pipe_write$|^sock_alloc_send_pskb$/;
/** The jail's own processes (sandbox.ts), which only wait for the program they run. */
const JAIL_TOOLS = new Set(['bwrap', 'unshare']);
/**
 * The jail's set-up before the program runs (sandbox.ts, jail.sh): a chain of short-lived processes that
 * a busy machine stretches to seconds, most of them never seen between two samples. Until the first
 * process that is none of them appears, the time is the grader's, not the program's.
 */
const JAIL_SET_UP = new Set([...JAIL_TOOLS, 'setpriv', 'prlimit', 'mount', 'mkdir', 'ln', 'pivot_root', 'umount']);
const JAIL_SCRIPT = /(^|\/)jail\.sh$/;
/** Sleeping here, a task waits for another task of the tree (a child, a lock of its own): neither working nor held. */
const WAITS_FOR_ITS_OWN = /^(do_wait|kernel_wait4|futex_wait_queue(_me)?|futex_wait)$/;

interface TaskTimes {
  pid: number;
  runNs: number;
  waitNs: number;
}

export class ProcessTree {
  private readonly seen = new Map<string, TaskTimes>();
  /** Time the whole tree was held by others: in the kernel (D), or writing into a pipe the grader had not read. */
  private heldMs = 0;
  private lastSample: { at: number; held: boolean } | undefined;
  /** A process of the program itself has been seen (the jail's set-up is over). */
  private programSeen = false;
  /** Activity.waitedMs in the sample that first saw the program: what the jail's set-up was held. */
  private setUpWaitedMs: number | undefined;
  private lastWaitedMs = 0;
  /** The sockets of the stdout and stderr the grader reads (read from the root process once). */
  private outputInodes: Set<string> | undefined;

  private constructor(readonly rootPid: number) {}

  static of(pid: number | undefined): ProcessTree | undefined {
    if (pid === undefined || process.platform !== 'linux' || !existsSync('/proc/self/schedstat')) return undefined;
    return new ProcessTree(pid);
  }

  /** The tree's processes now: the root and its descendants. */
  pids(): number[] {
    return this.processes().map(({ pid }) => pid);
  }

  /** The tree's processes now, each with its tasks (threads), read once. */
  private processes(): { pid: number; tids: string[] }[] {
    if (!existsSync(`/proc/${this.rootPid}`)) return [];
    const found: { pid: number; tids: string[] }[] = [];
    const queue = [this.rootPid];
    while (queue.length > 0) {
      const pid = queue.shift()!;
      const tids = listProc(`/proc/${pid}/task`);
      found.push({ pid, tids });
      queue.push(...childProcesses(pid, tids));
    }
    return found;
  }

  sample(): Activity {
    const seenBefore = this.programSeen;
    let busy = false;
    let working = false;
    let held = false;
    let live = 0;
    // Sleeping tasks, whose wait channel says whether they wait for the grader or work (read only when needed).
    const sleeping: string[] = [];
    for (const { pid, tids } of this.processes()) {
      for (const tid of tids) {
        const stat = readStat(`/proc/${pid}/task/${tid}/stat`);
        const sched = readProc(`/proc/${pid}/task/${tid}/schedstat`)?.split(' ');
        if (!stat || !sched) continue; // gone meanwhile
        const { state, command } = stat;
        if (!this.programSeen && !this.settingUp(pid, command)) this.programSeen = true;
        if (state === 'R' || state === 'D') busy = true;
        if (JAIL_TOOLS.has(command)) {
          // the jail around the program (sandbox.ts): what it waits for is the program
        } else if (state === 'R') working = true;
        else if (state === 'D') held = true;
        else if (state === 'S') sleeping.push(`/proc/${pid}/task/${tid}/wchan`);
        live += 1;
        // The start time tells a reused task id from the task that had it before.
        this.seen.set(`${tid}@${stat.startTime}`, { pid, runNs: Number(sched[0]), waitNs: Number(sched[1]) });
      }
    }
    // Only "held and nothing working" counts: once a task works, the others' waits do not matter.
    for (const wchan of working ? [] : sleeping) {
      const where = readProc(wchan) ?? '';
      if (WAITS_FOR_THE_GRADER.test(where)) held = true;
      else if (!WAITS_FOR_ITS_OWN.test(where)) {
        working = true;
        break;
      }
    }
    this.countHeld((held && !working) || !this.programSeen);
    let runNs = 0;
    // The threads of a process wait side by side (the longest wait counts); its processes mostly one
    // after another (a jail's set-up runs a chain of short-lived ones): their waits add up.
    const waitByProcess = new Map<number, number>();
    for (const times of this.seen.values()) {
      runNs += times.runNs;
      waitByProcess.set(times.pid, Math.max(waitByProcess.get(times.pid) ?? 0, times.waitNs));
    }
    const waitNs = [...waitByProcess.values()].reduce((sum, ns) => sum + ns, 0);
    const waitedMs = waitNs / 1e6 + this.heldMs;
    if (this.programSeen && !seenBefore) this.setUpWaitedMs = waitedMs;
    this.lastWaitedMs = waitedMs;
    return { cpuMs: runNs / 1e6, waitedMs, busy, tasks: this.seen.size, live };
  }

  /**
   * How long the program itself (after the jail's set-up) was held back, as of the last sample;
   * undefined until a sample saw it.
   */
  programWaitedMs(): number | undefined {
    return this.setUpWaitedMs === undefined ? undefined : this.lastWaitedMs - this.setUpWaitedMs;
  }

  /** A process of the jail's set-up, not yet the program (the program's own `sh` is neither jail.sh nor the jail's PID 1). */
  private settingUp(pid: number, command: string): boolean {
    if (JAIL_SET_UP.has(command)) return true;
    if (command !== 'sh') return false;
    const words = (readProc(`/proc/${pid}/cmdline`) ?? '').split('\0');
    return (words.length > 1 && JAIL_SCRIPT.test(words[1])) || isPid1Shell(words);
  }

  /** Time between two samples that both found the tree held by others counts as held (an estimate from below). */
  private countHeld(held: boolean): void {
    const now = Date.now();
    if (held && this.lastSample?.held) this.heldMs += now - this.lastSample.at;
    this.lastSample = { at: now, held };
  }

  /**
   * The inodes of the sockets its processes hold now, but for the output channels the grader gave it
   * (Node makes stdout and stderr a socket pair); undefined when the descriptors of one of them (still
   * running) could not be read, so that nothing is concluded from an empty set that was not seen.
   */
  socketInodes(): Set<string> | undefined {
    this.outputInodes ??= new Set([1, 2].map((fd) => socketInode(`/proc/${this.rootPid}/fd/${fd}`)).filter((inode) => typeof inode === 'string'));
    const inodes = new Set<string>();
    for (const pid of this.pids()) {
      let fds: string[];
      try {
        fds = readdirSync(`/proc/${pid}/fd`);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // ended meanwhile
        return undefined;
      }
      // A leader that ended while its threads run on shows no descriptors: nothing can be concluded. A
      // process that ended and is not reaped yet (the jail's set-up runs a chain of them) holds none.
      if (fds.length === 0 && readStat(`/proc/${pid}/stat`)?.state === 'Z' && listProc(`/proc/${pid}/task`).length > 1) return undefined;
      for (const fd of fds) {
        const inode = socketInode(`/proc/${pid}/fd/${fd}`);
        if (inode === null) return undefined;
        if (inode !== undefined && !this.outputInodes.has(inode)) inodes.add(inode);
      }
    }
    return inodes;
  }

  /** The sockets the tree listens on: TCP in LISTEN state, unconnected UDP, listening Unix sockets with a path. */
  listeners(): HeldSocket[] {
    const inodes = this.socketInodes() ?? new Set<string>();
    if (inodes.size === 0) return [];
    const [ephemeralLow, ephemeralHigh] = (readProc('/proc/sys/net/ipv4/ip_local_port_range') ?? '32768 60999').trim().split(/\s+/).map(Number);
    const found: HeldSocket[] = [];
    for (const protocol of ['tcp', 'udp'] as const) {
      for (const table of [`/proc/net/${protocol}`, `/proc/net/${protocol}6`]) {
        for (const fields of socketTableRows(table)) {
          if (!inodes.has(fields[9])) continue;
          const [host, portHex] = fields[1].split(':');
          const port = parseInt(portHex, 16);
          const listens = protocol === 'tcp' ? fields[3] === '0A' : fields[2].endsWith(':0000');
          if (!listens) continue;
          const address = decodeAddress(host);
          const ephemeral = protocol === 'udp' && port >= ephemeralLow && port <= ephemeralHigh;
          found.push({ protocol, port, address: `${address.includes(':') ? `[${address}]` : address}:${port}`, ephemeral });
        }
      }
    }
    for (const fields of socketTableRows('/proc/net/unix')) {
      const listening = (parseInt(fields[3], 16) & 0x10000) !== 0; // __SO_ACCEPTCON
      const path = fields.slice(7).join(' ');
      if (listening && path && inodes.has(fields[6])) found.push({ protocol: 'unix', address: path });
    }
    return found;
  }
}

/**
 * The inode of the socket a /proc/PID/fd/N link names; undefined for anything else or a descriptor
 * closed meanwhile; null when it cannot be read (root without CAP_SYS_PTRACE reading another user's).
 */
function socketInode(link: string): string | undefined | null {
  try {
    const target = readlinkSync(link);
    return target.startsWith('socket:[') ? target.slice(8, -1) : undefined;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? undefined : null;
  }
}

/** /proc/net's hex address (32-bit words in the machine's byte order) as text: "127.0.0.1", "::1". */
export function decodeAddress(hex: string): string {
  const bytes = Buffer.from(hex, 'hex');
  if (endianness() === 'LE') for (let i = 0; i < bytes.length; i += 4) bytes.subarray(i, i + 4).reverse();
  if (bytes.length === 4) return [...bytes].join('.');
  const groups = Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(2 * i).toString(16));
  return new net.SocketAddress({ address: groups.join(':'), family: 'ipv6' }).address;
}
