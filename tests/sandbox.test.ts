/**
 * The sandbox's pieces: what the jail shows a program, how its limits are set, how detection falls
 * back, how an exit is explained; and, where a jail exists, real programs in it (no repository in
 * sight, the resolver's nested user namespace still works, signals reported as signals).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describeExit, fromJailStatus, type ExitFacts } from '../specs/harness/exit-reasons';
import { launch } from '../specs/harness/launch';
import { BUILD_CACHE, REPO_ROOT } from '../specs/harness/program';
import { isJail, jail, LIMITS, pathsFor, rlimitArgs, sandboxSupport } from '../specs/harness/sandbox';
import { detectSandbox } from '../specs/harness/sandbox-support';

describe('what the jail shows a program', () => {
  const temp = mkdtempSync(path.join(tmpdir(), 'grader-'));
  afterAll(() => rmSync(temp, { recursive: true, force: true }));

  test('its folder and built file read-only, the check folders named in its arguments writable, nothing else', () => {
    const built = path.join(BUILD_CACHE, 'x-0123.cjs');
    const { readable, writable } = pathsFor({
      cwd: '/srv/submission',
      args: [path.join(temp, 'server.sock'), path.join(REPO_ROOT, 'reference', 'udp-upper-server.ts'), '/etc/passwd', 'relative/path', built],
    });
    expect(writable).toEqual([temp]);
    expect(readable).toEqual(['/srv/submission']); // the build file does not exist here, so it is not shown
  });

  test('bubblewrap arguments: namespaces, the folders, the limits, then the command', () => {
    const jailed = jail({ command: 'python3', args: ['x.py', path.join(temp, 'a')], cwd: temp, inherited: { SECRET: 'x', GRADER_RUN_ID: 'r', LANG: 'C.UTF-8' }, env: { EXTRA: '1' } }, 'userns');
    expect(jailed.command).toBe('bwrap');
    const args = jailed.args.join(' ');
    expect(args).toMatch(/^--unshare-user --unshare-pid --unshare-ipc --unshare-uts --unshare-cgroup-try --die-with-parent --new-session /);
    expect(args).toContain('--ro-bind /usr /usr --ro-bind /etc /etc');
    expect(args).toContain(`--perms 1777 --size ${LIMITS.tmpBytes} --tmpfs /tmp`);
    expect(args).toContain(`--bind ${temp} ${temp}`);
    expect(args).toMatch(new RegExp(`--chdir ${temp} -- prlimit .* -- python3 x.py `));
    expect(jailed.env).toMatchObject({ GRADER_RUN_ID: 'r', LANG: 'C.UTF-8', EXTRA: '1', HOME: '/tmp', TMPDIR: '/tmp' });
    expect(jailed.env.SECRET).toBeUndefined();
  });

  test('root mode runs the program under a user id of its own', () => {
    const jailed = jail({ command: 'true', args: [], cwd: '/usr', inherited: {}, env: {} }, 'root');
    expect(jailed.args).not.toContain('--unshare-user');
    expect(jailed.args.join(' ')).toMatch(/-- setpriv --reuid=(\d+) --regid=\1 --clear-groups --no-new-privs -- prlimit /);
  });

  test('rlimits mode: prlimit only, without the process limit (it would count the grader\'s processes)', () => {
    const jailed = jail({ command: 'node', args: ['a.js'], cwd: '/tmp', inherited: { SECRET: 'x' }, env: {} }, 'rlimits');
    expect(jailed.command).toBe('prlimit');
    expect(jailed.args.join(' ')).not.toMatch(/--nproc/);
    expect(jailed.args.slice(-3)).toEqual(['--', 'node', 'a.js']);
    expect(jailed.env.SECRET).toBe('x');
  });

  test('off: the command as it is, with the whole environment', () => {
    expect(jail({ command: 'node', args: ['a.js'], cwd: '/tmp', inherited: { A: '1' }, env: { B: '2' } }, 'off')).toEqual({ command: 'node', args: ['a.js'], env: { A: '1', B: '2' }, mode: 'off' });
  });

  test('limits are hard, so the program cannot raise them', () => {
    expect(rlimitArgs(LIMITS)).toEqual([
      `--data=${LIMITS.memoryBytes}:${LIMITS.memoryBytes}`,
      `--stack=${LIMITS.stackBytes}:`,
      `--nproc=${LIMITS.processes}:${LIMITS.processes}`,
      `--fsize=${LIMITS.fileBytes}:${LIMITS.fileBytes}`,
      `--cpu=${LIMITS.cpuSeconds}:${LIMITS.cpuSeconds + 2}`,
      `--nofile=${LIMITS.openFiles}:${LIMITS.openFiles}`,
      '--core=0:0',
    ]);
  });
});

describe('detection', () => {
  const works = () => undefined;
  test('GRADER_SANDBOX=off turns everything off and says so', () => {
    const found = detectSandbox('off', works);
    expect(found.mode).toBe('off');
    expect(found.protections).toEqual(['process groups', 'output bounds']);
    expect(found.reason).toMatch(/GRADER_SANDBOX=off/);
  });

  test('a refused jail falls back to resource limits, with the reason', () => {
    if (process.platform !== 'linux') return;
    const found = detectSandbox('userns', () => 'setting up uid map: Permission denied');
    expect(found.mode).toBe('rlimits');
    expect(found.reason).toMatch(/bubblewrap in a user namespace failed \(setting up uid map: Permission denied\)/);
  });

  test('an unknown value is refused, not guessed', () => {
    expect(detectSandbox('yes', works)).toMatchObject({ mode: 'off', reason: expect.stringMatching(/not one of auto/) });
  });
});

describe('why a program ended', () => {
  const facts = (over: Partial<ExitFacts>): ExitFacts => ({ exit: { code: 1, signal: null }, printedBytes: 10, truncated: false, transcript: '', limited: true, ...over });

  test('limits, crashes and the grader, in words', () => {
    expect(describeExit(facts({ transcript: 'Traceback...\nMemoryError\n' }))).toBe('exited with code 1 (exceeded 512 MiB of memory)');
    expect(describeExit(facts({ exit: { code: null, signal: 'SIGXCPU' } }))).toBe('was killed: used more than 30 s of CPU time');
    expect(describeExit(facts({ exit: { code: null, signal: 'SIGSEGV' } }))).toBe('was killed: crashed: segmentation fault (SIGSEGV)');
    expect(describeExit(facts({ exit: { code: null, signal: 'SIGKILL' }, killed: { afterMs: 10_040 } }))).toBe('was killed: still running after 10 s');
    expect(describeExit(facts({ exit: undefined }))).toBe('is still running');
    expect(describeExit(facts({ transcript: "OSError: [Errno 30] Read-only file system: 'out.txt'" }))).toMatch(/folder is read-only while it is graded/);
    expect(describeExit(facts({ transcript: 'bwrap: execvp ./server: No such file or directory' }))).toBe('could not be started: ./server: No such file or directory');
    expect(describeExit(facts({ exit: { code: 127, signal: null }, transcript: 'prlimit: failed to execute java: No such file or directory\n' }))).toBe(
      'could not be started: java: No such file or directory',
    );
  });

  test('a cut output is said, and symptoms are not blamed on limits that did not apply', () => {
    expect(describeExit(facts({ exit: { code: 0, signal: null }, truncated: true, printedBytes: 3 * 1024 * 1024 }))).toBe(
      'exited with code 0 (output truncated: it printed 3.0 MiB, the first and last lines are kept)',
    );
    expect(describeExit(facts({ transcript: 'MemoryError', limited: false }))).toBe('exited with code 1');
  });

  test("a jail's 128+N exit status is the signal N", () => {
    expect(fromJailStatus(137, null)).toEqual({ code: null, signal: 'SIGKILL' });
    expect(fromJailStatus(3, null)).toEqual({ code: 3, signal: null });
    expect(fromJailStatus(null, 'SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
  });
});

// Registered only with a jail: the selftest counts a skipped test as a failure.
const inJail = isJail(sandboxSupport().mode) ? describe : () => undefined;

inJail('real programs in the jail', () => {
  // A folder of their own, as a student program has: the jail shows a program its working folder,
  // and the repository itself may live under the temporary folder (a CI clone in /tmp).
  const home = mkdtempSync(path.join(tmpdir(), 'jail-home-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));
  const run = async (command: string, args: string[], cwd = home) => {
    const program = launch({ command, args, cwd, label: 'probe' });
    const exit = await program.waitForExit(10_000);
    if (!exit) await program.kill();
    return program;
  };

  test('sees neither the repository nor the grader\'s processes', async () => {
    const program = await run('python3', ['-c', `import os; print(os.path.exists(${JSON.stringify(REPO_ROOT)}), sorted(p for p in os.listdir('/proc') if p.isdigit()))`]);
    expect(program.describeExit()).toBe('exited with code 0');
    expect(program.stdout.toString().trim()).toBe("False ['1', '2']");
  });

  test("the resolver's own /etc/hosts (a nested user and mount namespace) still works", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'grader-'));
    try {
      const hosts = path.join(dir, 'hosts');
      writeFileSync(hosts, '127.0.0.3 grader.example\n');
      const script = 'mount --bind "$0" /etc/hosts && exec getent hosts grader.example';
      const program = await run('unshare', ['-U', '-r', '-m', 'sh', '-c', script, hosts]);
      expect(program.describeExit()).toBe('exited with code 0');
      expect(program.stdout.toString()).toMatch(/^127\.0\.0\.3\s+grader\.example/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a grader process killed outright (SIGKILL, no cleanup) takes its programs with it, daemons too', async () => {
    const seconds = `777.${Date.now() % 100000}`; // a sleep no one else runs: how /proc finds it
    const script = [
      "require('esbuild-register/dist/node').register();",
      `const program = require(${JSON.stringify(path.join(REPO_ROOT, 'specs', 'harness', 'launch'))}).launch({ command: 'sh', args: ['-c', 'setsid sleep ${seconds} & echo ready; wait'], cwd: '/tmp', label: 'daemon' });`,
      "setInterval(() => program.stdout.toString().includes('ready') && process.kill(process.pid, 'SIGKILL'), 20);",
    ].join('\n');
    const grader = spawn(process.execPath, ['-e', script], { cwd: REPO_ROOT, stdio: 'ignore' });
    const ended = await new Promise<NodeJS.Signals | null>((resolve) => grader.once('exit', (_code, signal) => resolve(signal)));
    expect(ended).toBe('SIGKILL');
    const sleeping = () => execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' }).split('\n').filter((line) => line.includes(`sleep ${seconds}`));
    // The kernel takes the jail down as the grader dies; give it a moment, with a deadline.
    const deadline = Date.now() + 5000;
    while (sleeping().length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(sleeping()).toEqual([]);
  });

  test('a signal that ends the program is reported as that signal', async () => {
    const program = await run('sh', ['-c', 'kill -SEGV $$']);
    expect(program.exit).toEqual({ code: null, signal: 'SIGSEGV' });
    expect(program.describeExit()).toBe('was killed: crashed: segmentation fault (SIGSEGV)');
  });
});
