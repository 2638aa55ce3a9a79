/**
 * A submission's results.json for PrairieLearn's external grader: `score` from 0 to 1, one test per
 * visible check (points, max_points, message), and per exercise one test that only counts its hidden
 * checks (PrairieLearn shows every test to the student, so their titles and messages stay out).
 * `gradable: false` when the grading itself failed (SubmissionResult.error): PrairieLearn then does
 * not count the submission against the student, who submits again.
 */
import type { SubmissionResult } from '../../specs/harness/results';
import { plural, studentMessage, studentText } from './student-view';

export interface PrairieLearnTest {
  name: string;
  points: number;
  max_points: number;
  message?: string;
}

export interface PrairieLearnResults {
  gradable: boolean;
  score: number;
  message: string;
  tests: PrairieLearnTest[];
}

export function prairielearnResults(result: SubmissionResult): PrairieLearnResults {
  const tests: PrairieLearnTest[] = [];
  for (const exercise of result.exercises) {
    for (const check of exercise.checks.filter((c) => !c.hidden)) {
      const message =
        check.status === 'passed' ? undefined : check.status === 'not attempted' ? `not attempted: ${exercise.reason ?? ''}` : (studentMessage(check) ?? (exercise.reason !== undefined ? studentText(exercise.reason) : check.status));
      tests.push({ name: `${exercise.id}: ${check.title}`, points: check.points, max_points: check.maxPoints, ...(message ? { message } : {}) });
    }
    const hidden = exercise.checks.filter((c) => c.hidden);
    if (hidden.length) {
      const passed = hidden.filter((c) => c.status === 'passed').length;
      tests.push({
        name: `${exercise.id}: ${plural(hidden.length, 'hidden check')}`,
        points: hidden.reduce((s, c) => s + c.points, 0),
        max_points: hidden.reduce((s, c) => s + c.maxPoints, 0),
        message: `${passed} of ${hidden.length} passed (hidden checks are not described)`,
      });
    }
  }
  const summary = result.exercises.map((e) => `${e.id}: ${e.attempted ? `${e.score}/${e.max}` : `not attempted (${e.reason ?? ''})`}`).join('\n');
  return {
    gradable: !result.error,
    score: result.max > 0 ? result.score / result.max : 0,
    message: result.error ? `The autograder failed on this submission (not your program): ${studentText(result.error)}\nSubmit again; if it happens again, tell the course staff.` : summary,
    tests,
  };
}

export function prairielearnJson(result: SubmissionResult): string {
  return `${JSON.stringify(prairielearnResults(result), null, 2)}\n`;
}
