/**
 * From jest's results to grades: per exercise, each check's status and points, and the scores.
 * Shared by the terminal report, the selftest, grade.ts and the CI summary.
 *
 * Partial credit: a check earns all its points or none; an exercise's score is the sum of its
 * checks' points; the total is the sum over exercises.
 */
import path from 'node:path';
import type { AggregatedResult, TestResult } from '@jest/test-result';
import { checksRunFrom } from './declarations';
import { graderErrorMessage, isStudentFailure } from './grader-error';
import { exerciseOfSpec, selectedExercises } from './exercise-list';
import { LOAD_FAILURE_TITLE, matchCheck } from './titles';
import type { TimelineRecord } from './timeline';
import { readTimeline } from './timeline-store';

export type CheckStatus = 'passed' | 'failed' | 'skipped' | 'not attempted' | 'error';

export interface CheckResult {
  id: string;
  title: string;
  points: number;
  maxPoints: number;
  hidden: boolean;
  status: CheckStatus;
  /**
   * Why it failed, as shown to the student (no colour codes). For an `error` (the grading failed, not
   * the program: grader-error.ts) the detail for the TA; students are shown graderErrorNotice(message).
   */
  message?: string;
  ms?: number;
  /** What the check did and saw on the wire (timeline.ts): for a failed check, or every check of a traced exercise. */
  timeline?: TimelineRecord;
  /** With grade --capture, a failed check's packets: the pcap file (relative to the submission's folder), how many, how many left out past its size. */
  capture?: { file: string; packets: number; cut?: number };
}

export interface ExerciseResult {
  id: string;
  attempted: boolean;
  /** Why it was not attempted, or why the whole spec could not run. */
  reason?: string;
  score: number;
  max: number;
  checks: CheckResult[];
}

const ANSI = /\x1b\[[0-9;]*m/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

/** The exercise a spec file holds (specs/ID.spec.ts). */
export function exerciseIdOf(testFilePath: string): string {
  return exerciseOfSpec(testFilePath) ?? path.basename(testFilePath);
}

type Tests = TestResult['testResults'];

/**
 * The exercises of one test file: a spec file holds one; the entry (exercise-list.ts) holds one
 * `describe(ID)` block per exercise it loaded.
 */
export function exercisesOfFile(file: TestResult): ExerciseResult[] {
  const crashed = file.testExecError ? stripAnsi(file.testExecError.message) : undefined;
  return [...testsByExercise(file)].map(([id, tests]) => exerciseResult(id, tests, crashed, file.testFilePath));
}

/** A test file's tests, by exercise. */
export function testsByExercise(file: TestResult, selected?: string[]): Map<string, Tests> {
  const own = exerciseOfSpec(file.testFilePath);
  const groups = new Map<string, Tests>(own ? [[own, []]] : []);
  for (const test of file.testResults) {
    const id = own ?? test.ancestorTitles[0];
    if (id) groups.set(id, [...(groups.get(id) ?? []), test]);
  }
  // The entry itself failed to run: every exercise it was to load is affected.
  if (!own && file.testExecError) for (const id of selected ?? selectedExercises()) if (!groups.has(id)) groups.set(id, []);
  return groups;
}

/**
 * One exercise's result from its jest tests. Each test is matched to the check its spec declares
 * (what it is worth, whether hidden); whether the exercise was attempted is what the run decided
 * (exercise.ts), told by the tests' names: every check "not attempted".
 */
export function exerciseResult(id: string, tests: Tests, crashedFile: string | undefined, testFilePath: string): ExerciseResult {
  const declared = checksRunFrom(testFilePath, id);
  const loadFailure = tests.find((test) => test.title === LOAD_FAILURE_TITLE);
  const matched = Array.isArray(declared) ? tests.map((test) => ({ test, check: matchCheck(test.title, declared) })) : [];
  const attempted = !(matched.length > 0 && matched.every((m) => m.check?.notRun?.why === 'not attempted'));
  const checks: CheckResult[] = [];
  for (const { test, check } of matched) {
    if (!check) continue;
    const { meta } = check;
    const failures = test.failureMessages.map(stripAnsi);
    // A failed test is the student's failure only when a check said so; anything else is the grading's (grader-error.ts).
    const status: CheckStatus = !attempted
      ? 'not attempted'
      : test.status === 'passed'
        ? 'passed'
        : test.status === 'failed'
          ? isStudentFailure(failures) ? 'failed' : 'error'
          : 'skipped';
    const timeline = status === 'failed' || status === 'passed' ? readTimeline(id, meta.id) : undefined;
    checks.push({
      id: meta.id,
      title: meta.title,
      hidden: Boolean(meta.hidden),
      maxPoints: meta.points,
      points: status === 'passed' ? meta.points : 0,
      status,
      message: !failures.length ? undefined : status === 'error' ? graderErrorMessage(failures) : failures.join('\n').replace(/^CheckFailure: /, ''),
      ms: test.duration ?? undefined,
      ...(timeline ? { timeline } : {}),
    });
  }
  const crashed =
    crashedFile ?? (loadFailure ? stripAnsi(loadFailure.failureMessages.join('\n')) : !Array.isArray(declared) && tests.length > 0 ? declared.message : undefined);
  if (crashed) for (const check of checks) check.status = 'error';
  // A bad run.json fails every check saying why; the exercise says it once.
  const notRun = matched.find((m) => m.check?.notRun && m.check.notRun.why !== 'skipped')?.check?.notRun;
  return {
    id,
    attempted,
    reason: crashed ? `the checks could not run: ${crashed}` : notRun?.reason,
    score: checks.reduce((sum, c) => sum + c.points, 0),
    max: checks.reduce((sum, c) => sum + c.maxPoints, 0),
    checks,
  };
}

export function exerciseResults(results: AggregatedResult): ExerciseResult[] {
  return results.testResults.flatMap((file) => exercisesOfFile(file)).sort((a, b) => a.id.localeCompare(b.id));
}

/** One graded submission: what grade.ts writes for it and every report is made from. */
export interface SubmissionResult {
  /** The submission's name (its folder or archive name without extension). */
  name: string;
  score: number;
  max: number;
  exercises: ExerciseResult[];
  /**
   * Set when the submission could not be graded completely: not at all (bad archive, grader crash),
   * or some checks were errors of the grading (time budget, build environment, harness failure).
   */
  error?: string;
  /** ISO time the grading finished. */
  gradedAt: string;
  durationMs: number;
}

export function totals(exercises: ExerciseResult[]): { score: number; max: number } {
  return { score: exercises.reduce((s, e) => s + e.score, 0), max: exercises.reduce((s, e) => s + e.max, 0) };
}
