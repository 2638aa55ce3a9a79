/**
 * Readiness and run time judged on the program's own clock (specs/harness/ready.ts, launch.ts):
 * small throwaway programs that listen on the wrong port, idle, spin, exit, or fork to the process
 * limit get the reason for what they do, as fast as that can be known; a program slowed down only
 * by a busy CPU is not failed for it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { endianness, tmpdir } from 'node:os';
import path from 'node:path';
import getPort from 'get-port';
import { heldBackMs } from '../specs/harness/fair-timer';
import { GraderError } from '../specs/harness/grader-error';
import { killAll, launch, type Launched } from '../specs/harness/launch';
import { decodeAddress } from '../specs/harness/process-tree';
import { readProc } from '../specs/harness/proc-files';
import { randomFreePort, SERVER_PORTS } from '../specs/harness/ports';
import { waitForListener, type Listener } from '../specs/harness/ready';
import { isJail, sandboxSupport } from '../specs/harness/sandbox';
import { waitUntil } from './helpers/wait';

const TSX = path.join(__dirname, '..', 'node_modules', 'tsx', 'dist', 'cli.mjs');
const onPath = (command: string) => (process.env.PATH ?? '').split(':').some((dir) => dir && existsSync(path.join(dir, command)));

const linux = process.platform === 'linux';
/**
 * What these tests judge is the harness's own time (fair: less what load held back) and its reasons;
 * jest's limit only catches a hang, and is wide enough for a machine the rest of the selftest keeps busy.
 */
const JEST_LIMIT_MS = 120_000;
const describeLinux = linux ? describe : describe.skip;
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'ready-test-'));
});
// Killing waits until every process of each jail is gone: hundreds after a fork bomb, slow on a busy machine.
afterEach(killAll, JEST_LIMIT_MS);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Starts a Python program given as source (`pin`: on CPU 0 only, beside the burners). */
function python(source: string, options: { pin?: boolean; args?: string[] } = {}): Launched {
  const file = path.join(dir, `prog-${Math.random().toString(36).slice(2)}.py`);
  writeFileSync(file, source);
  const python = ['python3', file, ...(options.args ?? [])];
  const [command, ...args] = options.pin ? ['taskset', '-c', '0', ...python] : python;
  return launch({ command, args, cwd: dir, label: 'prog.py' });
}

function node(source: string): Launched {
  const file = path.join(dir, `prog-${Math.random().toString(36).slice(2)}.js`);
  writeFileSync(file, source);
  return launch({ command: 'node', args: [file], cwd: dir, label: 'prog.js' });
}

/**
 * The readiness failure's message, and how long after the start it came: `ms` without the time this
 * process or the program was held back by the machine's load (fair-timer.ts), so that "fast" does not
 * depend on what else runs; `wallMs` as it was, for "not before".
 * A grading error (the machine never gave the program its time) is what grading answers by running
 * the check again: so does this, a few times, and the verdict must still come.
 */
async function notReady(start: () => Launched, listener: Listener, timeoutMs?: number): Promise<{ message: string; ms: number; wallMs: number }> {
  for (let attempt = 1; ; attempt++) {
    const program = start();
    const held = heldBackMs();
    const error = await waitForListener(program, listener, timeoutMs).then(
      () => new Error('it was judged ready'),
      (e: Error) => e,
    );
    const wallMs = Date.now() - program.startedAt;
    if (!(error instanceof GraderError) || attempt === GRADING_ATTEMPTS) return { message: error.message, ms: wallMs - (heldBackMs() - held), wallMs };
    await program.kill();
  }
}
const GRADING_ATTEMPTS = 3;

/**
 * Watches the kernel's UDP table for `port` (every 20 ms); `stop()` says how long ago it appeared, without
 * the time this process or the programs were held back by load meanwhile (fair-timer.ts).
 */
function whenBound(port: number): { stop: () => Promise<number> } {
  const wanted = `:${port.toString(16).toUpperCase().padStart(4, '0')} `;
  let seen: { at: number; held: number } | undefined;
  const timer = setInterval(() => {
    if (seen) return;
    const tables = ['/proc/net/udp', '/proc/net/udp6'].map((file) => readProc(file) ?? '').join('\n');
    if (tables.includes(wanted)) seen = { at: Date.now(), held: heldBackMs() };
  }, 20);
  return {
    stop: async () => {
      clearInterval(timer);
      if (!seen) throw new Error(`port ${port} was never seen bound`);
      return Date.now() - seen.at - (heldBackMs() - seen.held);
    },
  };
}

const BURN = (seconds: number) => `import time\nend = time.process_time() + ${seconds}\nwhile time.process_time() < end:\n    pass\n`;

describeLinux('a program that does not listen where it was told gets the real reason', () => {
  test.each([
    ['python', (port: number) => python(`import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\ns.bind(('0.0.0.0', ${port}))\ns.recvfrom(100)\n`)],
    ['node', (port: number) => node(`require('node:dgram').createSocket('udp4').bind(${port}, '0.0.0.0');\n`)],
  ])('%s: idle on another port fails fast, naming that port', async (_, start) => {
    // A port a student would hard-code, outside the ephemeral range the kernel gives client sockets.
    const [wrong, wanted] = [await randomFreePort(SERVER_PORTS, 'udp'), await getPort()];
    // "Fast" counts from the moment it sits on the wrong port: how long an interpreter takes to start on
    // a busy machine is not what is judged here.
    const bound = whenBound(wrong);
    const { message } = await notReady(() => start(wrong), { protocol: 'udp', host: '127.0.0.1', port: wanted });
    expect(message).toMatch(new RegExp(`^prog\\.(py|js) listens on UDP 0\\.0\\.0\\.0:${wrong}, not on UDP 127\\.0\\.0\\.1:${wanted}: is the port hard-coded\\?`));
    const sinceBound = await bound.stop();
    expect(sinceBound).toBeLessThan(2500);
  }, JEST_LIMIT_MS);

  test('idle on an ephemeral UDP port (maybe a client socket): named too, after the longer idle wait', async () => {
    const [wrong, wanted] = [await randomFreePort([40000, 50000], 'udp'), await getPort()];
    const program = () => python(`import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\ns.bind(('127.0.0.1', ${wrong}))\ns.recvfrom(100)\n`);
    const { message, wallMs } = await notReady(program, { protocol: 'udp', host: '127.0.0.1', port: wanted });
    expect(message).toMatch(new RegExp(`listens on UDP 127\\.0\\.0\\.1:${wrong}, not on UDP 127\\.0\\.0\\.1:${wanted}`));
    expect(wallMs).toBeGreaterThan(2000);
  }, JEST_LIMIT_MS);

  test('TCP: listening on another port names it', async () => {
    const [wrong, wanted] = [await getPort(), await getPort()];
    const program = () => python(`import socket\ns = socket.socket()\ns.bind(('127.0.0.1', ${wrong}))\ns.listen()\ns.accept()\n`);
    const { message } = await notReady(program, { protocol: 'tcp', host: '127.0.0.1', port: wanted });
    expect(message).toMatch(new RegExp(`listens on TCP 127\\.0\\.0\\.1:${wrong}, not on TCP 127\\.0\\.0\\.1:${wanted}`));
  }, JEST_LIMIT_MS);

  test('Unix: listening on another path names it', async () => {
    // A check folder (grader-*) named in the arguments is writable in the jail.
    const sockets = mkdtempSync(path.join(tmpdir(), 'grader-'));
    try {
      const program = () => python('import socket, sys\ns = socket.socket(socket.AF_UNIX)\ns.bind(sys.argv[1])\ns.listen()\ns.accept()\n', { args: [path.join(sockets, 'elsewhere.sock')] });
      const { message } = await notReady(program, { protocol: 'unix', path: path.join(sockets, 'wanted.sock') });
      expect(message).toMatch(/listens on Unix socket \/\S+\/elsewhere\.sock, not on Unix socket \/\S+\/wanted\.sock: does it bind to the path given/);
    } finally {
      rmSync(sockets, { recursive: true, force: true });
    }
  }, JEST_LIMIT_MS);

  test.each(['tcp', 'udp'] as const)('%s: another program on the wanted port is not the program listening there', async (protocol) => {
    // What a check sees when a parallel check's server took the port between get-port and the bind.
    const port = await randomFreePort(SERVER_PORTS, protocol);
    const other = protocol === 'tcp' ? net.createServer().listen(port, '127.0.0.1') : dgram.createSocket('udp4').bind(port, '127.0.0.1');
    await once(other, 'listening');
    try {
      const program = () => python(`import socket, time\ns = socket.socket(socket.AF_INET, socket.SOCK_${protocol === 'tcp' ? 'STREAM' : 'DGRAM'})\ntime.sleep(1000)\n`);
      const { message } = await notReady(program, { protocol, host: '127.0.0.1', port });
      expect(message).toMatch(new RegExp(`^prog\\.py sits idle \\(for 2(\\.\\d)? s\\) without listening on ${protocol.toUpperCase()} 127\\.0\\.0\\.1:${port}:`));
    } finally {
      other.close();
    }
  }, JEST_LIMIT_MS);

  test('a UDP port another program bound too (SO_REUSEADDR on both): ready, and said to be shared', async () => {
    const port = await randomFreePort(SERVER_PORTS, 'udp');
    const bind = () => python(`import socket, time\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\ns.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\ns.bind(("127.0.0.1", ${port}))\ntime.sleep(1000)\n`);
    expect(await waitForListener(bind(), { protocol: 'udp', host: '127.0.0.1', port })).toEqual({ shared: false });
    await killAll();
    const other = dgram.createSocket({ type: 'udp4', reuseAddr: true }).bind(port, '127.0.0.1');
    await once(other, 'listening');
    try {
      expect(await waitForListener(bind(), { protocol: 'udp', host: '127.0.0.1', port })).toEqual({ shared: true });
    } finally {
      other.close();
    }
  }, JEST_LIMIT_MS);

  test('idle without any listener: said after 2 s, not after the whole wait', async () => {
    const { message, ms } = await notReady(() => python('import time\ntime.sleep(1000)\n'), { protocol: 'udp', host: '127.0.0.1', port: await getPort() }, 10_000);
    expect(message).toMatch(/^prog\.py sits idle \(for 2(\.\d)? s\) without listening on UDP 127\.0\.0\.1:\d+: is the port hard-coded\?/);
    expect(ms).toBeLessThan(5000);
  }, JEST_LIMIT_MS);

  test('spinning without listening: says it used the CPU', async () => {
    const { message, ms } = await notReady(() => python('while True:\n    pass\n'), { protocol: 'udp', host: '127.0.0.1', port: await getPort() }, 2000);
    expect(message).toMatch(/^prog\.py used the CPU for [12](\.\d)? s without listening on UDP 127\.0\.0\.1:\d+: is it stuck in a loop/);
    expect(ms).toBeLessThan(6 * 2000);
  }, JEST_LIMIT_MS);

  test('exiting: says how', async () => {
    const { message } = await notReady(() => python('import sys\nprint("bye")\nsys.exit(3)\n'), { protocol: 'udp', host: '127.0.0.1', port: await getPort() });
    expect(message).toMatch(/^prog\.py exited with code 3 before it listened on UDP 127\.0\.0\.1:\d+\.[\s\S]*\| bye/);
  }, JEST_LIMIT_MS);

  (isJail(sandboxSupport().mode) ? test : test.skip)('forking up to the process limit: the limit is the reason', async () => {
    const bomb = 'import os, sys, time\nwhile True:\n    try:\n        os.fork()\n    except OSError as e:\n        print(f"fork() failed: {e}", file=sys.stderr, flush=True)\n        time.sleep(1000)\n';
    const { message } = await notReady(() => python(bomb), { protocol: 'udp', host: '127.0.0.1', port: await getPort() });
    expect(message).toMatch(/^prog\.py did not listen on UDP 127\.0\.0\.1:\d+ \(reached the limit of 256 processes and threads\)\./);
  }, JEST_LIMIT_MS);
});

describeLinux('the sockets a program holds (seen before reading /proc/net, which costs milliseconds)', () => {
  // A container's root (Docker's default capabilities) cannot read the descriptors of the jail's user.
  (sandboxSupport().mode === 'root' && onPath('setpriv') ? test : test.skip)('root without CAP_SYS_PTRACE: the program\'s sockets are told by its user id', async () => {
    const [port, otherPort] = [await getPort(), await getPort()];
    const run = spawnSync('setpriv', ['--inh-caps=-sys_ptrace', '--bounding-set=-sys_ptrace', '--', process.execPath, TSX, path.join(__dirname, 'helpers', 'ready-without-ptrace.ts'), String(port), String(otherPort)], { encoding: 'utf8', timeout: 100_000 });
    // What it printed on stderr shows in the difference when it printed no answer.
    const said: unknown = run.stdout ? JSON.parse(run.stdout) : { stderr: run.stderr };
    expect(said).toEqual({
      inodes: 'unreadable',
      beside: { error: expect.stringMatching(new RegExp(`^prog\\.py sits idle \\(for 2(\\.\\d)? s\\) without listening on TCP 127\\.0\\.0\\.1:${otherPort}:`)) },
      own: { listening: { shared: false } },
    });
  }, JEST_LIMIT_MS);

  test('a child that ended and is not reaped yet holds none, and hides none of the others', async () => {
    // The jail's set-up leaves such zombies for a moment; taken for "cannot be read", they let any program's socket count.
    const program = python('import os, socket, time\ns = socket.socket()\nif os.fork() == 0:\n    os._exit(0)\nprint("forked", flush=True)\ntime.sleep(30)\n');
    const tree = program.processTree()!;
    const zombie = () => tree.pids().slice(1).some((pid) => readProc(`/proc/${pid}/stat`)?.includes(') Z '));
    expect(await waitUntil(() => program.stdout.toString().includes('forked') && zombie(), 30_000)).toBe(true);
    expect(tree.socketInodes()?.size).toBe(1);
  }, JEST_LIMIT_MS);

  test('none before it makes one: the stdout and stderr the grader reads do not count', async () => {
    const go = path.join(dir, `go-${Math.random().toString(36).slice(2)}`);
    const program = python(`import os, socket, time\nprint("up", flush=True)\nwhile not os.path.exists(${JSON.stringify(go)}):\n    time.sleep(0.02)\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\nprint("made", flush=True)\ntime.sleep(30)\n`);
    const tree = program.processTree()!;
    expect(await waitUntil(() => program.stdout.toString().includes('up'), 30_000)).toBe(true);
    expect(tree.socketInodes()).toEqual(new Set());
    writeFileSync(go, '');
    expect(await waitUntil(() => program.stdout.toString().includes('made'), 30_000)).toBe(true);
    expect(tree.socketInodes()?.size).toBe(1);
  }, JEST_LIMIT_MS);
});

test('addresses from /proc/net read as text', () => {
  expect(decodeAddress(endianness() === 'LE' ? '0100007F' : '7F000001')).toBe('127.0.0.1');
  expect(decodeAddress(endianness() === 'LE' ? '00000000000000000000000001000000' : '00000000000000000000000000000001')).toBe('::1');
});

describeLinux('on a busy CPU, time spent waiting for it is not counted', () => {
  // Busy loops on CPU 0, each in a session of its own (so the kernel's autogroups share CPU 0
  // between them and the program pinned there, which gets a fifth of it).
  const burners: ChildProcess[] = [];
  beforeAll(() => {
    for (let i = 0; i < 4; i++) burners.push(spawn('taskset', ['-c', '0', process.execPath, '-e', 'for (;;);'], { detached: true, stdio: 'ignore' }));
  });
  afterAll(() => {
    for (const burner of burners) if (burner.pid) process.kill(burner.pid, 'SIGKILL');
  });

  test('a server that computes 1.5 s of CPU before it binds is ready, though that takes longer than 5 s', async () => {
    const port = await randomFreePort(SERVER_PORTS, 'udp');
    const program = python(`${BURN(1.5)}import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\ns.bind(('127.0.0.1', ${port}))\ns.recvfrom(100)\n`, { pin: true });
    await waitForListener(program, { protocol: 'udp', host: '127.0.0.1', port }, 5000, 30_000);
    expect(Date.now() - program.startedAt).toBeGreaterThan(5000); // the load was real
  }, JEST_LIMIT_MS);

  test('a client that computes 1 s of CPU finishes within a 3 s run limit', async () => {
    const program = python(`${BURN(1)}print("done")\n`, { pin: true });
    const exit = await program.waitForExit(3000, 'own', 30_000);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - program.startedAt).toBeGreaterThan(3000); // the load was real
  }, JEST_LIMIT_MS);

  test('a client that hangs idle is still stopped at the run limit', async () => {
    const program = python('import time\nprint("sleeping", flush=True)\ntime.sleep(1000)\n', { pin: true });
    // Its start waits for CPU 0, which is not its time; once it sleeps, every millisecond is.
    expect(await waitUntil(() => program.stdout.toString().includes('sleeping'), JEST_LIMIT_MS / 2)).toBe(true);
    const [started, held] = [Date.now(), heldBackMs()];
    expect(await program.waitForExit(1000, 'own')).toBeUndefined();
    expect(Date.now() - started - (heldBackMs() - held)).toBeLessThan(3000);
  }, JEST_LIMIT_MS);
});
