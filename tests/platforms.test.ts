/**
 * Grading platforms where each submission is already graded in its own container: Gradescope (the
 * autograder zip, run from an unpacked copy as Gradescope runs it) and PrairieLearn (its external
 * grader entry point in a simulated /grade). Both results.json files are checked against the fields
 * the platforms document.
 */
import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import yauzl from 'yauzl';
import { buildGradescopeZip } from '../grader/gradescope-zip';
import { prairielearnResults } from '../grader/report/prairielearn';
import { GRADING_STEP_LIMIT_MS } from './helpers/limits';
import { submission, udpExercise } from './helpers/sample-results';

const REPO = path.resolve(__dirname, '..');
const EXERCISE = 'udp-upper-server';
const GOOD = path.join(REPO, 'fixtures', 'submissions', 'good-python', 'student', `${EXERCISE}.py`);
const BROKEN = path.join(REPO, 'fixtures', 'broken', EXERCISE, 'swapcase.py');

let work: string;
beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'grade-platforms-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(script: string, args: string[], env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('bash', [script, ...args], { env: { ...process.env, CI: 'true', ...env }, maxBuffer: 16 * 1024 * 1024 }, (error, _stdout, stderr) => (error ? reject(new Error(`${script} failed: ${error.message}\n${stderr}`)) : resolve()));
  });
}

interface ZipEntry {
  name: string;
  mode: number;
  data: Buffer;
}

function readZip(file: string): Promise<ZipEntry[]> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (error, zip) => {
      if (error) return reject(error);
      const entries: ZipEntry[] = [];
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (streamError, stream) => {
          if (streamError) return reject(streamError);
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            entries.push({ name: entry.fileName, mode: entry.externalFileAttributes >>> 16, data: Buffer.concat(chunks) });
            zip.readEntry();
          });
        });
      });
      zip.on('end', () => resolve(entries));
      zip.readEntry();
    });
  });
}

/** Gradescope's results.json, as its documentation lists the fields: an error names what is wrong. */
function gradescopeProblems(results: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const top = ['score', 'execution_time', 'output', 'output_format', 'test_output_format', 'test_name_format', 'visibility', 'stdout_visibility', 'extra_data', 'tests', 'leaderboard'];
  const test = ['score', 'max_score', 'status', 'name', 'name_format', 'number', 'output', 'output_format', 'tags', 'visibility', 'extra_data'];
  const visibilities = ['hidden', 'after_due_date', 'after_published', 'visible'];
  for (const key of Object.keys(results)) if (!top.includes(key)) problems.push(`unknown field ${key}`);
  if (typeof results.score !== 'number') problems.push('score is not a number');
  if (!Number.isInteger(results.execution_time)) problems.push('execution_time is not whole seconds');
  if (results.stdout_visibility !== undefined && !visibilities.includes(results.stdout_visibility as string)) problems.push('stdout_visibility');
  const tests = results.tests as Record<string, unknown>[];
  if (!Array.isArray(tests) || tests.length === 0) return [...problems, 'no tests'];
  for (const t of tests) {
    for (const key of Object.keys(t)) if (!test.includes(key)) problems.push(`unknown test field ${key}`);
    if (typeof t.name !== 'string' || typeof t.score !== 'number' || typeof t.max_score !== 'number') problems.push(`test ${String(t.name)}: name, score and max_score`);
    if (!['passed', 'failed'].includes(t.status as string)) problems.push(`test ${String(t.name)}: status ${String(t.status)}`);
    if (!visibilities.includes(t.visibility as string)) problems.push(`test ${String(t.name)}: visibility ${String(t.visibility)}`);
    if (t.output !== undefined && typeof t.output !== 'string') problems.push(`test ${String(t.name)}: output`);
  }
  const sum = tests.reduce((s, t) => s + (t.score as number), 0);
  if (Math.abs(sum - (results.score as number)) > 1e-9) problems.push(`score ${String(results.score)} is not the sum of the tests' ${sum}`);
  return problems;
}

/** PrairieLearn's results.json: gradable, score in 0..1, tests with points <= max_points. */
function prairielearnProblems(results: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const top = ['gradable', 'score', 'message', 'output', 'images', 'tests'];
  for (const key of Object.keys(results)) if (!top.includes(key)) problems.push(`unknown field ${key}`);
  if (typeof results.gradable !== 'boolean') problems.push('gradable is not a boolean');
  if (typeof results.score !== 'number' || results.score < 0 || results.score > 1) problems.push(`score ${String(results.score)} is not within 0..1`);
  for (const t of (results.tests ?? []) as Record<string, unknown>[]) {
    for (const key of Object.keys(t)) if (!['name', 'description', 'points', 'max_points', 'message', 'output', 'images'].includes(key)) problems.push(`unknown test field ${key}`);
    if (typeof t.name !== 'string' || typeof t.points !== 'number' || typeof t.max_points !== 'number' || (t.points as number) > (t.max_points as number)) problems.push(`test ${String(t.name)}: name, points <= max_points`);
  }
  return problems;
}

describe('Gradescope', () => {
  let source: string;
  let entries: ZipEntry[];
  beforeAll(async () => {
    const zip = path.join(work, 'autograder.zip');
    await buildGradescopeZip(REPO, zip);
    entries = await readZip(zip);
    // Unpacked as Gradescope does into /autograder/source; setup.sh's npm ci is stood in for by the repository's node_modules.
    source = path.join(work, 'autograder', 'source');
    for (const entry of entries) {
      mkdirSync(path.dirname(path.join(source, entry.name)), { recursive: true });
      writeFileSync(path.join(source, entry.name), entry.data);
      chmodSync(path.join(source, entry.name), entry.mode & 0o777);
    }
    symlinkSync(path.join(REPO, 'node_modules'), path.join(source, 'node_modules'));
  }, GRADING_STEP_LIMIT_MS);

  test('the zip has setup.sh and run_autograder at its root, executable, and the grader without the project\'s own tests', () => {
    const byName = new Map(entries.map((e) => [e.name, e]));
    for (const name of ['setup.sh', 'run_autograder']) expect([name, (byName.get(name)?.mode ?? 0) & 0o777]).toEqual([name, 0o755]);
    for (const name of ['grade.ts', 'package-lock.json', 'jest.config.ts', `specs/${EXERCISE}.spec.ts`, 'specs/harness/exercise.ts', 'fixtures/resolver/hosts']) expect(byName.has(name)).toBe(true);
    expect(entries.filter((e) => /^(tests|fixtures\/broken|fixtures\/submissions|\.ci|bench)\//.test(e.name))).toEqual([]);
  });

  test.each([
    ['a good program', GOOD, true],
    ['a broken one', BROKEN, false],
  ])('run_autograder from the unpacked zip grades %s into results/results.json in Gradescope\'s format', async (_what, program, good) => {
    const root = path.join(work, 'autograder', good ? 'good' : 'broken');
    mkdirSync(path.join(root, 'submission'), { recursive: true });
    copyFileSync(program, path.join(root, 'submission', `${EXERCISE}.py`));
    const env = { AUTOGRADER_SOURCE: source, AUTOGRADER_SUBMISSION: path.join(root, 'submission'), AUTOGRADER_RESULTS: path.join(root, 'results') };
    await run(path.join(source, 'run_autograder'), ['--exercise', EXERCISE], env);
    const results = JSON.parse(readFileSync(path.join(root, 'results', 'results.json'), 'utf8'));
    expect(gradescopeProblems(results)).toEqual([]);
    const tests = results.tests as { status: string; max_score: number; visibility: string; output?: string }[];
    expect(tests.some((t) => t.visibility === 'after_published')).toBe(true);
    if (good) expect(results.score).toBe(tests.reduce((s, t) => s + t.max_score, 0));
    else expect(tests.find((t) => t.status === 'failed')?.output).toMatch(/\S/);
  }, GRADING_STEP_LIMIT_MS);
});

describe('PrairieLearn', () => {
  function job(name: string, program?: string): string {
    const root = path.join(work, 'grade', name);
    mkdirSync(path.join(root, 'student'), { recursive: true });
    mkdirSync(path.join(root, 'tests'), { recursive: true });
    writeFileSync(path.join(root, 'tests', 'exercises'), `${EXERCISE}\n`);
    if (program) copyFileSync(program, path.join(root, 'student', `${EXERCISE}.py`));
    return root;
  }
  const results = (root: string) => JSON.parse(readFileSync(path.join(root, 'results', 'results.json'), 'utf8'));

  test('prairielearn/run grades /grade/student into /grade/results/results.json: score 0..1, hidden checks only counted', async () => {
    const good = job('good', GOOD);
    await run(path.join(REPO, 'prairielearn', 'run'), [], { PL_GRADE_ROOT: good });
    const passed = results(good);
    expect(prairielearnProblems(passed)).toEqual([]);
    expect([passed.gradable, passed.score]).toEqual([true, 1]);
    const hidden = passed.tests.filter((t: { name: string }) => / hidden checks?$/.test(t.name));
    expect(hidden).toEqual([{ name: expect.stringMatching(new RegExp(`^${EXERCISE}: \\d+ hidden check`)), points: expect.any(Number), max_points: expect.any(Number), message: expect.stringMatching(/^(\d+) of \1 passed \(hidden checks are not described\)$/) }]);

    const broken = job('broken', BROKEN);
    await run(path.join(REPO, 'prairielearn', 'run'), [], { PL_GRADE_ROOT: broken });
    const failed = results(broken);
    expect(prairielearnProblems(failed)).toEqual([]);
    expect(failed.gradable).toBe(true);
    expect(failed.score).toBeLessThan(1);
    expect(failed.tests.find((t: { points: number; max_points: number }) => t.points < t.max_points)?.message).toMatch(/\S/);
  }, 2 * GRADING_STEP_LIMIT_MS);

  test('when the grader itself fails, the submission is not gradable (it does not count against the student)', async () => {
    const root = job('crash', GOOD);
    await run(path.join(REPO, 'prairielearn', 'run'), [], { PL_GRADE_ROOT: root, PL_GRADER_SOURCE: path.join(work, 'no-grader-here') });
    const crashed = results(root);
    expect(prairielearnProblems(crashed)).toEqual([]);
    expect([crashed.gradable, crashed.score, crashed.message]).toEqual([false, 0, expect.stringMatching(/^The autograder failed before grading this submission \(not your program\)/)]);
    const partly = prairielearnResults(submission('x', [udpExercise({ large: 'error' })], 'udp-upper-server large: the grader ran out of time'));
    expect([partly.gradable, partly.message]).toEqual([false, expect.stringMatching(/^The autograder failed on this submission \(not your program\): udp-upper-server large: the grader ran out of time\nSubmit again/)]);
    expect(JSON.stringify(partly)).not.toMatch(/SECRET/);
  }, GRADING_STEP_LIMIT_MS);
});
