/**
 * grader/isolation.ts and a student program's jail (launch.ts): when the wrapped run returns, or the
 * killed program is reported gone, every process it started is gone, so what the caller then checks
 * (leftovers, ports, the next check or submission) never sees a run still dying.
 */
import { spawn } from 'node:child_process';
import { markedProcesses } from '../grader/sweep';
import { detectIsolation } from '../grader/isolation';
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
  });
}

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

