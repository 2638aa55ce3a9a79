/**
 * What a student may see of a graded exercise: the failing checks with their messages, except hidden
 * ones, which are only counted. Every student-facing report (terminal, CI summary, annotations) reads
 * failures through here, so a hidden check's title or message never reaches a student.
 */
import { graderErrorNotice, studentSafe } from '../../specs/harness/grader-error';
import type { CheckResult, ExerciseResult } from '../../specs/harness/results';
import type { TimelineRecord } from '../../specs/harness/timeline';

export type Outcome = 'passed' | 'failed' | 'not attempted' | 'no checks';

export interface StudentView {
  outcome: Outcome;
  /** Failing or erroring visible checks, in the spec's order. */
  failing: CheckResult[];
  /** How many hidden checks failed (their details stay hidden). */
  hiddenFailing: number;
  /** Checks this machine could not run (no points, no failure). */
  skipped: number;
  /** Set when the exercise as a whole could not be graded (spec crashed, bad run.json). */
  problem?: string;
}

export function isFailing(check: CheckResult): boolean {
  return check.status === 'failed' || check.status === 'error';
}

export function studentView(exercise: ExerciseResult): StudentView {
  const failingAll = exercise.checks.filter(isFailing);
  const failing = failingAll.filter((c) => !c.hidden);
  const hiddenFailing = failingAll.length - failing.length;
  const problem = exercise.attempted && exercise.reason !== undefined ? studentText(exercise.reason) : undefined;
  const outcome: Outcome = !exercise.attempted
    ? 'not attempted'
    : problem || failingAll.length > 0
      ? 'failed'
      : exercise.checks.length === 0
        ? 'no checks'
        : 'passed';
  const skipped = exercise.attempted ? exercise.checks.filter((c) => c.status === 'skipped').length : 0;
  return { outcome, failing, hiddenFailing, skipped, problem };
}

/**
 * A check's message as a student may read it: for an error of the grading (not the student's
 * failure) one plain line saying so, with its reason and no stack trace or path of the grader; TA
 * reports (grades.json, report.html) keep the detail.
 */
export function studentMessage(check: CheckResult): string | undefined {
  if (check.status !== 'error') return check.message;
  // Without a message of its own, the exercise's or the submission's reason says why (an unreadable archive is no failure of the grader's).
  return check.message === undefined ? undefined : graderErrorNotice(check.message);
}

/** A reason or error text of the grader's (why an exercise or submission could not be graded) without stack frames or the grader's paths. */
export function studentText(text: string): string {
  return studentSafe(text);
}

/** A check's timeline as a student may see it: a visible check's that failed (a hidden one's would show what it tests). */
export function studentTimeline(check: CheckResult): TimelineRecord | undefined {
  return !check.hidden && check.status === 'failed' ? check.timeline : undefined;
}

/** A visible failed check's packet capture, as the student may see it, with the words of its link. */
export function studentCapture(check: CheckResult): { file: string; words: string } | undefined {
  const capture = !check.hidden && check.status === 'failed' ? check.capture : undefined;
  return capture && { file: capture.file, words: captureWords(capture) };
}

/** "12 packets", and how many were left out past the file's size. */
export function captureWords(capture: NonNullable<CheckResult['capture']>): string {
  return capture.cut ? `the first ${plural(capture.packets, 'packet')}; ${capture.cut} more left out, past the file's size` : plural(capture.packets, 'packet');
}

export function plural(count: number, word: string, pluralWord = `${word}s`): string {
  return `${count} ${count === 1 ? word : pluralWord}`;
}

/** "2 checks fail" / "1 check fails, 1 hidden check fails". */
export function describeFailures(view: StudentView): string {
  const parts: string[] = [];
  if (view.failing.length) parts.push(`${plural(view.failing.length, 'check')} ${view.failing.length === 1 ? 'fails' : 'fail'}`);
  if (view.hiddenFailing) parts.push(`${plural(view.hiddenFailing, 'hidden check')} ${view.hiddenFailing === 1 ? 'fails' : 'fail'}`);
  if (view.problem && parts.length === 0) parts.push('could not be graded');
  return parts.join(', ');
}

/** How exercise.ts words a check that failed at once because another check found its root cause. */
const NOT_RUN = /^Not run: in the check "(.*)" \[([a-z0-9-]+)\] (.*); fix that first\.$/;

/**
 * "9 checks not run: in the check "..." the program did not start as a server; fix this first", when
 * visible checks failed at once because one found the root cause (check50's dependent checks). Hidden
 * checks are counted among them, never named.
 */
export function notRunSummary(exercise: ExerciseResult): string | undefined {
  const notRun = exercise.checks.filter((c) => isFailing(c) && NOT_RUN.test(headline(c.message)));
  if (notRun.length < 2) return undefined;
  const [, title, id, what] = NOT_RUN.exec(headline(notRun[0].message))!;
  const root = exercise.checks.find((c) => c.id === id);
  const where = root?.hidden ? 'in a hidden check' : `in the check "${title}"`;
  return `${plural(notRun.length, 'check')} not run: ${where} ${what}; fix this first.`;
}

/** The first line of a failure message: what went wrong, in one sentence. */
export function headline(message: string | undefined): string {
  return message?.split('\n').find((line) => line.trim() !== '')?.trim() ?? '';
}

/** The `hint:` line a check's message carries (see harness/expect.ts), if any. */
export function hintOf(message: string | undefined): string | undefined {
  return message === undefined ? undefined : /^\s*hint:\s*(.+)$/m.exec(message)?.[1]?.trim();
}
