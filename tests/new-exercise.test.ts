/**
 * `npm run new-exercise`: what it makes is a whole exercise the selftest holds to the bar (every check
 * passes on the reference and the good samples, each fails on a labelled broken program), and what it
 * refuses leaves the repository as it was.
 */
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exerciseKinds, scaffoldExercise, TEMPLATES } from '../grader/scaffold';
import { WHOLE_GRADING_LIMIT_MS } from './helpers/limits';

const REPO = path.resolve(__dirname, '..');
const TSX = path.join(REPO, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const README = '# course\n\n| ID | arguments | behaviour |\n|---|---|---|\n| [`udp-a`](docs/exercises/udp-a.md) | HOST PORT | a |\n| [`udp-b`](docs/exercises/udp-b.md) | HOST PORT | b |\n\nAfter the table.\n';

let work: string;
beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'new-exercise-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A folder with the templates and a README, as the scaffold needs them. */
function miniRepo(name: string): string {
  const root = path.join(work, name);
  cpSync(path.join(REPO, TEMPLATES), path.join(root, TEMPLATES), { recursive: true });
  writeFileSync(path.join(root, 'README.md'), README);
  return root;
}

describe('scaffoldExercise', () => {
  test('writes every file of the exercise and adds its row after the last one of the exercise table', () => {
    const root = miniRepo('writes');
    const written = scaffoldExercise(root, 'udp-time', 'udp-server');
    for (const file of ['specs/udp-time.spec.ts', 'reference/udp-time.ts', 'student/udp-time.py', 'student/udp-time.ts', 'docs/exercises/udp-time.md', 'fixtures/submissions/good-python/student/udp-time.py', 'fixtures/submissions/good-typescript/student/udp-time.ts']) {
      expect(written).toContain(file);
      expect(readFileSync(path.join(root, file), 'utf8')).not.toContain('__ID__');
    }
    expect(written.filter((file) => file.startsWith('fixtures/broken/udp-time/')).length).toBeGreaterThanOrEqual(2);
    expect(readFileSync(path.join(root, 'student/udp-time.py'), 'utf8')).toMatch(/^# autograder: starter/);
    const lines = readFileSync(path.join(root, 'README.md'), 'utf8').split('\n');
    expect(lines.indexOf(lines.find((l) => l.startsWith('| [`udp-time`]'))!)).toBe(lines.indexOf(lines.find((l) => l.startsWith('| [`udp-b`]'))!) + 1);
  });

  test.each([
    ['Upper_Case', 'udp-server', /is not an exercise id/],
    ['udp-x', 'no-such-kind', /there is no kind "no-such-kind": one of tcp-client, tcp-server, tool, udp-server/],
  ])('refuses id %s of kind %s, writing nothing', (id, kind, message) => {
    const root = miniRepo(`refuses-${id}`);
    expect(() => scaffoldExercise(root, id, kind)).toThrow(message);
    expect(readFileSync(path.join(root, 'README.md'), 'utf8')).toBe(README);
    expect(existsSync(path.join(root, 'specs'))).toBe(false);
  });

  test('refuses an id that exists, naming what is in the way, and changes nothing', () => {
    const root = miniRepo('exists');
    mkdirSync(path.join(root, 'specs'));
    writeFileSync(path.join(root, 'specs/udp-a.spec.ts'), 'mine');
    expect(() => scaffoldExercise(root, 'udp-a', 'tcp-server')).toThrow(/exercise udp-a exists already \(.*specs\/udp-a\.spec\.ts/);
    expect(readFileSync(path.join(root, 'specs/udp-a.spec.ts'), 'utf8')).toBe('mine');
    expect(readFileSync(path.join(root, 'README.md'), 'utf8')).toBe(README);
    expect(existsSync(path.join(root, 'reference'))).toBe(false);
  });

  test('refuses a README without an exercise table', () => {
    const root = miniRepo('no-table');
    writeFileSync(path.join(root, 'README.md'), '# nothing here\n');
    expect(() => scaffoldExercise(root, 'udp-x', 'udp-server')).toThrow(/README\.md has no exercise table/);
    expect(existsSync(path.join(root, 'specs'))).toBe(false);
  });
});

/** Runs a front end of the copy in a process group of its own, killed with everything it started whatever happens. */
function run(cwd: string, script: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TSX, script, ...args], { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d));
    child.stderr.on('data', (d: Buffer) => (output += d));
    const limit = setTimeout(() => child.pid && process.kill(-child.pid, 'SIGKILL'), WHOLE_GRADING_LIMIT_MS - 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(limit);
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // the group is gone already
      }
      resolve({ code, output });
    });
  });
}

describe('a new exercise of each kind in a copy of this repository', () => {
  let copy: string;
  beforeAll(() => {
    copy = path.join(work, 'repo');
    const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard'], { cwd: REPO, encoding: 'utf8' }).split('\n').filter(Boolean);
    for (const file of files) if (existsSync(path.join(REPO, file))) cpSync(path.join(REPO, file), path.join(copy, file));
    symlinkSync(path.join(REPO, 'node_modules'), path.join(copy, 'node_modules'));
  }, WHOLE_GRADING_LIMIT_MS);

  test('passes the selftest as made, and the selftest fails once a check has no broken program', async () => {
    const kinds = exerciseKinds(REPO);
    for (const kind of kinds) {
      const made = await run(copy, 'scripts/new-exercise.ts', [`new-${kind}`, '--kind', kind]);
      expect(made.output).toContain(`new-${kind} passes the selftest as it is`);
      expect(made.code).toBe(0);
      expect(readFileSync(path.join(copy, `docs/exercises/new-${kind}.md`), 'utf8')).toMatch(/\| `answers` \| 1 \|\n\| exits non-zero.* \| `(port-in-use|refused|bad-input)` \| 1 \|/);
    }
    const exercises = kinds.flatMap((kind) => ['--exercise', `new-${kind}`]);
    const green = await run(copy, 'scripts/selftest.ts', exercises);
    expect(green.output).toMatch(/selftest: \d+ passed, 0 failed/);
    expect(green.code).toBe(0);

    unlinkSync(path.join(copy, 'fixtures/broken/new-udp-server/bind-error-ignored.py'));
    const red = await run(copy, 'scripts/selftest.ts', ['--exercise', 'new-udp-server']);
    expect(red.output).toContain('✗ new-udp-server: every check is failed by a labelled program in fixtures/broken/new-udp-server/\n    no broken program fails: port-in-use');
    expect(red.code).toBe(1);
  }, WHOLE_GRADING_LIMIT_MS);
});
