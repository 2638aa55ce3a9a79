/**
 * `grade diff OLD NEW`: what changed between two grading runs of a class (after a spec fix, a
 * re-run, --hidden), per submission and per check, so that a TA can announce regrades fairly.
 * Reads the runs' stored result.json files; the renderers are in report/diff.ts.
 */
import path from 'node:path';
import { stripAnsi, type CheckResult, type CheckStatus, type SubmissionResult } from '../specs/harness/results';
import { diffHtml, diffMarkdown, diffText, type DiffRuns } from './report/diff';
import { OutputDir, writeAtomically } from './store';

export interface CheckChange {
  exercise: string;
  check: string;
  title: string;
  hidden: boolean;
  /** undefined: the check was not in that run (another spec version, or --hidden / --exercise differed). */
  before?: { status: CheckStatus; points: number; maxPoints: number };
  after?: { status: CheckStatus; points: number; maxPoints: number };
  /** Why it fails now (or failed before, when it passes now): the message's first line. */
  why?: string;
}

export interface SubmissionChange {
  name: string;
  /** undefined: not in that run. */
  before?: { score: number; max: number; error?: string };
  after?: { score: number; max: number; error?: string };
  checks: CheckChange[];
}

export interface RegradeDiff {
  /** Submissions whose score, error or any check's status or points changed, by name. */
  changed: SubmissionChange[];
  unchanged: number;
  /** What one run only graded (another spec version, or --hidden / --exercise differed): not compared. */
  onlyBefore: Graded;
  onlyAfter: Graded;
}

export interface Graded {
  /** Exercises none of whose checks the other run graded. */
  exercises: string[];
  /** Checks ("exercise/check") of the other exercises. */
  checks: string[];
}

const key = (exercise: string, check: string) => `${exercise}/${check}`;

function checksOf(result: SubmissionResult | undefined): Map<string, { exercise: string; check: CheckResult }> {
  const found = new Map<string, { exercise: string; check: CheckResult }>();
  for (const exercise of result?.exercises ?? []) for (const check of exercise.checks) found.set(key(exercise.id, check.id), { exercise: exercise.id, check });
  return found;
}

function firstLine(message: string | undefined): string | undefined {
  // Printed to a terminal too: no colour codes or other control characters from a program's output.
  const line = message && stripAnsi(message).split('\n').map((l) => l.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '')).find((l) => l.trim() !== '');
  return line && line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

function outcome(check: CheckResult | undefined): CheckChange['before'] {
  return check && { status: check.status, points: check.points, maxPoints: check.maxPoints };
}

function compareChecks(before: SubmissionResult, after: SubmissionResult, shared: Set<string>): CheckChange[] {
  const [old, now] = [checksOf(before), checksOf(after)];
  const changes: CheckChange[] = [];
  // Checks only one run graded are listed once for the whole class (checksOnlyBefore/After), not per submission.
  for (const id of shared) {
    const [was, is] = [old.get(id), now.get(id)];
    if (!was && !is) continue;
    const same = was && is && was.check.status === is.check.status && was.check.points === is.check.points && was.check.maxPoints === is.check.maxPoints;
    if (same) continue;
    const { exercise, check } = (is ?? was)!;
    const why = is && is.check.status !== 'passed' ? firstLine(is.check.message) : firstLine(was?.check.message);
    changes.push({ exercise, check: check.id, title: check.title, hidden: check.hidden, before: outcome(was?.check), after: outcome(is?.check), ...(why ? { why } : {}) });
  }
  return changes;
}

export function compareResults(before: SubmissionResult[], after: SubmissionResult[]): RegradeDiff {
  const [old, now] = [new Map(before.map((r) => [r.name, r])), new Map(after.map((r) => [r.name, r]))];
  const idsIn = (results: SubmissionResult[]) => new Set(results.flatMap((r) => [...checksOf(r).keys()]));
  const [oldIds, newIds] = [idsIn(before), idsIn(after)];
  const shared = new Set([...newIds].filter((id) => oldIds.has(id)));
  const changed: SubmissionChange[] = [];
  let unchanged = 0;
  for (const name of [...new Set([...old.keys(), ...now.keys()])].sort()) {
    const [was, is] = [old.get(name), now.get(name)];
    // A submission in one run only is listed as added or gone, without its every check.
    const checks = was && is ? compareChecks(was, is, shared) : [];
    const total = (r: SubmissionResult | undefined) => r && { score: r.score, max: r.max, ...(r.error ? { error: r.error } : {}) };
    const sameTotal = was && is && was.score === is.score && was.max === is.max && was.error === is.error;
    if (sameTotal && checks.length === 0) unchanged += 1;
    else changed.push({ name, before: total(was), after: total(is), checks });
  }
  return { changed, unchanged, onlyBefore: onlyIn(oldIds, newIds), onlyAfter: onlyIn(newIds, oldIds) };
}

function onlyIn(these: Set<string>, other: Set<string>): Graded {
  const exerciseOf = (id: string) => id.slice(0, id.indexOf('/'));
  const otherExercises = new Set([...other].map(exerciseOf));
  const only = [...these].filter((id) => !other.has(id)).sort();
  return {
    exercises: [...new Set(only.map(exerciseOf).filter((e) => !otherExercises.has(e)))],
    checks: only.filter((id) => otherExercises.has(exerciseOf(id))),
  };
}

/** Every stored result of an output folder of `npm run grade`. */
export function readRun(dir: string): SubmissionResult[] {
  const out = new OutputDir(dir);
  const names = out.storedNames();
  if (names.length === 0) throw new Error(`${dir}: no graded submissions in it (expected ${dir}/submissions/NAME/result.json, as npm run grade writes them)`);
  return names.map((name) => out.read(name)!.result);
}

/** The files `grade diff` writes into `out`. */
export const DIFF_FILES = ['regrade.md', 'regrade.html', 'regrade.json'];

/** Compares two output folders, writes the diff's reports into `out`, and returns the terminal's text. */
export function diffRuns(beforeDir: string, afterDir: string, out: string, runs: DiffRuns): string {
  const diff = compareResults(readRun(beforeDir), readRun(afterDir));
  writeAtomically(path.join(out, 'regrade.md'), diffMarkdown(diff, runs));
  writeAtomically(path.join(out, 'regrade.html'), diffHtml(diff, runs));
  writeAtomically(path.join(out, 'regrade.json'), `${JSON.stringify({ before: runs.before, after: runs.after, ...diff }, null, 2)}\n`);
  return diffText(diff, runs);
}
