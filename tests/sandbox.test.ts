/**
 * The sandbox's pieces: what the jail shows a program, how its limits are set, how detection falls
 * back, how an exit is explained; and, where a jail exists, real programs in it (no repository in
 * sight, the resolver's nested user namespace still works, signals reported as signals).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describeExit, fromJailStatus, type ExitFacts } from '../specs/harness/exit-reasons';
import { buildCacheDir } from '../specs/harness/program';
import { REPO_ROOT } from '../specs/harness/repo';
import { fromJailStatus as exitOf } from '../specs/harness/exit-reasons';
import { pythonExecutable } from '../specs/harness/interpreters';
import { jail, PROGRAM_LIMITS, pathsFor, rlimitArgs, workingJails, type SandboxSupport } from '../specs/harness/sandbox';
import { detectSandbox, probe } from '../specs/harness/sandbox-support';
import { fstabLine } from '../specs/harness/unshare-jail';
import { waitUntil } from './helpers/wait';

describe('what the jail shows a program', () => {
  const temp = mkdtempSync(path.join(tmpdir(), 'grader-'));
  afterAll(() => rmSync(temp, { recursive: true, force: true }));

  test('its folder and built file read-only, the check folders named in its arguments writable, nothing else', () => {
    const built = path.join(buildCacheDir(), 'x-0123.cjs');
    const { readable, writable } = pathsFor({
      cwd: '/srv/submission',
      args: [path.join(temp, 'server.sock'), path.join(REPO_ROOT, 'reference', 'udp-upper-server.ts'), '/etc/passwd', 'relative/path', built],
    });
    expect(writable).toEqual([temp]);
    expect(readable).toEqual(['/srv/submission']); // the build file does not exist here, so it is not shown
  });

  test('bubblewrap arguments: namespaces, the folders, the limits, then the command', () => {
    const jailed = jail({ command: 'python3', args: ['x.py', path.join(temp, 'a')], cwd: temp, inherited: { SECRET: 'x', GRADER_RUN_ID: 'r', LANG: 'C.UTF-8' }, env: { EXTRA: '1' } }, 'userns', 'bubblewrap');
    expect(jailed.command).toBe('bwrap');
    const args = jailed.args.join(' ');
    expect(args).toMatch(/^--unshare-user --unshare-pid --unshare-ipc --unshare-uts --unshare-cgroup-try --die-with-parent --new-session /);
    expect(args).toContain('--ro-bind /usr /usr --ro-bind /etc /etc');
    expect(args).toContain(`--perms 1777 --size ${PROGRAM_LIMITS.tmpBytes} --tmpfs /tmp`);
    expect(args).toContain(`--bind ${temp} ${temp}`);
    expect(args).toMatch(new RegExp(`--chdir ${temp} --as-pid-1 -- sh -c "\\$@"; exit \\$\\? sh prlimit .* -- ${pythonExecutable()} x.py `));
    expect(jailed.env).toMatchObject({ GRADER_RUN_ID: 'r', LANG: 'C.UTF-8', EXTRA: '1', HOME: '/tmp', TMPDIR: '/tmp' });
    expect(jailed.env.SECRET).toBeUndefined();
  });

  test('util-linux arguments: the same view built by jail.sh in fresh namespaces, then the limits and the command', () => {
    const jailed = jail({ command: 'node', args: ['x.js', path.join(temp, 'a')], cwd: temp, inherited: { SECRET: 'x', LANG: 'C.UTF-8' }, env: {} }, 'userns', 'unshare');
    expect(jailed.command).toBe('setpriv');
    const args = jailed.args.join(' ');
    expect(args).toMatch(/^--pdeathsig KILL -- unshare --map-current-user --keep-caps --pid --fork --kill-child --mount --propagation private --ipc --uts -- sh \S+jail\.sh \S+ ro\S* /);
    // The mounts are fstab files, each mounted by one `mount --all`; the check folder inside the tmpfs is made between them.
    const root = jailed.args[jailed.args.indexOf('sh') + 2];
    const files = jailed.args.flatMap((word, i) => (word === 'mounts' ? [jailed.args[i + 1]] : []));
    expect(args).toContain(`mounts ${files[0]} dir ${temp} mounts ${files[1]} --`);
    const [first, second] = files.map((file) => readFileSync(file, 'utf8').split('\n').filter(Boolean));
    expect(first[0]).toBe(`${root} ${root} none bind 0 0`);
    expect(first).toEqual(expect.arrayContaining([
      expect.stringMatching(new RegExp(`^/usr ${root}/usr none bind,ro[,a-z]* 0 0$`)),
      expect.stringMatching(new RegExp(`^/etc ${root}/etc none bind,ro[,a-z]* 0 0$`)),
      `proc ${root}/proc proc defaults 0 0`,
      `/dev/null ${root}/dev/null none bind 0 0`,
      `tmpfs ${root}/tmp tmpfs mode=1777,size=${PROGRAM_LIMITS.tmpBytes} 0 0`,
    ]));
    expect(second).toEqual([`${temp} ${root}${temp} none bind 0 0`]);
    // No capability is left to the program: it cannot remount its read-only view.
    expect(args).toMatch(/ -- setpriv --inh-caps=-all --ambient-caps=-all --no-new-privs -- prlimit .* -- node x\.js /);
    expect(jailed.env.SECRET).toBeUndefined();
  });

  test.each(['bubblewrap', 'unshare'] as const)('root mode (%s) runs the program under a user id of its own', (backend) => {
    const jailed = jail({ command: 'true', args: [], cwd: '/usr', inherited: {}, env: {} }, 'root', backend);
    expect(jailed.args).not.toContain('--unshare-user');
    expect(jailed.args).not.toContain('--map-current-user');
    expect(jailed.args.join(' ')).toMatch(/ (sh|--) setpriv --reuid=(\d+) --regid=\2 --clear-groups --no-new-privs -- prlimit /);
  });

  test('rlimits mode: prlimit only, without the process limit (it would count the grader\'s processes)', () => {
    const jailed = jail({ command: 'node', args: ['a.js'], cwd: '/tmp', inherited: { SECRET: 'x' }, env: {} }, 'rlimits');
    expect(jailed.command).toBe('prlimit');
    expect(jailed.args.join(' ')).not.toMatch(/--nproc/);
    expect(jailed.args.slice(-3)).toEqual(['--', 'node', 'a.js']);
    expect(jailed.env.SECRET).toBe('x');
  });

  test('off: the command as it is, with the whole environment', () => {
    expect(jail({ command: 'node', args: ['a.js'], cwd: '/tmp', inherited: { A: '1' }, env: { B: '2' } }, 'off')).toMatchObject({ command: 'node', args: ['a.js'], env: { A: '1', B: '2' }, mode: 'off' });
  });

  test('python3 is started as the executable it resolves to (no pyenv shim per start), in every mode', () => {
    expect(path.isAbsolute(pythonExecutable())).toBe(true);
    for (const mode of ['off', 'rlimits', 'userns'] as const) {
      const jailed = jail({ command: 'python3', args: ['a.py'], cwd: '/tmp', inherited: { PATH: '/usr/bin' }, env: {} }, mode, 'unshare');
      expect([jailed.command, ...jailed.args]).toContain(pythonExecutable());
    }
  });

  test('limits are hard, so the program cannot raise them', () => {
    expect(rlimitArgs(PROGRAM_LIMITS)).toEqual([
      `--data=${PROGRAM_LIMITS.memoryBytes}:${PROGRAM_LIMITS.memoryBytes}`,
      `--stack=${PROGRAM_LIMITS.stackBytes}:`,
      `--nproc=${PROGRAM_LIMITS.processes}:${PROGRAM_LIMITS.processes}`,
      `--fsize=${PROGRAM_LIMITS.fileBytes}:${PROGRAM_LIMITS.fileBytes}`,
      `--cpu=${PROGRAM_LIMITS.cpuSeconds}:${PROGRAM_LIMITS.cpuSeconds + 2}`,
      `--nofile=${PROGRAM_LIMITS.openFiles}:${PROGRAM_LIMITS.openFiles}`,
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
    const found = detectSandbox('unshare', () => 'write failed /proc/self/uid_map: Operation not permitted');
    expect(found.mode).toBe('rlimits');
    expect(found.reason).toMatch(/unshare (as root|in a user namespace) failed \(write failed \/proc\/self\/uid_map: Operation not permitted\)/);
  });

  test('without bubblewrap, the util-linux jail takes over', () => {
    if (process.platform !== 'linux') return;
    const found = detectSandbox('auto', (_mode, backend) => (backend === 'bubblewrap' ? 'bwrap: No permissions' : undefined));
    expect(found.backend).toBe('unshare');
    expect(found.protections).toEqual(expect.arrayContaining(['PID namespace per program', "private filesystem view (util-linux's unshare)"]));
    expect(found.reason).toMatch(/bubblewrap/);
  });

  test('no namespaces at all: resource limits only, and what would fix it', () => {
    if (process.platform !== 'linux') return;
    const found = detectSandbox('auto', () => 'unshare failed: Operation not permitted');
    expect(found.mode).toBe('rlimits');
    expect(found.reason).toMatch(/docs\/sandbox\.md/);
  });

  test('a probe slowed down by load is tried again with longer before a jail is given up', () => {
    expect(probe('sleep', ['0.5'], undefined, [100, 30_000])).toBeUndefined();
    expect(probe('sleep', ['5'], undefined, [100, 200])).toBe('sleep did not finish within 0.2 s (is the machine overloaded?)');
    expect(probe('sh', ['-c', 'echo nope >&2; exit 3'], undefined, [30_000])).toBe('nope');
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

// Registered per jail backend that works here: the selftest counts a skipped test as a failure.
const jails = workingJails();
if (jails.length > 0) {
  describe.each(jails.map((found) => [found.backend!, found] as const))('real programs in the %s jail', (backend, found: SandboxSupport) => {
    // A folder of their own, as a student program has: the jail shows a program its working folder,
    // and the repository itself may live under the temporary folder (a CI clone in /tmp).
    const home = mkdtempSync(path.join(tmpdir(), 'jail-home-'));
    afterAll(() => rmSync(home, { recursive: true, force: true }));
    const run = (command: string, args: string[], cwd = home) => {
      const jailed = jail({ command, args, cwd, inherited: process.env, env: {} }, found.mode, backend);
      const ran = spawnSync(jailed.command, jailed.args, { cwd, env: jailed.env, encoding: 'utf8', timeout: 10_000 });
      return { exit: exitOf(ran.status, ran.signal), stdout: ran.stdout, stderr: ran.stderr };
    };

    test("sees neither the repository nor the grader's processes", () => {
      const ran = run('python3', ['-c', `import os; print(os.path.exists(${JSON.stringify(REPO_ROOT)}), len([p for p in os.listdir('/proc') if p.isdigit()]))`]);
      expect(ran.stderr).toBe('');
      // Itself and the jail's PID 1, nothing else.
      expect(ran.stdout.trim()).toBe('False 2');
    });

    test('cannot write outside its private /tmp, nor undo the read-only view', () => {
      const ran = run('sh', ['-c', `touch ${home}/x 2>/dev/null && echo wrote; mount -o remount,rw ${home} 2>/dev/null && echo remounted; touch /tmp/x && echo tmp-ok`]);
      expect(ran.stdout.trim()).toBe('tmp-ok');
    });

    test("the resolver's own /etc/hosts (a nested user and mount namespace) still works", () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'grader-'));
      try {
        const hosts = path.join(dir, 'hosts');
        writeFileSync(hosts, '127.0.0.3 grader.example\n');
        const script = 'mount --bind "$0" /etc/hosts && exec getent hosts grader.example';
        const ran = run('unshare', ['-U', '-r', '-m', 'sh', '-c', script, hosts]);
        expect(ran.stderr).toBe('');
        expect(ran.exit).toEqual({ code: 0, signal: null });
        expect(ran.stdout).toMatch(/^127\.0\.0\.3\s+grader\.example/);
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
      const grader = spawn(process.execPath, ['-e', script], { cwd: REPO_ROOT, stdio: 'ignore', env: { ...process.env, GRADER_SANDBOX: backend } });
      const ended = await new Promise<NodeJS.Signals | null>((resolve) => grader.once('exit', (_code, signal) => resolve(signal)));
      expect(ended).toBe('SIGKILL');
      const sleeping = () => execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' }).split('\n').filter((line) => line.includes(`sleep ${seconds}`));
      // The kernel takes the jail down as the grader dies; give it a moment, with a deadline.
      await waitUntil(() => sleeping().length === 0, 5000);
      expect(sleeping()).toEqual([]);
    }, 30_000); // starting a node process that loads the harness takes seconds on a busy machine

    test('a signal that ends the program is reported as that signal', () => {
      const ran = run('sh', ['-c', 'kill -SEGV $$']);
      expect(ran.exit).toEqual({ code: null, signal: 'SIGSEGV' });
    });
  });
}

describe('what the jails allow is tried once, and told to the processes started in the same place', () => {
  const ask = (env: NodeJS.ProcessEnv) => {
    const script = [
      "require('esbuild-register/dist/node').register();",
      `const found = require(${JSON.stringify(path.join(REPO_ROOT, 'specs', 'harness', 'sandbox'))}).sandboxSupport();`,
      'process.stdout.write(JSON.stringify({ found, told: process.env.GRADER_SANDBOX_FOUND }));',
    ].join('\n');
    const ran = spawnSync(process.execPath, ['-e', script], { cwd: REPO_ROOT, encoding: 'utf8', env, timeout: 60_000 });
    if (ran.status !== 0) throw new Error(`the child ended with ${ran.status ?? ran.signal}: ${ran.stderr.trim().split('\n').slice(-5).join('\n')}`);
    return JSON.parse(ran.stdout) as { found: SandboxSupport; told: string };
  };
  /** The same places, each with an answer this machine would not give. */
  const forge = (told: string) => {
    const places = Object.keys(JSON.parse(told) as Record<string, SandboxSupport>);
    return JSON.stringify(Object.fromEntries(places.map((where) => [where, { mode: 'rlimits', protections: ['forged'] }])));
  };

  test('a child in the same user, namespaces, PATH and choice takes the answer; another choice tries again', () => {
    const env = { ...process.env, GRADER_SANDBOX: 'auto', GRADER_SANDBOX_FOUND: '' };
    const first = ask(env);
    expect(first.told).toContain(JSON.stringify(first.found));
    expect(ask({ ...env, GRADER_SANDBOX_FOUND: forge(first.told) }).found.protections).toEqual(['forged']);
    const other = ask({ ...env, GRADER_SANDBOX: 'off', GRADER_SANDBOX_FOUND: forge(first.told) }).found;
    expect(other.mode).toBe('off');
    expect(other.protections).not.toEqual(['forged']);
    expect(ask({ ...env, PATH: `/nonexistent:${process.env.PATH}`, GRADER_SANDBOX_FOUND: forge(first.told) }).found.protections).not.toEqual(['forged']);
  }, 120_000);
});

describe("python3's folders are asked once, by the first process, whatever name a program is started with", () => {
  test('a child told the resolved executable\'s prefixes takes them for a bare python3 too, without asking python3', () => {
    const executable = pythonExecutable();
    const told = JSON.stringify({ [`${executable}\0${process.env.PATH}`]: ['/forged-prefix'] });
    const script = [
      "require('esbuild-register/dist/node').register();",
      `const { interpreterMounts } = require(${JSON.stringify(path.join(REPO_ROOT, 'specs', 'harness', 'interpreters'))});`,
      "process.stdout.write(JSON.stringify(interpreterMounts(['python3'])));",
    ].join('\n');
    const env = { ...process.env, GRADER_PYTHON: executable, GRADER_PYTHON_PREFIXES: told };
    const ran = spawnSync(process.execPath, ['-e', script], { cwd: REPO_ROOT, encoding: 'utf8', env, timeout: 60_000 });
    expect(ran.stderr).toBe('');
    expect(JSON.parse(ran.stdout)).toEqual(['/forged-prefix']);
  }, 60_000);
});

describe('the util-linux jail\'s fstab files', () => {
  test('a path with spaces, tabs, backslashes or # is written with octal escapes, other characters as they are', () => {
    expect(fstabLine('/a b/c\td\\e#f', '/jail/é x', 'none', 'bind,ro')).toBe('/a\\040b/c\\011d\\134e\\043f /jail/é\\040x none bind,ro 0 0');
  });
});
