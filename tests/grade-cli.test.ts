/**
 * `npm run grade` for real, end to end: jest children grading one exercise of small submissions,
 * the outputs they leave, a second run that skips them, the time budget, and no process left behind.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { zipArchive } from './helpers/zip-writer';
import { WHOLE_GRADING_LIMIT_MS, GRADING_STEP_LIMIT_MS } from './helpers/limits';
import { waitUntil } from './helpers/wait';

const REPO = path.resolve(__dirname, '..');
const TSX = path.join(REPO, 'node_modules', 'tsx', 'dist', 'cli.mjs');

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function grade(args: string[], env: Record<string, string> = {}): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(process.execPath, [TSX, 'grade.ts', ...args], { cwd: REPO, env: { ...process.env, CI: 'true', INIT_CWD: REPO, ...env } }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

let work: string;
beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'grade-cli-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const student = (root: string, name: string, file: string, content: string) => {
  mkdirSync(path.join(root, name, 'student'), { recursive: true });
  writeFileSync(path.join(root, name, 'student', file), content);
};

test('grades a folder of submissions, writes every output, and skips them when run again', async () => {
  const subs = path.join(work, 'subs');
  const out = path.join(work, 'grades');
  mkdirSync(subs);
  const reference = readFileSync(path.join(REPO, 'reference', 'udp-upper-server.ts'));
  writeFileSync(path.join(subs, 'good.zip'), zipArchive([{ name: 'good/student/udp-upper-server.ts', data: reference }]));
  mkdirSync(path.join(subs, 'cut', 'student'), { recursive: true });
  copyFileSync(path.join(REPO, 'fixtures', 'broken', 'udp-upper-server', 'recv-1024.py'), path.join(subs, 'cut', 'student', 'udp-upper-server.py'));
  student(subs, 'nothing', 'notes.txt', 'I will start tomorrow');
  writeFileSync(path.join(subs, 'slip.zip'), zipArchive([{ name: '../../escape.py', data: 'x' }]));

  const args = [subs, '--exercise', 'udp-upper-server', '--hidden', '--unsafe', '--jobs', '2', '--out', out];
  const first = await grade(args);
  expect(first.stderr).toBe('');
  expect(first.code).toBe(0);
  expect(first.stdout).toMatch(/4 graded, 0 unchanged/);

  const csv = readFileSync(path.join(out, 'grades.csv'), 'utf8').trim().split('\r\n');
  const grades = JSON.parse(readFileSync(path.join(out, 'grades.json'), 'utf8'));
  const max = grades.exercises[0].max;
  // recv-1024.py cuts datagrams: it fails the 60000-byte check and the hidden 65507-byte one.
  const cutFails = ['large', 'max-size'];
  const lost = grades.exercises[0].checks.filter((c: { id: string }) => cutFails.includes(c.id)).reduce((sum: number, c: { points: number }) => sum + c.points, 0);
  expect(csv).toEqual(['submission,udp-upper-server,total', `cut,${max - lost},${max - lost}`, `good,${max},${max}`, 'nothing,0,0', 'slip,0,0']);
  const byName = Object.fromEntries(grades.submissions.map((s: { name: string }) => [s.name, s]));
  expect(byName.cut.exercises[0].checks.filter((c: { status: string }) => c.status === 'failed').map((c: { id: string }) => c.id)).toEqual(cutFails);
  expect(byName.nothing.exercises[0].attempted).toBe(false);
  expect(byName.slip.error).toMatch(/unsafe archive/);

  for (const name of ['cut', 'good', 'nothing', 'slip']) {
    for (const file of ['result.json', 'feedback.md', 'junit.xml']) expect(existsSync(path.join(out, 'submissions', name, file))).toBe(true);
    expect(JSON.parse(readFileSync(path.join(out, 'gradescope', name, 'results.json'), 'utf8')).score).toBe(byName[name].score);
  }
  expect(readFileSync(path.join(out, 'submissions', 'cut', 'feedback.md'), 'utf8')).toContain('recvfrom(1024)');
  expect(readFileSync(path.join(out, 'report.html'), 'utf8')).toContain('<svg');

  const second = await grade(args);
  expect(second.code).toBe(0);
  expect(second.stdout).toMatch(/0 graded, 4 unchanged/); // unless specs/ changed meanwhile
}, WHOLE_GRADING_LIMIT_MS);

/** Processes whose command line carries `token`. */
function carrying(token: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'latin1');
      if (cmdline.includes(token) && !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))) found.push(`${pid} ${cmdline.replace(/\0/g, ' ')}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** A program that ends up as `python3 -c <sleep> TOKEN` (so /proc finds it), as a daemon or not. */
function sleeper(token: string, daemon: boolean): string {
  const exec = `os.execv(sys.executable, [sys.executable, '-c', 'import time; time.sleep(600)', '${token}'])`;
  // A daemon leaves its process group and lives on while its parent exits (the check fails at once).
  return daemon ? `import os, sys\nif os.fork():\n    sys.exit(3)\nos.setsid()\n${exec}\n` : `import os, sys\n${exec}\n`;
}


test('the time budget stops a submission, and no program it started survives, not even a daemon', async () => {
  const subs = path.join(work, 'budget');
  const tokens = { hang: `grade-test-hang-${randomUUID()}`, daemon: `grade-test-daemon-${randomUUID()}`, unconfined: `grade-test-unconfined-${randomUUID()}` };
  student(path.join(subs, 'a'), 'hang', 'udp-upper-server.py', sleeper(tokens.hang, false));
  student(path.join(subs, 'b'), 'daemon', 'udp-upper-server.py', sleeper(tokens.daemon, true));
  student(path.join(subs, 'c'), 'unconfined', 'udp-upper-server.py', sleeper(tokens.unconfined, true));
  const common = ['--exercise', 'udp-upper-server', '--unsafe'];
  const runs = [
    grade([path.join(subs, 'a'), ...common, '--timeout', '4', '--out', path.join(work, 'budget-a')]),
    grade([path.join(subs, 'b'), ...common, '--out', path.join(work, 'budget-b')]),
    // No sandbox at all: only the grader's own sweep (by environment marker) finds the daemons.
    grade([path.join(subs, 'c'), ...common, '--timeout', '240', '--out', path.join(work, 'budget-c')], { GRADER_SANDBOX: 'off' }),
  ];
  expect(await waitUntil(() => carrying(tokens.unconfined).length > 0, GRADING_STEP_LIMIT_MS)).toBe(true);
  expect((await Promise.all(runs)).map((r) => r.code)).toEqual([0, 0, 0]);
  const result = (out: string) => JSON.parse(readFileSync(path.join(work, out, 'grades.json'), 'utf8')).submissions[0];
  expect(result('budget-a').error).toMatch(/grading stopped after 4 s/);
  expect(result('budget-a').score).toBe(0);
  expect(result('budget-b').exercises[0].checks[0].message).toMatch(/exited with code 3/);
  // c's daemon outlives its failed checks (no sandbox): the grader's sweep must still find it.
  expect(result('budget-c').score).toBe(0);
  expect(Object.values(tokens).flatMap(carrying)).toEqual([]);
}, WHOLE_GRADING_LIMIT_MS);

test('refuses to grade without isolation unless --unsafe is given', async () => {
  const refused = await grade([path.join(work, 'budget', 'a'), '--exercise', 'udp-upper-server'], { GRADER_SANDBOX: 'off' });
  expect(refused.code).toBe(2);
  expect(refused.stderr).toMatch(/--unsafe/);
}, GRADING_STEP_LIMIT_MS);

test('--help prints the usage', async () => {
  const help = await grade(['--help']);
  expect(help.code).toBe(0);
  expect(help.stdout).toContain('npm run grade -- merge DIR');
}, GRADING_STEP_LIMIT_MS);


