/**
 * A check that requires another fails at once when that one failed, naming it once; it runs on its
 * own when that one passed, could not be graded, or does not run at all (hidden, filtered out).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ExerciseResult } from '../specs/harness/results';
import { harnessImports, runJestChild } from './helpers/jest-child';

const REPO = path.resolve(__dirname, '..');
/** A real jest child: seconds on a quiet machine, much longer beside the rest of the selftest; the limit only catches a hang. */
const RUN_JEST_LIMIT_MS = 180_000;

const work = mkdtempSync(path.join(tmpdir(), 'requires-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** `basic` does what DEMO_BASIC says; the others pass whenever their bodies run. */
const DEMO_SPEC = `
${harnessImports({ exercise: ['exercise'], expect: ['CheckFailure'], 'grader-error': ['GraderError'] })}

exercise('demo', ({ check }) => {
  check({ id: 'basic', title: 'answers one request', points: 2 }, async () => {
    if (process.env.DEMO_BASIC === 'fail') throw new CheckFailure('The reply is not the request uppercased.\\n  received: "hello"');
    if (process.env.DEMO_BASIC === 'error') throw new GraderError('the build folder is full');
  });
  check({ id: 'bigger', title: 'answers a large request', points: 1, requires: ['basic'] }, async () => undefined);
  check({ id: 'secret', title: 'a hidden one', points: 1, hidden: true }, async () => {
    throw new CheckFailure('never seen by students');
  });
  check({ id: 'after-secret', title: 'needs the hidden one', points: 1, requires: ['secret'] }, async () => undefined);
});
`;

async function grade(basic: 'pass' | 'fail' | 'error', args: string[] = []): Promise<Record<string, { status: string; message?: string }>> {
  const resultsFile = path.join(work, `results-${basic}-${args.length}.json`);
  await runJestChild(work, {
    specs: { 'demo.spec.ts': DEMO_SPEC },
    student: { 'demo.py': 'print("hello")\n' },
    reporter: path.join(REPO, 'grader', 'results-reporter.ts'),
    env: { GRADER_RESULTS_FILE: resultsFile, DEMO_BASIC: basic },
    args,
  });
  const [demo] = JSON.parse(readFileSync(resultsFile, 'utf8')) as ExerciseResult[];
  return Object.fromEntries(demo.checks.map((c) => [c.id, { status: c.status, message: c.message }]));
}

test('a failed required check fails its dependant at once, naming it and its first line', async () => {
  const checks = await grade('fail');
  expect(checks.basic.status).toBe('failed');
  expect(checks.bigger).toEqual({
    status: 'failed',
    message: 'Not run: this check needs the check "answers one request" [basic], which failed; fix that first.\n  there: The reply is not the request uppercased.',
  });
  // Not graded with hidden checks: the dependant of a hidden check runs on its own.
  expect(checks['after-secret'].status).toBe('passed');
  expect(checks.secret).toBeUndefined();
}, RUN_JEST_LIMIT_MS);

test('a passed required check lets its dependant run; one that could not be graded too', async () => {
  expect((await grade('pass')).bigger.status).toBe('passed');
  const errored = await grade('error');
  expect(errored.basic.status).toBe('error');
  expect(errored.bigger.status).toBe('passed');
}, RUN_JEST_LIMIT_MS);

test('a dependant run without its required check (-t) runs on its own', async () => {
  const checks = await grade('fail', ['--testNamePattern', 'large request']);
  expect(checks.bigger.status).toBe('passed');
  expect(checks.basic.status).toBe('skipped');
}, RUN_JEST_LIMIT_MS);

/**
 * A server whose first start fails: the check that saw it is confirmed alone (here because it says the
 * grading failed), and passes; another check told meanwhile that the program does not start waits for
 * that verdict instead of failing on it.
 */
const FLAKY_START_SPEC = (signal: string) => `
import { existsSync, writeFileSync } from 'node:fs';
${harnessImports({ exercise: ['exercise'], expect: ['CheckFailure'], 'grader-error': ['GraderError'] })}

exercise('demo', ({ check }) => {
  check({ id: 'first', title: 'starts', points: 1 }, async (t) => {
    try {
      await t.startServer('tcp');
    } catch (error) {
      writeFileSync(${JSON.stringify(signal)}, '');
      if (!t.alone) throw new GraderError('pretend the machine was too busy');
      throw error;
    }
    if (process.env.DEMO_FIRST === 'fail-later') throw new CheckFailure('The reply is wrong.');
  });
  check({ id: 'second', title: 'starts too', points: 1 }, async (t) => {
    if (!t.alone) while (!existsSync(${JSON.stringify(signal)})) await new Promise((resolve) => setTimeout(resolve, 20));
    await t.startServer('tcp');
  });
});
`;

test.each([
  ['passes', 'pass', { first: 'passed', second: 'passed' }],
  ['fails after it started', 'fail-later', { first: 'failed', second: 'passed' }],
])('a check told that the program does not start waits for the check that saw it: started alone, it %s, and the other runs', async (_, first, expected) => {
  const dir = mkdtempSync(path.join(work, 'flaky-start-'));
  const [marker, signal] = [path.join(dir, 'started-once'), path.join(dir, 'first-failed')];
  const resultsFile = path.join(dir, 'results.json');
  const server = [
    'import os, socket, sys',
    'try:',
    `    os.close(os.open(${JSON.stringify(marker)}, os.O_CREAT | os.O_EXCL))`,
    '    sys.exit("not this time")',
    'except FileExistsError:',
    '    pass',
    's = socket.create_server((sys.argv[1], int(sys.argv[2])))',
    'while True:',
    '    s.accept()[0].close()',
  ].join('\n');
  await runJestChild(work, {
    specs: { 'demo.spec.ts': FLAKY_START_SPEC(signal) },
    student: { 'demo.py': `${server}\n` },
    reporter: path.join(REPO, 'grader', 'results-reporter.ts'),
    // Unconfined, so that the program's starts share the marker file.
    env: { GRADER_RESULTS_FILE: resultsFile, GRADER_SANDBOX: 'off', DEMO_FIRST: first },
  });
  const [demo] = JSON.parse(readFileSync(resultsFile, 'utf8')) as ExerciseResult[];
  expect(Object.fromEntries(demo.checks.map((c) => [c.id, c.status]))).toEqual(expected);
}, RUN_JEST_LIMIT_MS);

