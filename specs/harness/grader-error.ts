/**
 * Failures of the grading itself, told apart from the student's failures.
 *
 * A check fails the student (CheckFailure, status `failed`) only for what their program did. When
 * the grader cannot do its job (its build folder unusable, esbuild missing, a full disk, a bug in
 * the harness, a check that overran jest's time limit), the check is an error of the grading (status
 * `error`): no points, but not the student's failure; the submission is "not graded completely",
 * the TA sees why (grades.json keeps the detail), and the next grading run grades it again. What a
 * student is shown of such an error is one plain line, with no stack trace and no path of the grader.
 */
import path from 'node:path';
import { REPO_ROOT } from './repo';


export class GraderError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GraderError';
    // What jest shows is the message; the cause's stack stays in it for the TA (grades.json).
    const error = options?.cause as Error | undefined;
    const cause = typeof error?.message === 'string' ? (error.stack ?? `${error.name}: ${error.message}`) : undefined;
    this.stack = `${this.name}: ${message}${cause ? `\ncaused by: ${cause}` : ''}`;
  }
}

/** How jest's own limit on a test shows up in its failure message. */
const JEST_TIMEOUT = /Exceeded timeout of (\d+) ms for a (test|hook)/;

/**
 * Whether jest's failure messages of a check are the student's failure: some message is a
 * CheckFailure (every failure of a check body is turned into one, see exercise.ts). Anything else (a
 * GraderError, jest's timeout, a failing hook, a harness crash) is an error of the grading.
 */
export function isStudentFailure(messages: string[]): boolean {
  return messages.some((m) => m.startsWith('CheckFailure: '));
}

/** The TA's account of a grading error from jest's failure messages: a one-line reason, then the detail. */
export function graderErrorMessage(messages: string[]): string {
  const text = messages.join('\n');
  if (text.startsWith('GraderError: ')) return text.slice('GraderError: '.length);
  const timeout = JEST_TIMEOUT.exec(text);
  if (timeout) return `the ${timeout[2] === 'hook' ? 'cleanup' : 'check'} did not finish within ${Number(timeout[1]) / 1000} s, the grader's time limit for it\n${text}`;
  return `the grader's own code failed: ${text}`;
}

/** Stack frames ("    at f (file:1:2)") and the grader's repository paths taken out of a text a student reads. */
export function studentSafe(text: string): string {
  return text
    .split('\n')
    .filter((line) => !/^\s*at\s+\S/.test(line))
    .join('\n')
    .split(`${REPO_ROOT}${path.sep}`)
    .join('')
    .split(REPO_ROOT)
    .join('.');
}

const NOTICE = 'the grader failed on this check (not your program)';

/** The line a student reads for a check the grading failed on: the reason's first line, then "run it again". */
export function graderErrorNotice(message: string | undefined): string {
  const safe = studentSafe(message ?? '').trim();
  if (safe.startsWith(NOTICE)) return safe.split('\n')[0];
  const reason = safe.split('\n').find((line) => line.trim() !== '')?.trim().replace(/[.;:]$/, '') || 'no reason was given';
  return `${NOTICE}: ${reason}; run it again`;
}
