/**
 * Failures of the grading are errors a TA sees, never a student's lost points: a check whose harness
 * fails (GraderError, a bug, its time limit, jest's own timeout) is `error`, not `failed`; the
 * submission is "not graded completely" and graded again by the next run; students read one plain
 * line without the grader's stack or paths; a broken build environment is a grading error, not 0.
 */
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestResult } from '@jest/test-result';
import { gradeAll } from '../grader/grade-run';
import { exerciseAnnotations } from '../grader/report/annotations';
import { feedbackMarkdown } from '../grader/report/feedback';
import { gradescopeJson } from '../grader/report/gradescope';
import { gradesJson } from '../grader/report/json';
import { junitXml } from '../grader/report/junit';
import { summaryMarkdown } from '../grader/report/summary';
import { runSubmission, type JestRun } from '../grader/run-submission';
import { findSubmissions } from '../grader/submissions';
import { DEFAULT_SUBMISSION_LIMITS } from '../grader/submission-limits';
import { GRADING_STEP_LIMIT_MS } from './helpers/limits';
import { plainProgress } from '../grader/progress';
import { exercisesOfFile, type SubmissionResult } from '../specs/harness/results';
import { formatScores } from '../grader/report/score-reporter';
import { fakeGrader, gradeOptions, submissionsFolder } from './helpers/fake-grader';
import { submission, udpExercise } from './helpers/sample-results';
import { harnessImports, runJestChild } from './helpers/jest-child';

const REPO = path.resolve(__dirname, '..');
const NO_WRAP = { wrap: (command: string, args: string[]) => ({ command, args }) };
const STACK_FRAME = /^\s+at \S/m;
/** A real jest child: seconds on a quiet machine, much longer beside the rest of the selftest; the limit only catches a hang. */
const RUN_JEST_LIMIT_MS = 180_000;

const work = mkdtempSync(path.join(tmpdir(), 'grader-errors-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A spec declaring one check, and jest's result for it: the results are read with the spec's declaration. */
function jestFile(title: string, failureMessages: string[]): TestResult {
  const specs = path.join(work, 'classify-specs');
  mkdirSync(specs, { recursive: true });
  const exercise = JSON.stringify(path.join(REPO, 'specs', 'harness', 'exercise'));
  writeFileSync(path.join(specs, 'demo.spec.ts'), `require(${exercise}).exercise('demo', ({ check }) => check({ id: 'one', title: 'a check', points: 2 }, async () => undefined));\n`);
  return {
    testFilePath: path.join(specs, 'demo.spec.ts'),
    testResults: [{ title, status: 'failed', failureMessages, duration: 5 }],
  } as unknown as TestResult;
}

describe("jest's failures, told apart (results.ts)", () => {
  const statusOf = (messages: string[]) => exercisesOfFile(jestFile('a check [one, 2 pts]', messages))[0].checks[0];

  test("a CheckFailure is the student's failure", () => {
    expect(statusOf(['CheckFailure: it printed "0"'])).toMatchObject({ status: 'failed', message: 'it printed "0"', points: 0 });
  });

  test('a GraderError is an error of the grading, its detail kept for the TA', () => {
    const check = statusOf([`GraderError: esbuild failed: The service was stopped\ncaused by: Error: The service was stopped\n    at buildSync (${REPO}/node_modules/esbuild/lib/main.js:1:2)`]);
    expect(check).toMatchObject({ status: 'error', points: 0 });
    expect(check.message).toMatch(/^esbuild failed: The service was stopped\n[\s\S]*at buildSync/);
  });

  test("jest's own timeout is an error of the grading, not the student's", () => {
    const timeout = `thrown: "Exceeded timeout of 20000 ms for a test.\nAdd a timeout value to this test to increase the timeout, if this is a long-running test. See https://jestjs.io/docs/api#testname-fn-timeout."\n\n    at test (${REPO}/specs/harness/exercise.ts:80:9)`;
    const check = statusOf([timeout]);
    expect(check.status).toBe('error');
    expect(check.message?.split('\n')[0]).toBe("the check did not finish within 20 s, the grader's time limit for it");
  });
});

/** A spec of an exercise "demo" with one check of each kind, run by a real jest child. */
const DEMO_SPEC = `
${harnessImports({ exercise: ['exercise'], expect: ['CheckFailure'], 'grader-error': ['GraderError'] })}

exercise('demo', ({ check }) => {
  check({ id: 'harness-fails', title: 'the harness cannot do its job', points: 1 }, async () => {
    throw new GraderError('the build folder is full');
  });
  check({ id: 'harness-bug', title: 'the check has a bug', points: 1 }, async () => {
    (undefined as unknown as { port: number }).port;
  });
  check({ id: 'overruns', title: 'the check runs past its time', points: 1, timeoutMs: 2000 }, () => new Promise<void>(() => undefined));
  check({ id: 'wrong', title: 'the program answers wrong', points: 2 }, async () => {
    throw new CheckFailure('expected "HELLO", got "hello"');
  });
  check({ id: 'right', title: 'the program answers right', points: 1 }, async () => undefined);
});
`;

function runJest(reporter: string, env: Record<string, string>): Promise<{ output: string }> {
  return runJestChild(work, {
    // A spec that cannot even load (a bug of the grader's): its exercise could not be graded at all.
    specs: { 'demo.spec.ts': DEMO_SPEC, 'crash.spec.ts': "throw new TypeError('the harness is missing a piece');\n" },
    student: { 'demo.py': 'print("hello")\n' },
    reporter,
    env,
  });
}

describe('checks the grading fails on, in a real jest run', () => {
  test('are errors, not failures; the student failure and the pass are as before', async () => {
    const resultsFile = path.join(work, 'demo-results.json');
    await runJest(path.join(REPO, 'grader', 'results-reporter.ts'), { GRADER_RESULTS_FILE: resultsFile });
    const exercises = JSON.parse(readFileSync(resultsFile, 'utf8'));
    const demo = exercises.find((e: { id: string }) => e.id === 'demo');
    expect(exercises.find((e: { id: string }) => e.id === 'crash').reason).toMatch(/^the checks could not run: [\s\S]*the harness is missing a piece/);
    const byId = Object.fromEntries(demo.checks.map((c: { id: string }) => [c.id, c]));
    expect(byId['harness-fails']).toMatchObject({ status: 'error', points: 0, message: 'the build folder is full' });
    expect(byId['harness-bug']).toMatchObject({ status: 'error', points: 0 });
    expect(byId['harness-bug'].message).toMatch(/^the check's code failed: Cannot read properties of undefined \(reading 'port'\)\ncaused by: TypeError/);
    expect(byId.overruns).toMatchObject({ status: 'error', points: 0 });
    expect(byId.overruns.message).toMatch(/^the check did not finish within 1\.8 s, the grader's time limit for it/);
    expect(byId.wrong).toMatchObject({ status: 'failed', points: 0, message: 'expected "HELLO", got "hello"' });
    expect(byId.right).toMatchObject({ status: 'passed', points: 1 });
    expect(demo.score).toBe(1);
  }, RUN_JEST_LIMIT_MS);

  test("npm test's report shows the student one plain line per error: no stack, no path of the grader", async () => {
    const { output } = await runJest(path.join(REPO, 'grader', 'report', 'score-reporter.ts'), {});
    if (process.env.SHOW_OUTPUT) console.log(output);
    expect(output).toContain('GraderError: the grader failed on this check (not your program): the build folder is full; run it again');
    expect(output).toContain("the grader failed on this check (not your program): the check's code failed: Cannot read properties of undefined (reading 'port'); run it again");
    expect(output).toContain("the grader failed on this check (not your program): the check did not finish within 1.8 s, the grader's time limit for it (the machine may have been too busy); run it again");
    expect(output).toContain('CheckFailure: expected "HELLO", got "hello"'); // the student's failure, as before
    expect(output).toMatch(/● Test suite failed to run\s+the grader failed on this exercise \(not your program\): the checks could not run: [^\n]*the harness is missing a piece/);
    expect(output).not.toMatch(STACK_FRAME);
    expect(output).not.toContain(path.join(REPO, 'specs', 'harness'));
    expect(output).not.toContain('caused by');
    expect(output).toMatch(/demo\s+1\/\s*6/);
  }, RUN_JEST_LIMIT_MS);
});

describe('a grading run', () => {
  let out: string;
  let source: string;
  beforeEach(() => {
    out = mkdtempSync(path.join(work, 'out-'));
    source = submissionsFolder({ alice: 'PASS', bob: 'FAIL large', dave: 'ERROR large' });
  }, GRADING_STEP_LIMIT_MS);
  afterEach(() => {
    rmSync(out, { recursive: true, force: true });
    rmSync(source, { recursive: true, force: true });
  }, GRADING_STEP_LIMIT_MS);

  test('marks a submission with grading errors as not graded completely, and grades it again next time', async () => {
    const first = await gradeAll(gradeOptions(source, out, fakeGrader()));
    expect(first).toMatchObject({ graded: 3, errors: 1 });
    const dave = first.results.find((r) => r.name === 'dave')!;
    expect(dave.error).toMatch(/^not graded completely: the grader failed on 1 check \(not the student's program\)[^\n]*\n- udp-upper-server \/ large: large failed/);
    expect(dave.exercises[0].checks.find((c) => c.id === 'large')).toMatchObject({ status: 'error', points: 0 });
    expect(first.results.find((r) => r.name === 'bob')!.error).toBeUndefined();

    const second = fakeGrader();
    const again = await gradeAll(gradeOptions(source, out, second));
    expect(again).toMatchObject({ graded: 1, unchanged: 2 });
    expect(second.graded).toEqual(['ERROR large']);
  });
});

describe('what students are shown of a grading error', () => {
  const detail = `the check's code failed: x is not a function\ncaused by: TypeError: x is not a function\n    at CheckRun.start (${REPO}/specs/harness/exercise.ts:150:7)\n    at processTicksAndRejections (node:internal/process/task_queues:95:5)`;
  const exercise = udpExercise({ large: 'error' });
  exercise.checks.find((c) => c.id === 'large')!.message = detail;
  const crashed = { ...udpExercise(), id: 'tcp-echo-server', reason: `the checks could not run: Cannot find module 'x'\n    at Object.<anonymous> (${REPO}/specs/tcp-echo-server.spec.ts:3:1)` };
  const result: SubmissionResult = submission('eve', [exercise, crashed], `the grader failed on this submission: Error: EIO\n    at gradeOne (${REPO}/grader/grade-run.ts:120:5)`);

  test('feedback, Gradescope, the CI summary, annotations, JUnit and the terminal carry no stack and no grader path', () => {
    const texts = {
      feedback: feedbackMarkdown(result),
      gradescope: gradescopeJson(result),
      summary: summaryMarkdown(result),
      annotations: exerciseAnnotations(result.exercises, () => undefined).map((a) => a.message).join('\n'),
      junit: junitXml(result),
      terminal: formatScores(result.exercises),
    };
    for (const [what, text] of Object.entries(texts)) {
      expect({ what, stack: STACK_FRAME.test(text) || text.includes('\\n    at ') }).toEqual({ what, stack: false });
      expect({ what, path: text.includes(REPO) }).toEqual({ what, path: false });
    }
    const notice = "the grader failed on this check (not your program): the check's code failed: x is not a function; run it again";
    for (const what of ['feedback', 'summary', 'annotations', 'terminal'] as const) expect({ what, notice: texts[what].includes(notice) }).toEqual({ what, notice: true });
    expect(JSON.parse(texts.gradescope).tests.find((t: { name: string }) => t.name.endsWith('intact')).output).toBe(notice);
  });

  test("the TA's grades.json keeps the detail", () => {
    const json = gradesJson([result]);
    expect(json).toContain('caused by: TypeError: x is not a function');
    expect(json).toContain(`${REPO}/specs/harness/exercise.ts:150:7`);
  });
});

describe('a broken build environment', () => {
  test('is a grading error (not graded completely, graded again next time), never a score of the student', async () => {
    const submissions = mkdtempSync(path.join(work, 'subs-'));
    cpSync(path.join(REPO, 'fixtures', 'submissions', 'good-typescript'), path.join(submissions, 'ts-student'), { recursive: true });
    const out = mkdtempSync(path.join(work, 'out-'));
    const options = {
      submissions: findSubmissions(submissions).submissions,
      out,
      exercises: ['netutil'],
      hidden: true,
      jobs: 1,
      force: false,
      timeoutMs: 120_000,
      limits: DEFAULT_SUBMISSION_LIMITS,
      isolation: NO_WRAP,
      progress: plainProgress(() => undefined),
    };
    // The run's build folder is unusable (here: open to every user): the grader's problem, not the program's.
    const unsafe = mkdtempSync(path.join(work, 'build-'));
    chmodSync(unsafe, 0o777);
    const broken = await gradeAll({ ...options, run: (run: JestRun) => runSubmission({ ...run, buildCache: unsafe }) });
    expect(broken).toMatchObject({ graded: 1, errors: 1 });
    const [result] = broken.results;
    const checks = result.exercises[0].checks;
    expect(result.error).toMatch(new RegExp(`^not graded completely: the grader failed on ${checks.length} checks \\(not the student's program\\)`));
    expect(checks.every((c) => c.status === 'error')).toBe(true);
    expect(checks[0].message).toMatch(/^netutil\.ts could not be built, for a reason that is not in the program: the build folder GRADER_BUILD_CACHE=\S+ cannot be used: \S+ is writable by other users/);
    const feedback = readFileSync(path.join(out, 'submissions', 'ts-student', 'feedback.md'), 'utf8');
    expect(feedback).toContain('the grader failed on this check (not your program): netutil.ts could not be built, for a reason that is not in the program: the build folder');
    expect(feedback).not.toContain('could not be built.\nTypeScript did not compile');

    const repaired = await gradeAll(options);
    expect(repaired).toMatchObject({ graded: 1, unchanged: 0, errors: 0 });
    expect(repaired.results[0].max).toBeGreaterThan(0);
    expect(repaired.results[0].score).toBe(repaired.results[0].max);
  }, 240_000);

  test("a compile error stays the student's: the compiler's message with file and line", async () => {
    const student = mkdtempSync(path.join(work, 'compile-'));
    writeFileSync(path.join(student, 'netutil.ts'), 'const x: number = ;\n');
    const outcome = await runSubmission({ studentDir: student, exercises: ['netutil'], hidden: true, timeoutMs: 120_000, isolation: NO_WRAP });
    const checks = outcome.exercises[0].checks;
    expect(checks.every((c) => c.status === 'failed')).toBe(true);
    expect(checks[0].message).toBe('netutil.ts could not be built.\nTypeScript did not compile:\nnetutil.ts:1:18: Unexpected ";"');
  }, 120_000);
});
