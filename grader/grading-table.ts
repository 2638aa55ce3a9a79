/**
 * The grading table: every check each graded exercise has, with its points and visibility, as the
 * specs declare them (declarations.ts). A submission's results are reconciled with it, so every
 * submission has the same checks and maximum whatever happened to it, and points come from the table,
 * not from what a run wrote.
 */
import type { CheckResult, ExerciseResult } from '../specs/harness/results';
import { readDeclarations } from '../specs/harness/declarations';

export type Table = ExerciseResult[];

const MAX_MESSAGE = 16 * 1024;

/** The table of `exercises` (all when empty); hidden checks only with `hidden`. Throws DeclarationError when a spec cannot be read. */
export function readGradingTable(options: { exercises: string[]; hidden: boolean }): Table {
  const declared = readDeclarations(options.exercises.length ? options.exercises : undefined);
  return [...declared].map(([id, declaredChecks]) => {
    const checks = declaredChecks
      .filter((check) => options.hidden || !check.hidden)
      .map((check): CheckResult => ({ id: check.id, title: check.title, points: 0, maxPoints: check.points, hidden: Boolean(check.hidden), status: 'not attempted' }));
    return { id, attempted: false, reason: 'not graded yet', score: 0, max: checks.reduce((sum, check) => sum + check.maxPoints, 0), checks };
  });
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
      const timeline = status === 'failed' || status === 'passed' ? result.timeline : undefined;
      return { ...check, status, points: status === 'passed' ? check.maxPoints : 0, message: bounded(result.message), ms: result.ms, ...(timeline ? { timeline } : {}) };
    });
    return { id: row.id, attempted: got.attempted, reason: bounded(got.reason), score: checks.reduce((s, c) => s + c.points, 0), max: row.max, checks };
  });
}

/** A submission that could not be graded at all: every check an error, for the same maximum. */
export function notGraded(table: Table, reason: string): ExerciseResult[] {
  return table.map((row) => ({ ...row, attempted: true, reason, score: 0, checks: row.checks.map(errored) }));
}
