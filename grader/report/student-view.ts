/**
 * What a student may see of a graded exercise: the failing checks with their messages, except hidden
 * ones, which are only counted. Every student-facing report (terminal, CI summary, annotations) reads
 * failures through here, so a hidden check's title or message never reaches a student.
 */
import type { CheckResult, ExerciseResult } from '../../specs/harness/results';

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
  const problem = exercise.attempted ? exercise.reason : undefined;
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

/** The first line of a failure message: what went wrong, in one sentence. */
export function headline(message: string | undefined): string {
  return message?.split('\n').find((line) => line.trim() !== '')?.trim() ?? '';
}

/** The `hint:` line a check's message carries (see harness/expect.ts), if any. */
export function hintOf(message: string | undefined): string | undefined {
  return message === undefined ? undefined : /^\s*hint:\s*(.+)$/m.exec(message)?.[1]?.trim();
}
