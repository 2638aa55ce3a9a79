/**
 * The grading table: every check each graded exercise has, with its points and visibility, read from
 * the spec files themselves by a jest run on an empty folder (every check reports "not attempted").
 * A submission's results are reconciled with it, so every submission has the same checks and maximum
 * whatever happened to it, and points come from the table, not from what a run wrote.
 */
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { CheckResult, ExerciseResult } from '../specs/harness/results';
import { runTempFolder } from '../specs/harness/run-temp';
import { runSubmission, type JestOutcome, type JestRun } from './run-submission';

export type Table = ExerciseResult[];

const MAX_MESSAGE = 16 * 1024;

export async function readGradingTable(options: Omit<JestRun, 'studentDir'>, run: (r: JestRun) => Promise<JestOutcome> = runSubmission): Promise<Table> {
  const temp = runTempFolder('grade-table-');
  const empty = path.join(temp, 'student');
  mkdirSync(empty);
  try {
    const outcome = await run({ ...options, studentDir: empty });
    const broken = outcome.exercises.filter((e) => e.checks.length === 0);
    if (outcome.error || broken.length || outcome.exercises.length === 0) {
      const why = outcome.error ?? (broken.length ? broken.map((e) => `${e.id}: ${e.reason ?? 'no checks'}`).join('\n') : 'no spec file ran');
      throw new Error(`the specs could not be loaded, nothing was graded:\n${why}\n${outcome.log.split('\n').slice(-30).join('\n')}`);
    }
    return outcome.exercises;
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

function bounded(message: string | undefined): string | undefined {
  if (message === undefined || message.length <= MAX_MESSAGE) return message;
  return `${message.slice(0, MAX_MESSAGE)}\n[... ${message.length - MAX_MESSAGE} characters cut]`;
}

function errored(check: CheckResult): CheckResult {
  return { ...check, status: 'error', points: 0, message: undefined, ms: undefined };
}

/**
 * The table's exercises with the statuses a run reported. An exercise or check the run did not report
 * (time budget, crash) is an error, with `missing` as the reason.
 */
export function reconcile(table: Table, reported: ExerciseResult[], missing: string): ExerciseResult[] {
  return table.map((row) => {
    const got = reported.find((e) => e.id === row.id);
    if (!got) return { ...row, attempted: true, reason: missing, score: 0, checks: row.checks.map(errored) };
    const checks = row.checks.map((check): CheckResult => {
      const result = got.checks.find((c) => c.id === check.id);
      if (!result) return { ...errored(check), message: got.reason ?? missing };
      const status = result.status;
      return { ...check, status, points: status === 'passed' ? check.maxPoints : 0, message: bounded(result.message), ms: result.ms };
    });
    return { id: row.id, attempted: got.attempted, reason: bounded(got.reason), score: checks.reduce((s, c) => s + c.points, 0), max: row.max, checks };
  });
}

/** A submission that could not be graded at all: every check an error, for the same maximum. */
export function notGraded(table: Table, reason: string): ExerciseResult[] {
  return table.map((row) => ({ ...row, attempted: true, reason, score: 0, checks: row.checks.map(errored) }));
}
