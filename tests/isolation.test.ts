/**
 * grader/isolation.ts and a student program's jail (launch.ts): when the wrapped run returns, or the
 * killed program is reported gone, every process it started is gone, so what the caller then checks
 * (leftovers, ports, the next check or submission) never sees a run still dying.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { markedProcesses } from '../grader/sweep';
import { detectIsolation, wrapInNamespaces } from '../grader/isolation';
import { workingJails } from '../specs/harness/sandbox';
import type { Launched, LaunchOptions } from '../specs/harness/launch';
import { GRADING_STEP_LIMIT_MS } from './helpers/limits';
import { waitUntil } from './helpers/wait';

const jails = workingJails();
const MARK = 'ISOLATION_TEST_RUN';

test('the isolation tests run where there is a jail', () => {
  if (jails.length === 0) expect(process.env.CI).not.toBe('true');
});

if (jails.length) {
  describe.each(jails.map((found) => [found.backend!, found] as const))('%s namespaces of one submission', (_backend, found) => {
    test('return only once every process of the run is gone (200 left running by a command that ends)', async () => {
      for (let round = 0; round < 5; round++) {
        const marker = `${process.pid}-${round}-${Date.now()}`;
        const { command, args } = detectIsolation(found).wrap('sh', ['-c', 'for i in $(seq 200); do sleep 1000 & done; exit 0']);
        const child = spawn(command, args, { stdio: 'ignore', env: { ...process.env, [MARK]: marker } });
        const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
        const left = markedProcesses(MARK, marker);
        for (const pid of left) process.kill(pid, 'SIGKILL');
        expect({ code, left: left.length }).toEqual({ code: 0, left: 0 });
      }
    }, GRADING_STEP_LIMIT_MS);

    test("give the run a loopback of its own with a small TCP table and a fresh namespace's TIME_WAIT and SYN limits", () => {
      const { command, args } = detectIsolation(found).wrap('sh', ['-c', `cat ${TABLE_SIZES.join(' ')}; ${CONNECTS_V4_AND_V6}`]);
      const ran = spawnSync(command, args, { encoding: 'utf8' });
      // The machine's table size (negative in a namespace that shares it) and the limits the kernel derives from it for a new namespace.
      const machine = Math.abs(Number(readFileSync(TABLE_SIZES[0], 'utf8')));
      const table = existsSync('/proc/sys/net/ipv4/tcp_child_ehash_entries') ? 4096 : machine;
      expect({ status: ran.status, stdout: ran.stdout.trim().split('\n'), stderr: ran.stderr }).toEqual({
        status: 0,
        stdout: [String(table), String(machine / 2), String(Math.max(128, machine / 128)), 'connected on 127.0.0.1 and ::1'],
        stderr: '',
      });
    });
  });

  const bubblewrap = jails.find((found) => found.backend === 'bubblewrap');
  (bubblewrap ? test : test.skip)('an unprivileged run in bubblewrap keeps none of the capabilities its first step needed', () => {
    const { command, args } = wrapInNamespaces('userns', 'bubblewrap', 'grep', ['^Cap', '/proc/self/status']);
    const ran = spawnSync(command, args, { encoding: 'utf8' });
    expect(ran.stdout.trim().split('\n').map((line) => line.split(/\s+/))).toEqual(['CapInh:', 'CapPrm:', 'CapEff:', 'CapBnd:', 'CapAmb:'].map((name) => [name, '0000000000000000']));
  });
}

const TABLE_SIZES = ['tcp_ehash_entries', 'tcp_max_tw_buckets', 'tcp_max_syn_backlog'].map((name) => `/proc/sys/net/ipv4/${name}`);
const CONNECTS_V4_AND_V6 = `python3 -c '
import socket
for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    server = socket.socket(family)
    server.bind((host, 0))
    server.listen()
    socket.create_connection(server.getsockname()[:2]).close()
print("connected on 127.0.0.1 and ::1")'`;

if (jails.length) {
  describe.each(jails.map((found) => found.backend!))('a program in the %s jail', (backend) => {
    // launch.ts jails with the backend GRADER_SANDBOX names, read once per module instance.
    let launch: (options: LaunchOptions) => Launched;
    beforeAll(() => {
      const before = process.env.GRADER_SANDBOX;
      process.env.GRADER_SANDBOX = backend;
      jest.isolateModules(() => {
        ({ launch } = require('../specs/harness/launch'));
        expect(require('../specs/harness/sandbox').sandboxSupport().backend).toBe(backend); // detected now, while it is set
      });
      process.env.GRADER_SANDBOX = before;
    });
    const start = (script: string, marker: string) => launch({ command: 'sh', args: ['-c', script], cwd: '/usr', label: 'fork.sh', env: { [MARK]: marker } });
    // Not holding the program's output: its end of output says nothing about them.
    const FORK_200 = 'for i in $(seq 200); do sleep 1000 >/dev/null 2>&1 & done';

    test('killed with 200 processes running: once kill() resolves, none is left', async () => {
      for (let round = 0; round < 3; round++) {
        const marker = `${process.pid}-kill-${round}-${Date.now()}`;
        const program = start(`${FORK_200}; echo forked; sleep 1000`, marker);
        expect(await waitUntil(() => program.stdout.toString().includes('forked'), GRADING_STEP_LIMIT_MS)).toBe(true);
        await program.kill();
        const left = markedProcesses(MARK, marker);
        for (const pid of left) process.kill(pid, 'SIGKILL');
        expect(left.length).toBe(0);
      }
    }, GRADING_STEP_LIMIT_MS);

    test('ending with 200 processes left behind: once it has exited, none is left', async () => {
      for (let round = 0; round < 3; round++) {
        const marker = `${process.pid}-exit-${round}-${Date.now()}`;
        const program = start(`${FORK_200}; exit 3`, marker);
        const exit = await program.waitForExit(GRADING_STEP_LIMIT_MS / 2);
        const left = markedProcesses(MARK, marker);
        await program.kill();
        for (const pid of left) process.kill(pid, 'SIGKILL');
        expect({ exit, left: left.length }).toEqual({ exit: { code: 3, signal: null }, left: 0 });
      }
    }, GRADING_STEP_LIMIT_MS);
  });
}

