/**
 * From jest's results to grades: per exercise, each check's status and points, and the scores.
 * Shared by the terminal report, the selftest, grade.ts and the CI summary.
 *
 * Partial credit: a check earns all its points or none; an exercise's score is the sum of its
 * checks' points; the total is the sum over exercises.
 */
import path from 'node:path';
import type { AggregatedResult, TestResult } from '@jest/test-result';
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
  /** Why it failed, as shown to the student (no colour codes). */
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

export function exerciseIdOf(testFilePath: string): string {
  return path.basename(testFilePath).replace(/\.spec\.ts$/, '');
}

export function exerciseResult(file: TestResult, targetDir?: string): ExerciseResult {
  const id = exerciseIdOf(file.testFilePath);
  const program = safeFind(id, targetDir);
  const checks: CheckResult[] = [];
  for (const test of file.testResults) {
    const meta = parseCheckTitle(test.title);
    if (!meta) continue;
    const status: CheckStatus = !program.attempted
      ? 'not attempted'
      : test.status === 'passed'
        ? 'passed'
        : test.status === 'failed'
          ? 'failed'
          : 'skipped';
    checks.push({
      id: meta.id,
      title: meta.title,
      hidden: Boolean(meta.hidden),
      maxPoints: meta.points,
      points: status === 'passed' ? meta.points : 0,
      status,
      message: test.failureMessages.length ? stripAnsi(test.failureMessages.join('\n')).replace(/^CheckFailure: /, '') : undefined,
      ms: test.duration ?? undefined,
    });
  }
  const crashed = file.testExecError ? stripAnsi(file.testExecError.message) : undefined;
  if (crashed) for (const check of checks) check.status = 'error';
  return {
    id,
    attempted: program.attempted,
    reason: crashed ? `the checks could not run: ${crashed}` : program.attempted ? undefined : program.reason,
    score: checks.reduce((sum, c) => sum + c.points, 0),
    max: checks.reduce((sum, c) => sum + c.maxPoints, 0),
    checks,
  };
}

export function exerciseResults(results: AggregatedResult, targetDir?: string): ExerciseResult[] {
  return results.testResults.map((file) => exerciseResult(file, targetDir)).sort((a, b) => a.id.localeCompare(b.id));
}

function safeFind(id: string, targetDir?: string) {
  try {
    return findProgram(id, targetDir);
  } catch (error) {
    return { attempted: false as const, exercise: id, reason: (error as Error).message };
  }
}

/** One graded submission: what grade.ts writes for it and every report is made from. */
export interface SubmissionResult {
  /** The submission's name (its folder or archive name without extension). */
  name: string;
  score: number;
  max: number;
  exercises: ExerciseResult[];
  /** Set when the submission could not be graded at all (bad archive, grader crash). */
  error?: string;
  /** ISO time the grading finished. */
  gradedAt: string;
  durationMs: number;
}

export function totals(exercises: ExerciseResult[]): { score: number; max: number } {
  return { score: exercises.reduce((s, e) => s + e.score, 0), max: exercises.reduce((s, e) => s + e.max, 0) };
}
