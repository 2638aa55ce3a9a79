/**
 * grades.json: every submission's full result, and the grading table they were graded against.
 * The schema is documented in docs/grading.md.
 */
import type { SubmissionResult } from '../../specs/harness/results';

export const GRADES_SCHEMA = 'socket-grader/grades@1';

export interface ExerciseSummary {
  id: string;
  max: number;
  checks: { id: string; title: string; points: number; hidden: boolean }[];
}

/** The exercises the results were graded on, in id order, with their checks (the same in every result). */
export function gradedExercises(results: SubmissionResult[]): ExerciseSummary[] {
  const byId = new Map<string, ExerciseSummary>();
  for (const result of results) {
    for (const exercise of result.exercises) {
      if (byId.has(exercise.id) && byId.get(exercise.id)!.checks.length >= exercise.checks.length) continue;
      byId.set(exercise.id, {
        id: exercise.id,
        max: exercise.max,
        checks: exercise.checks.map((c) => ({ id: c.id, title: c.title, points: c.maxPoints, hidden: c.hidden })),
      });
    }
  }
  return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The timelines stay in each submission's result.json: the class file would grow by kilobytes per failing check. */
function withoutTimelines(result: SubmissionResult): SubmissionResult {
  return { ...result, exercises: result.exercises.map((e) => ({ ...e, checks: e.checks.map(({ timeline: _timeline, ...check }) => check) })) };
}

export function gradesJson(results: SubmissionResult[]): string {
  const lastGradedAt = results.map((r) => r.gradedAt).sort().at(-1) ?? null;
  return `${JSON.stringify({ schema: GRADES_SCHEMA, lastGradedAt, exercises: gradedExercises(results), submissions: results.map(withoutTimelines) }, null, 2)}\n`;
}
