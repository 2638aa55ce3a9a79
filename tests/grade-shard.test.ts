import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gradeAll } from '../grader/grade-run';
import { mergeOutputs } from '../grader/merge';
import { findSubmissions, selectShard } from '../grader/submissions';
import { fakeGrader, gradeOptions, submissionsFolder } from './helpers/fake-grader';
import { comparableOutput } from './helpers/output-compare';
import { zipArchive } from './helpers/zip-writer';
import { GRADING_STEP_LIMIT_MS } from './helpers/limits';

// Generous: the selftest runs these beside every spec, on a busy machine.
jest.setTimeout(GRADING_STEP_LIMIT_MS);

let work: string;
let source: string;
beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'grade-shard-'));
  source = submissionsFolder({ ann: 'PASS', ben: 'FAIL large', cat: 'FAIL secret', dan: 'PASS', eve: 'FAIL large,secret', fay: 'PASS' });
  writeFileSync(path.join(source, 'gus.zip'), zipArchive([{ name: 'student/udp-upper-server.py', data: 'FAIL uppercase' }]));
  writeFileSync(path.join(source, 'hal.zip'), zipArchive([{ name: '../escape.py', data: 'x' }]));
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(source, { recursive: true, force: true });
});

test('shards split the submissions into disjoint, balanced shares', () => {
  const all = findSubmissions(source).submissions.map((s) => s.name);
  const shards = [1, 2, 3].map((index) => selectShard(findSubmissions(source).submissions, { index, count: 3 }).map((s) => s.name));
  expect(shards.flat().sort()).toEqual([...all].sort());
  expect(shards.map((s) => s.length)).toEqual([3, 3, 2]);
});

test('the merged result of 3 shards equals the unsharded run', async () => {
  const whole = path.join(work, 'whole');
  await gradeAll(gradeOptions(source, whole, fakeGrader()));
  const shardDirs = [1, 2, 3].map((index) => path.join(work, `shard-${index}`));
  for (const [i, dir] of shardDirs.entries()) {
    const options = gradeOptions(source, dir, fakeGrader());
    await gradeAll({ ...options, submissions: selectShard(options.submissions, { index: i + 1, count: 3 }) });
  }
  const merged = path.join(work, 'merged');
  expect(mergeOutputs(shardDirs, merged)).toEqual({ submissions: 8, duplicates: [] });
  expect(comparableOutput(merged)).toEqual(comparableOutput(whole));
  expect(readFileSync(path.join(merged, 'grades.csv'), 'utf8')).toContain('hal,0,0');
});

test('merging folders graded with other options is refused', async () => {
  const visible = path.join(work, 'visible');
  const options = gradeOptions(source, visible, fakeGrader(), { hidden: false });
  await gradeAll({ ...options, submissions: options.submissions.slice(0, 1) });
  const hidden = path.join(work, 'hidden');
  const other = gradeOptions(source, hidden, fakeGrader());
  await gradeAll({ ...other, submissions: other.submissions.slice(1, 2) });
  expect(() => mergeOutputs([visible, hidden], path.join(work, 'mixed'))).toThrow(/different grader or options/);
});
