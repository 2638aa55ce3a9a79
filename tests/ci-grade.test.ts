/**
 * `npm run ci-grade` as GitHub runs it, on the sample submissions (two exercises, to stay fast): the
 * step summary, the annotations, the grade files, the step outputs and the exit status agree with
 * what each submission's expect.json says it must get.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SubmissionResult } from '../specs/harness/results';
import type { Expectation } from '../scripts/selftest-plan';
import { WHOLE_GRADING_LIMIT_MS } from './helpers/limits';

const REPO = path.resolve(__dirname, '..');
const EXERCISES = ['udp-client', 'udp-upper-server'];
const TSX = require.resolve('tsx/cli');

interface Run {
  status: number;
  stdout: string;
  summary: string;
  outputs: string;
  result: SubmissionResult;
  junit: string;
  summaryFile: string;
}

const work = mkdtempSync(path.join(tmpdir(), 'ci-grade-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Without what the surrounding jest run set: the grading run must start from the user's environment. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const name of ['JEST_WORKER_ID', 'GRADER_TARGET', 'GRADER_SUMMARY_FILE', 'GITHUB_STEP_SUMMARY', 'GITHUB_OUTPUT']) if (!(name in extra)) delete env[name];
  return env;
}

function exec(args: string[], env: NodeJS.ProcessEnv): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [TSX, ...args], { cwd: REPO, env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ status: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

function expectationsOf(submission: string): Record<string, Expectation> {
  const file = path.join(REPO, 'fixtures', 'submissions', submission, 'expect.json');
  const declared: Record<string, Expectation> = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  return Object.fromEntries(EXERCISES.map((id) => [id, declared[id] ?? declared['*'] ?? 'pass']));
}

async function ciGrade(submission: string): Promise<Run> {
  const dir = path.join(work, submission);
  const target = path.join('fixtures', 'submissions', submission, 'student');
  if (!existsSync(path.resolve(REPO, target))) throw new Error(`the sample submission ${target} is missing`);
  const files = { summary: path.join(dir, 'step-summary.md'), outputs: path.join(dir, 'github-output'), grades: path.join(dir, 'grades') };
  const env = cleanEnv({
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: REPO,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_OUTPUT: files.outputs,
    // A student's CI never runs hidden checks, even when asked to.
    GRADER_HIDDEN: '1',
  });
  const summaryFile = path.join(dir, 'also-here.md');
  const { status, stdout, stderr } = await exec(['scripts/ci-grade.ts', '--target', target, '--out', files.grades, '--summary', summaryFile, ...EXERCISES], env);
  if (status === 2) throw new Error(`ci-grade could not grade ${submission}:\n${stderr}`);
  return {
    status,
    stdout,
    summary: readFileSync(files.summary, 'utf8'),
    outputs: readFileSync(files.outputs, 'utf8'),
    result: JSON.parse(readFileSync(path.join(files.grades, 'result.json'), 'utf8')),
    junit: readFileSync(path.join(files.grades, 'junit.xml'), 'utf8'),
    summaryFile,
  };
}

/** `::error file=F,line=1,title=T::M` with GitHub's escapes undone. */
function parseAnnotations(stdout: string): { file?: string; title: string; message: string }[] {
  const unescape = (s: string) => s.replace(/%0A/g, '\n').replace(/%0D/g, '\r').replace(/%3A/g, ':').replace(/%2C/g, ',').replace(/%25/g, '%');
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('::error '))
    .map((line) => {
      const [, props, message] = /^::error ([^:]*)::(.*)$/.exec(line)!;
      const fields = Object.fromEntries(props.split(',').map((p) => [p.slice(0, p.indexOf('=')), unescape(p.slice(p.indexOf('=') + 1))]));
      return { file: fields.file, title: fields.title, message: unescape(message) };
    });
}

const runs = new Map<string, Promise<Run>>();
const graded = (submission: string) => {
  if (!runs.has(submission)) runs.set(submission, ciGrade(submission));
  return runs.get(submission)!;
};

const SUBMISSIONS = ['good-python', 'partial'];
// Both gradings run side by side; each test awaits the one it reads.
beforeAll(() => SUBMISSIONS.forEach((s) => graded(s).catch(() => undefined)));

describe.each(SUBMISSIONS)('ci-grade on fixtures/submissions/%s', (submission) => {
  const expected = expectationsOf(submission);
  const failing = EXERCISES.filter((id) => Array.isArray(expected[id]));

  test('exit status follows the policy: 1 when a visible check fails', async () => {
    const run = await graded(submission);
    expect(run.status).toBe(failing.length ? 1 : 0);
    expect(run.stdout).toContain(`ci-grade: ${run.result.score} / ${run.result.max} points, ${failing.length ? 'FAILED' : 'passed'}`);
  }, WHOLE_GRADING_LIMIT_MS);

  test('the step summary: a table of exercises, then each failing check with its message', async () => {
    const { summary, result, summaryFile } = await graded(submission);
    expect(summary).toContain(`## Autograder: ${result.score} / ${result.max} points`);
    expect(readFileSync(summaryFile, 'utf8')).toBe(summary);
    for (const id of EXERCISES) {
      const exercise = result.exercises.find((e) => e.id === id)!;
      const row = summary.split('\n').find((line) => line.startsWith(`| \`${id}\` |`));
      const expectation = expected[id];
      if (expectation === 'pass') {
        // The failing checks' own messages first: on a wrong verdict, the log says why.
        const failed = exercise.checks.filter((c: { status: string }) => c.status !== 'passed');
        expect({ id, failed }).toEqual({ id, failed: [] });
        expect(row).toMatch(new RegExp(`^\\| \`${id}\` \\| ${exercise.score} / ${exercise.max} \\| ✅ `));
        expect(summary).not.toContain(`### ❌ ${id}`);
      } else if (expectation === 'not-attempted') expect(row).toContain('⏭️ not attempted');
      else {
        expect(row).toContain('❌');
        expect(summary).toContain(`### ❌ ${id}: ${exercise.score} / ${exercise.max}`);
        for (const check of expectation) expect(summary).toContain(`(\`${check}\`, `);
      }
    }
  }, WHOLE_GRADING_LIMIT_MS);

  test('one annotation on the student file of each failing exercise, naming its failing checks', async () => {
    const { stdout, result } = await graded(submission);
    const annotations = parseAnnotations(stdout);
    expect(annotations.map((a) => a.title.split(':')[0]).sort()).toEqual([...failing].sort());
    for (const id of failing) {
      const annotation = annotations.find((a) => a.title.startsWith(`${id}:`))!;
      expect(annotation.file).toMatch(new RegExp(`^fixtures/submissions/${submission}/student/${id}\\.(py|ts|js)$`));
      for (const check of expected[id] as string[]) expect(annotation.message).toContain(`[${check}, `);
    }
    expect(result.exercises.flatMap((e) => e.checks).filter((c) => c.hidden)).toEqual([]);
  }, WHOLE_GRADING_LIMIT_MS);

  test('the grade files and step outputs', async () => {
    const { outputs, result, junit } = await graded(submission);
    expect(result.exercises.map((e) => e.id)).toEqual(EXERCISES);
    expect(outputs).toContain(`score=${result.score}\nmax=${result.max}\npassed=${failing.length === 0}\n`);
    expect(junit).toContain('<testsuites');
    for (const id of EXERCISES) expect(junit).toContain(`<testsuite name="${id}"`);
  }, WHOLE_GRADING_LIMIT_MS);
});

test('npm test -- ID --summary FILE: scores after jest\'s own summary, and the Markdown written', async () => {
  const out = path.join(work, 'npm-test.log');
  const summary = path.join(work, 'npm-test-summary.md');
  const fd = openSync(out, 'w');
  const env = cleanEnv({ GRADER_TARGET: 'fixtures/submissions/partial/student', NO_COLOR: '1' });
  const status = await new Promise<number | null>((resolve) => {
    spawn(process.execPath, [TSX, 'scripts/test.ts', 'udp-upper-server', '--summary', summary], { cwd: REPO, env, stdio: ['ignore', fd, fd] }).on('exit', resolve);
  });
  const log = readFileSync(out, 'utf8');
  expect(log.indexOf('Tests:')).toBeGreaterThan(-1);
  expect(log.indexOf('Score by exercise')).toBeGreaterThan(log.indexOf('Tests:'));
  expect(log).toMatch(/udp-upper-server +[\d.]+\/ *\d+/);
  expect(log).not.toMatch(/tcp-echo-server/);
  expect(readFileSync(summary, 'utf8')).toMatch(/^## Autograder: [\d.]+ \/ \d+ points\n/);
  expect(status === 0 || status === 1).toBe(true);
}, WHOLE_GRADING_LIMIT_MS);
