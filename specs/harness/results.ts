/**
 * From jest's results to grades: per exercise, each check's status and points, and the scores.
 * Shared by the terminal report, the selftest, grade.ts and the CI summary.
 *
 * Partial credit: a check earns all its points or none; an exercise's score is the sum of its
 * checks' points; the total is the sum over exercises.
 */
import path from 'node:path';
import type { AggregatedResult, TestResult } from '@jest/test-result';
import { graderErrorMessage, isStudentFailure } from './grader-error';
import { exerciseOfSpec, selectedExercises } from './exercise-list';
import { findProgram } from './program';
import { parseCheckTitle } from './titles';

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

/** The test that stands for an exercise whose checks could not be registered (its spec failed to load). */
export const LOAD_FAILURE_TITLE = 'the checks could not be loaded';

type Tests = TestResult['testResults'];

/**
 * The exercises of one test file: a spec file holds one; the entry (exercise-list.ts) holds one
 * `describe(ID)` block per exercise it loaded.
 */
export function exercisesOfFile(file: TestResult, targetDir?: string): ExerciseResult[] {
  const crashed = file.testExecError ? stripAnsi(file.testExecError.message) : undefined;
  return [...testsByExercise(file)].map(([id, tests]) => exerciseResult(id, tests, crashed, targetDir));
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

export function exerciseResult(id: string, tests: Tests, crashedFile: string | undefined, targetDir?: string): ExerciseResult {
  const program = safeFind(id, targetDir);
  const checks: CheckResult[] = [];
  const loadFailure = tests.find((test) => test.title === LOAD_FAILURE_TITLE);
  for (const test of tests) {
    const meta = parseCheckTitle(test.title);
    if (!meta) continue;
    const failures = test.failureMessages.map(stripAnsi);
    // A failed test is the student's failure only when a check said so; anything else is the grading's (grader-error.ts).
    const status: CheckStatus = !program.attempted
      ? 'not attempted'
      : test.status === 'passed'
        ? 'passed'
        : test.status === 'failed'
          ? isStudentFailure(failures) ? 'failed' : 'error'
          : 'skipped';
    checks.push({
      id: meta.id,
      title: meta.title,
      hidden: Boolean(meta.hidden),
      maxPoints: meta.points,
      points: status === 'passed' ? meta.points : 0,
      status,
      message: !failures.length ? undefined : status === 'error' ? graderErrorMessage(failures) : failures.join('\n').replace(/^CheckFailure: /, ''),
      ms: test.duration ?? undefined,
    });
  }
  const crashed = crashedFile ?? (loadFailure ? stripAnsi(loadFailure.failureMessages.join('\n')) : undefined);
  if (crashed) for (const check of checks) check.status = 'error';
  return {
    id,
    attempted: program.attempted,
    reason: crashed ? `the checks could not run: ${crashed}` : program.reason,
    score: checks.reduce((sum, c) => sum + c.points, 0),
    max: checks.reduce((sum, c) => sum + c.maxPoints, 0),
    checks,
  };
}

export function exerciseResults(results: AggregatedResult, targetDir?: string): ExerciseResult[] {
  return results.testResults.flatMap((file) => exercisesOfFile(file, targetDir)).sort((a, b) => a.id.localeCompare(b.id));
}

/** Whether the exercise was attempted; `reason`: why not, or the run.json problem that fails all its checks. */
function safeFind(id: string, targetDir?: string): { attempted: boolean; reason?: string } {
  try {
    const program = findProgram(id, targetDir);
    return program.attempted ? { attempted: true } : program;
  } catch (error) {
    // A bad run.json: the spec fails every check saying why (exercise.ts); the exercise says it once.
    if ((error as Error)?.name === 'ManifestError') return { attempted: true, reason: (error as Error).message };
    return { attempted: false, reason: (error as Error).message };
  }
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
