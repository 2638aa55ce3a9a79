/**
 * Hostile submissions (fixtures/hostile/) graded through the real path, each in its own jest child
 * process: the grade and its reason, the time it took, and that nothing of it survives (processes,
 * files, listeners) and that the repository and the grader's results stay untouched.
 *
 * Runs with every jail backend that works here (bubblewrap, util-linux): each must contain every
 * fixture. Without any jail the suite says why and passes, except on CI (CI=true), where a missing
 * jail is a failure.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import dgram from 'node:dgram';
import net from 'node:net';
import { homedir, networkInterfaces, tmpdir } from 'node:os';
import path from 'node:path';
import getPort from 'get-port';
import { sandboxSupport, workingJails, type JailBackend } from '../specs/harness/sandbox';
import { checkJestLimitMs } from '../specs/harness/exercise';
import { gradeHostile, REPO, removeChildConfig, RUN_DEADLINE_MS, type Graded } from './hostile-grading';
import { GRADING_STEP_LIMIT_MS, WHOLE_GRADING_LIMIT_MS } from './helpers/limits';
import { waitUntil } from './helpers/wait';

const backends = workingJails().map((found) => found.backend!);
// Registered only with a jail: the selftest counts a skipped test as a failure.
const describeJailed = (title: string, body: (backend: JailBackend) => void) => {
  if (backends.length) describe.each(backends)(`%s jail: ${title}`, body);
};
const RUN_MS = RUN_DEADLINE_MS + 30_000;
const TSX = path.join(REPO, 'node_modules', 'tsx', 'dist', 'cli.mjs');

afterAll(removeChildConfig);

test('the hostile suite runs where there is a jail', () => {
  if (backends.length === 0) {
    console.warn(`hostile suite skipped: ${sandboxSupport().reason}`);
    expect(process.env.CI).not.toBe('true');
  }
});

function expectContained(graded: Graded): void {
  expect(graded.leftovers).toEqual([]);
  // Bounded by the harness, not by the program: the check ended within its limit (a program that spins
  // costs 5 s of its own clock, which a busy machine stretches to at most 10x: ready.ts) and the jest
  // run ended by itself. The wall time of the whole run (jest's boot on a machine shared with the rest
  // of the selftest) is not the program's doing, so it is not judged.
  expect(graded.hung).toBe(false);
  expect(graded.checkMs).toBeLessThan(checkJestLimitMs());
  expect(graded.targetFiles).toEqual(expect.arrayContaining(['hostile.json']));
  expect(graded.targetFiles.length).toBe(3); // the program, its helper, its orders: nothing written
  for (const place of ['/tmp', tmpdir(), homedir(), REPO]) {
    expect(readdirSync(place).filter((f) => f.includes(graded.token))).toEqual([]);
  }
}

describeJailed('hostile programs are contained and graded for what they do', (backend) => {
  const neverListens: [string, RegExp][] = [
    ['never-listens.py', /sits idle \(for 2(\.\d)? s\) without listening on UDP 127\.0\.0\.1:\d+: is the port hard-coded\?/],
    ['spin.py', /used the CPU for \d+(\.\d)? s without listening on UDP 127\.0\.0\.1:\d+: is it stuck in a loop/],
    ['fork-bomb.py', /did not listen on UDP 127\.0\.0\.1:\d+ \(reached the limit of 256 processes and threads\)\.[\s\S]*fork\(\) failed: \[Errno 11\] Resource temporarily unavailable/],
    ['fork-bomb.js', /did not listen on UDP 127\.0\.0\.1:\d+ \(reached the limit of 256 processes and threads\)\.[\s\S]*spawn failed after \d+ children: spawn sleep EAGAIN/],
  ];
  test.concurrent.each(neverListens)('%s loses the check: it never listens; nothing of it remains', async (fixture, reason) => {
    const graded = await gradeHostile(fixture, { backend });
    expect(graded.status).toBe('failed');
    expect(graded.message).toMatch(reason);
    expectContained(graded);
  }, RUN_MS);

  test.concurrent.each(['flood-stdout.py', 'flood-stderr.js'])('%s is killed for flooding its output, which is cut', async (fixture) => {
    const graded = await gradeHostile(fixture, { backend });
    expect(graded.status).toBe('failed');
    expect(graded.message).toMatch(/was killed: printed more than 32 MiB \(output flood\)[^\n]*output truncated: it printed 32\.\d MiB/);
    expect(graded.message).toMatch(/before it listened/);
    expect(graded.message.length).toBeLessThan(20_000);
    expectContained(graded);
  }, RUN_MS);

  test.concurrent.each(['memory-bomb.py', 'memory-bomb.js'])('%s runs out of memory and is told so', async (fixture) => {
    const graded = await gradeHostile(fixture, { backend });
    expect(graded.status).toBe('failed');
    expect(graded.message).toMatch(/(exited with code \d+|was killed by SIG[A-Z]+)\W+exceeded 512 MiB of memory/);
    expectContained(graded);
  }, RUN_MS);

  test.concurrent('huge-file.py cannot write anywhere but its private /tmp, and no file stays', async () => {
    const graded = await gradeHostile('huge-file.py', { backend });
    expect(graded.status).toBe('failed');
    expect(graded.message).toMatch(/exited with code 1 \((a file it wrote reached the 64 MiB limit|its private \/tmp is full)/);
    expect(graded.message).toMatch(/Read-only file system/);
    expectContained(graded);
  }, RUN_MS);

  test.concurrent.each(['daemonize.py', 'daemonize.js'])('%s: the daemon it leaves dies with it, and its port is free', async (fixture) => {
    const port = await getPort();
    const graded = await gradeHostile(fixture, { backend, orders: { port } });
    expect(graded.status).toBe('failed');
    expect(graded.message).toMatch(/exited with code 0 before it listened/);
    expectContained(graded);
    expect(await canListen(port)).toBe(true);
  }, RUN_MS);

  test.concurrent('ignore-sigterm.py passes, then is gone', async () => {
    const graded = await gradeHostile('ignore-sigterm.py', { backend });
    expect(graded.message).toBe('');
    expect(graded.status).toBe('passed');
    expectContained(graded);
  }, RUN_MS);

  test.concurrent('kill-grader.py cannot signal the grader: jest reports, the check passes', async () => {
    const graded = await gradeHostile('kill-grader.py', { backend });
    expect(graded.message).toBe('');
    expect(graded.status).toBe('passed');
    expectContained(graded);
  }, RUN_MS);

  describe('cheat.py: the reference, the specs, other submissions and the results are out of reach', () => {
    const stage = () => {
      const outside = mkdtempSync(path.join(tmpdir(), 'hostile-outside-'));
      mkdirSync(path.join(REPO, '.selftest'), { recursive: true });
      const canary = path.join(REPO, '.selftest', `hostile-canary-${path.basename(outside)}.txt`);
      const files = { canary, other: path.join(outside, 'other-submission.py'), results: path.join(outside, 'results.json') };
      for (const file of Object.values(files)) writeFileSync(file, 'original\n');
      const cleanup = (token: string) => {
        rmSync(outside, { recursive: true, force: true });
        rmSync(canary, { force: true });
        rmSync(path.join(REPO, `hostile-${token}.txt`), { force: true });
        rmSync(path.join(tmpdir(), `hostile-${token}.txt`), { force: true });
      };
      return { files, cleanup };
    };

    test.concurrent('in the sandbox every attempt fails and the check passes', async () => {
      const { files, cleanup } = stage();
      const graded = await gradeHostile('cheat.py', { backend, orders: files });
      try {
        expect(graded.message).toBe('');
        expect(graded.status).toBe('passed');
        for (const file of Object.values(files)) expect(readFileSync(file, 'utf8')).toBe('original\n');
        expect(existsSync(`${files.other}.forged`)).toBe(false);
        expect(readFileSync(path.join(REPO, 'reference', 'udp-upper-server.ts'), 'utf8')).not.toMatch(/forged/);
        expectContained(graded);
      } finally {
        cleanup(graded.token);
      }
    }, RUN_MS);

    test.concurrent('control: with GRADER_SANDBOX=off the same program cheats, and the check sees it', async () => {
      const { files, cleanup } = stage();
      const graded = await gradeHostile('cheat.py', { backend, orders: files, env: { GRADER_SANDBOX: 'off' } });
      try {
        expect(graded.status).toBe('failed');
        expect(graded.message).toMatch(/cheat: succeeded at \[.*read the reference.*forge the grader's results/);
      } finally {
        cleanup(graded.token);
      }
    }, RUN_MS);
  });
});

describeJailed('graded like a submission (grader/isolation.ts): a private loopback, nothing escapes', (backend) => {
  test.concurrent('network-escape.py reaches neither the machine\'s loopback nor its outside address', async () => {
    const outside = await listenEverywhere();
    try {
      const hosts = ['127.0.0.1', ...outsideAddresses()];
      const graded = await gradeHostile('network-escape.py', { backend, wrapped: true, orders: { outside_hosts: hosts, outside_port: outside.port } });
      expect(graded.message).toBe('');
      expect(graded.status).toBe('passed');
      expect(outside.heard()).toEqual([]);
      expectContained(graded);
    } finally {
      await outside.close();
    }
  }, RUN_MS);

  test.concurrent.each(['daemonize.py', 'kill-grader.py', 'fork-bomb.py'])('%s wrapped: same grade, nothing remains', async (fixture) => {
    const port = await getPort();
    const graded = await gradeHostile(fixture, { backend, wrapped: true, orders: { port } });
    expect(graded.status).toBe(fixture === 'kill-grader.py' ? 'passed' : 'failed');
    expectContained(graded);
    expect(await canListen(port)).toBe(true);
  }, RUN_MS);

  test('two submissions graded side by side both hold the same port, and both pass', async () => {
    const port = await getPort();
    const holding = new Set<string>();
    // Each run's fixture holds the port until its "go" file appears; the files appear only once
    // both are seen holding it at the same time (each in its own network namespace).
    const watch = async ({ target, marker }: { target: string; marker: string }) => {
      if (await waitUntil(() => listensInNamespaceOf(marker, port), GRADING_STEP_LIMIT_MS)) holding.add(marker);
      await waitUntil(() => holding.size === 2, GRADING_STEP_LIMIT_MS);
      writeFileSync(path.join(target, 'go'), '');
    };
    const [a, b] = await Promise.all([0, 1].map(() => gradeHostile('fixed-port.py', { backend, wrapped: true, orders: { port, hold_until_go: true }, during: watch })));
    expect(holding.size).toBe(2);
    for (const graded of [a, b]) {
      expect(graded.message).toBe('');
      expect(graded.status).toBe('passed');
      expect(graded.leftovers).toEqual([]);
    }
  }, RUN_MS);
});

describeJailed('npm run grade: submissions graded side by side on the same port numbers', (backend) => {
  test('two submissions whose servers all take the same fixed port both get every point', async () => {
    const work = mkdtempSync(path.join(tmpdir(), 'hostile-grade-'));
    try {
      const port = await getPort();
      for (const name of ['alice', 'bob']) {
        const dir = path.join(work, 'submissions', name, 'student');
        mkdirSync(dir, { recursive: true });
        copyFileSync(path.join(REPO, 'fixtures', 'hostile', 'fixed-port.py'), path.join(dir, 'udp-upper-server.py'));
        copyFileSync(path.join(REPO, 'fixtures', 'hostile', 'lib', 'hostile.py'), path.join(dir, 'hostile.py'));
        writeFileSync(path.join(dir, 'hostile.json'), JSON.stringify({ port }));
      }
      const out = path.join(work, 'grades');
      const args = [TSX, 'grade.ts', path.join(work, 'submissions'), '--exercise', 'udp-upper-server', '--jobs', '2', '--out', out];
      const ran = await new Promise<{ code: number | string; output: string }>((resolve) =>
        execFile(process.execPath, args, { cwd: REPO, env: { ...process.env, INIT_CWD: REPO, GRADER_SANDBOX: backend }, timeout: WHOLE_GRADING_LIMIT_MS }, (error, stdout, stderr) =>
          resolve({ code: error ? (error.killed ? `killed after ${WHOLE_GRADING_LIMIT_MS / 1000} s` : Number(error.code ?? 1)) : 0, output: stdout + stderr }),
        ),
      );
      expect(ran.output).toMatch(/isolation: network namespace per submission/);
      expect({ code: ran.code, output: ran.output }).toEqual({ code: 0, output: ran.output });
      const grades = JSON.parse(readFileSync(path.join(out, 'grades.json'), 'utf8'));
      for (const submission of grades.submissions) expect({ name: submission.name, score: submission.score }).toEqual({ name: submission.name, score: submission.max });
      expect(grades.submissions).toHaveLength(2);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, WHOLE_GRADING_LIMIT_MS + 30_000);
});

/** A program carrying `marker` listens on TCP `port` in its own network namespace (seen through /proc/PID/net). */
function listensInNamespaceOf(marker: string, port: number): boolean {
  const wanted = `:${port.toString(16).toUpperCase().padStart(4, '0')} `;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (!readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(`GRADER_RUN_ID=${marker}`)) continue;
      const table = readFileSync(`/proc/${pid}/net/tcp`, 'latin1');
      if (table.split('\n').some((line) => line.includes(wanted) && line.trim().split(/\s+/)[3] === '0A')) return true;
    } catch {
      continue;
    }
  }
  return false;
}

function outsideAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((a) => a && a.family === 'IPv4' && !a.internal)
    .map((a) => a!.address);
}

/** A TCP server and a UDP socket on every address of this machine, same port; `heard()` lists who reached them. */
async function listenEverywhere(): Promise<{ port: number; heard: () => string[]; close: () => Promise<void> }> {
  const heard: string[] = [];
  const server = net.createServer((socket) => {
    heard.push(`tcp from ${socket.remoteAddress}`);
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const udp = dgram.createSocket('udp4');
  udp.on('message', (_data, from) => heard.push(`udp from ${from.address}`));
  await new Promise<void>((resolve) => udp.bind(port, '0.0.0.0', resolve));
  const close = async () => {
    udp.close();
    await new Promise((resolve) => server.close(() => resolve(undefined)));
  };
  return { port, heard: () => heard, close };
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

