import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gradeAll } from '../grader/grade-run';
import { fakeGrader, gradeOptions, submissionsFolder, writeProgram } from './helpers/fake-grader';

// Generous: the selftest runs these beside every spec, on a busy machine.
jest.setTimeout(30_000);

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
