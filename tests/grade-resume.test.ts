import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { graderFingerprint } from '../grader/fingerprint';
import { gradeAll } from '../grader/grade-run';
import { DEFAULT_SUBMISSION_LIMITS } from '../grader/submission-limits';
import { feedbackMarkdown } from '../grader/report/feedback';
import { gradescopeJson } from '../grader/report/gradescope';
import { junitXml } from '../grader/report/junit';
import type { SubmissionResult } from '../specs/harness/results';
import { fakeGrader, gradeOptions, submissionsFolder, writeProgram } from './helpers/fake-grader';
import { GRADING_STEP_LIMIT_MS } from './helpers/limits';

// Generous: the selftest runs these beside every spec, on a busy machine.
jest.setTimeout(GRADING_STEP_LIMIT_MS);

let source: string;
let out: string;
beforeEach(() => {
  source = submissionsFolder({ alice: 'PASS', bob: 'FAIL large', carol: 'FAIL large,secret' });
  out = mkdtempSync(path.join(tmpdir(), 'grade-out-'));
});
afterEach(() => {
  rmSync(source, { recursive: true, force: true });
  rmSync(out, { recursive: true, force: true });
});

test('a second run skips unchanged submissions, --force regrades, a changed file regrades', async () => {
  const first = fakeGrader();
  expect(await gradeAll(gradeOptions(source, out, first))).toMatchObject({ graded: 3, unchanged: 0 });
  expect(first.graded.sort()).toEqual(['FAIL large', 'FAIL large,secret', 'PASS']);

  const second = fakeGrader();
  const again = await gradeAll(gradeOptions(source, out, second));
  expect(again).toMatchObject({ graded: 0, unchanged: 3 });
  expect(second.graded).toEqual([]);
  expect(again.results.map((r) => [r.name, r.score])).toEqual([['alice', 5], ['bob', 3], ['carol', 2]]);

  const forced = fakeGrader();
  expect(await gradeAll(gradeOptions(source, out, forced, { force: true }))).toMatchObject({ graded: 3, unchanged: 0 });

  writeProgram(source, 'bob', 'PASS, fixed');
  const changed = fakeGrader();
  const afterChange = await gradeAll(gradeOptions(source, out, changed));
  expect(afterChange).toMatchObject({ graded: 1, unchanged: 2 });
  expect(changed.graded).toEqual(['PASS, fixed']);
  expect(readFileSync(path.join(out, 'grades.csv'), 'utf8')).toContain('bob,5,5');
});

test('other options (here: without hidden checks) grade everything again', async () => {
  await gradeAll(gradeOptions(source, out, fakeGrader()));
  const visibleOnly = fakeGrader();
  expect(await gradeAll(gradeOptions(source, out, visibleOnly, { hidden: false }))).toMatchObject({ graded: 3 });
});

test('another time budget or other limits grade everything again', async () => {
  await gradeAll(gradeOptions(source, out, fakeGrader()));
  expect(await gradeAll(gradeOptions(source, out, fakeGrader(), { timeoutMs: 30_000 }))).toMatchObject({ graded: 3 });
  expect(await gradeAll(gradeOptions(source, out, fakeGrader(), { timeoutMs: 30_000 }))).toMatchObject({ graded: 0, unchanged: 3 });
  expect(await gradeAll(gradeOptions(source, out, fakeGrader(), { timeoutMs: 30_000, limits: { ...DEFAULT_SUBMISSION_LIMITS, maxFiles: 10 } }))).toMatchObject({ graded: 3 });
});

describe("the grader's fingerprint", () => {
  let repo: string;
  const files = [
    'specs/harness/launch.ts',
    'specs/udp-upper-server.spec.ts',
    'specs/tcp-client.spec.ts',
    'grader/run-submission.ts',
    'grader/report/feedback.ts',
    'grade.ts',
    'jest.config.ts',
    'tsconfig.json',
    'package-lock.json',
    'fixtures/resolver/hosts',
  ];
  const options = { exercises: ['udp-upper-server'], hidden: true, timeoutMs: 600_000, limits: DEFAULT_SUBMISSION_LIMITS };
  const change = (file: string) => writeFileSync(path.join(repo, file), `changed ${file}`);
  beforeAll(() => {
    repo = mkdtempSync(path.join(tmpdir(), 'grade-fingerprint-'));
    for (const file of files) {
      mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
      writeFileSync(path.join(repo, file), file);
    }
  });
  afterAll(() => rmSync(repo, { recursive: true, force: true }));

  test.each(files.filter((f) => f !== 'grader/report/feedback.ts' && f !== 'specs/tcp-client.spec.ts'))('changes with %s', (file) => {
    const before = graderFingerprint(repo, options);
    change(file);
    expect(graderFingerprint(repo, options)).not.toBe(before);
  });

  test('not with a report renderer (reports are made again on every run) or the spec of an exercise not graded', () => {
    const before = graderFingerprint(repo, options);
    change('grader/report/feedback.ts');
    change('specs/tcp-client.spec.ts');
    expect(graderFingerprint(repo, options)).toBe(before);
  });

  test('changes with the isolation in use', () => {
    expect(graderFingerprint(repo, { ...options, isolation: { protections: ['process groups'] } })).not.toBe(graderFingerprint(repo, options));
  });
});

test("an unchanged submission's reports are made again from its result.json, by the current renderers", async () => {
  await gradeAll(gradeOptions(source, out, fakeGrader()));
  const dir = path.join(out, 'submissions', 'bob');
  const reports = { [path.join(dir, 'feedback.md')]: feedbackMarkdown, [path.join(dir, 'junit.xml')]: junitXml, [path.join(out, 'gradescope', 'bob', 'results.json')]: gradescopeJson };
  for (const file of Object.keys(reports)) writeFileSync(file, 'written by an older renderer');

  expect(await gradeAll(gradeOptions(source, out, fakeGrader()))).toMatchObject({ graded: 0, unchanged: 3 });
  const stored: SubmissionResult = JSON.parse(readFileSync(path.join(dir, 'result.json'), 'utf8'));
  for (const [file, render] of Object.entries(reports)) expect(readFileSync(file, 'utf8')).toBe(render(stored));
});

test('a submission not graded completely (time budget, a crash of the grader) is graded again next run', async () => {
  const overBudget = fakeGrader();
  const first = await gradeAll(
    gradeOptions(source, out, overBudget, {
      run: async (run) => {
        const outcome = await overBudget.run(run);
        if (outcome.log.includes('FAIL large,secret')) throw new Error('the grader broke');
        return outcome.log.includes('FAIL large') ? { ...outcome, exercises: [], error: 'grading stopped after 60 s, the time budget for one submission' } : outcome;
      },
    }),
  );
  expect(first).toMatchObject({ graded: 3, errors: 2 });

  const second = fakeGrader();
  expect(await gradeAll(gradeOptions(source, out, second))).toMatchObject({ graded: 2, unchanged: 1, errors: 0 });
  expect(second.graded.sort()).toEqual(['FAIL large', 'FAIL large,secret']);
});

test('an interrupted run keeps what finished, and the next run grades only the rest', async () => {
  const controller = new AbortController();
  const interrupted = fakeGrader((program) => program === 'FAIL large' && controller.abort());
  const summary = await gradeAll(gradeOptions(source, out, interrupted, { jobs: 1, signal: controller.signal }));
  expect(summary).toMatchObject({ interrupted: true, graded: 1 });
  expect(summary.results.map((r) => r.name)).toEqual(['alice']);
  expect(readFileSync(path.join(out, 'grades.csv'), 'utf8')).toContain('alice,5,5');

  const resumed = fakeGrader();
  expect(await gradeAll(gradeOptions(source, out, resumed, { jobs: 1 }))).toMatchObject({ graded: 2, unchanged: 1, interrupted: false });
  expect(resumed.graded).toEqual(['FAIL large', 'FAIL large,secret']);
});
