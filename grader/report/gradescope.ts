/**
 * A submission's results.json in Gradescope's format: the score, and one test per check with its
 * points, status and failure message. Hidden checks are "after_published": students see them only
 * once the TA publishes the grades.
 */
import type { SubmissionResult } from '../../specs/harness/results';
import { studentMessage, studentText } from './student-view';

export interface GradescopeTest {
  name: string;
  number: string;
  score: number;
  max_score: number;
  status: 'passed' | 'failed';
  output?: string;
  visibility: 'visible' | 'after_published';
  tags: string[];
}

export interface GradescopeResults {
  score: number;
  execution_time: number;
  output?: string;
  stdout_visibility: 'hidden';
  tests: GradescopeTest[];
}

export function gradescopeResults(result: SubmissionResult): GradescopeResults {
  const tests = result.exercises.flatMap((exercise, i) =>
    exercise.checks.map((check, j): GradescopeTest => {
      const output =
        check.status === 'passed'
          ? undefined
          : check.status === 'not attempted'
            ? `not attempted: ${exercise.reason ?? ''}`
            : (studentMessage(check) ?? (exercise.reason !== undefined ? studentText(exercise.reason) : check.status));
      return {
        name: `${exercise.id}: ${check.title}`,
        number: `${i + 1}.${j + 1}`,
        score: check.points,
        max_score: check.maxPoints,
        status: check.status === 'passed' ? 'passed' : 'failed',
        ...(output ? { output } : {}),
        visibility: check.hidden ? 'after_published' : 'visible',
        tags: [exercise.id],
      };
    }),
  );
  const summary = result.exercises.map((e) => `${e.id}: ${e.attempted ? `${e.score}/${e.max}` : `not attempted (${e.reason ?? ''})`}`).join('\n');
  return {
    score: result.score,
    execution_time: Math.round(result.durationMs / 1000),
    output: result.error ? `The submission could not be graded completely: ${studentText(result.error)}\n\n${summary}` : summary,
    stdout_visibility: 'hidden',
    tests,
  };
}

export function gradescopeJson(result: SubmissionResult): string {
  return `${JSON.stringify(gradescopeResults(result), null, 2)}\n`;
}
