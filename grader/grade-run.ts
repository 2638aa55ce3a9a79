/**
 * A grading run: the grading table first, then every submission, `jobs` at a time, each prepared in a
 * temporary folder of its own, skipped when its fingerprint is unchanged, graded by a jest child
 * otherwise, and stored as soon as it is done. The summary files are written at the end, also when
 * the run is interrupted (with what finished).
 */
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { totals, type SubmissionResult } from '../specs/harness/results';
import { runTempFolder } from '../specs/harness/run-temp';
import { graderFingerprint, sameFingerprint, type Fingerprint } from './fingerprint';
import { notGraded, readGradingTable, reconcile, type Table } from './grading-table';
import type { Isolation } from './isolation';
import { SubmissionError, type SubmissionLimits } from './submission-limits';
import { forEachLimit } from './pool';
import { prepareSubmission } from './prepare';
import type { Finish, Progress } from './progress';
import { runSubmission, type JestOutcome, type JestRun } from './run-submission';
import { cutCaptures } from './capture';
import { OutputDir } from './store';
import type { CopiedStudent } from './student-files';
import type { Submission } from './submissions';
import { REPO_ROOT } from '../specs/harness/repo';

export interface GradeOptions {
  submissions: Submission[];
  out: string;
  /** Exercise ids to grade; all when empty. */
  exercises: string[];
  hidden: boolean;
  jobs: number;
  /** Jest workers per submission. */
  workers?: number;
  force: boolean;
  timeoutMs: number;
  limits: SubmissionLimits;
  isolation: Pick<Isolation, 'wrap'> & Partial<Pick<Isolation, 'protections'>>;
  progress: Progress;
  signal?: AbortSignal;
  /** How a prepared submission is graded; tests give a stand-in. */
  run?: (run: JestRun) => Promise<JestOutcome>;
  /** The grading table to use instead of the specs' declarations (tests with a stand-in run). */
  table?: Table;
  /** Save each failing check's packets (capture.ts); only when captureSupport said this machine can. */
  capture?: boolean;
}

export interface GradeSummary {
  results: SubmissionResult[];
  graded: number;
  unchanged: number;
  errors: number;
  interrupted: boolean;
}

interface Context {
  options: GradeOptions;
  /** The run's own private folder for built TypeScript programs (removed at the end of the run). */
  buildCache: string;
  table: Table;
  grader: string;
  out: OutputDir;
  run: (run: JestRun) => Promise<JestOutcome>;
}

/** An unreadable archive is fingerprinted by its bytes, so an unchanged bad archive is not looked at again. */
function rawHash(submission: Submission): string | undefined {
  if (submission.kind !== 'zip' && submission.kind !== 'tar.gz') return undefined;
  return `archive:${createHash('sha256').update(readFileSync(submission.path)).digest('hex')}`;
}

function finish(name: string, exercises: SubmissionResult['exercises'], started: number, error?: string): SubmissionResult {
  return { name, ...totals(exercises), exercises, ...(error ? { error } : {}), gradedAt: new Date().toISOString(), durationMs: Date.now() - started };
}

type Done = { result: SubmissionResult; how: Finish };

function storedIfUnchanged(ctx: Context, name: string, fingerprint: Fingerprint | undefined): Done | undefined {
  if (ctx.options.force || !fingerprint) return undefined;
  const stored = ctx.out.read(name);
  if (!stored || !sameFingerprint(stored.fingerprint, fingerprint)) return undefined;
  ctx.out.render(stored.result);
  return { result: stored.result, how: 'unchanged' };
}

/** A submission that cannot be read (bad archive, too big) gets an error result, with every check at 0. */
function unreadable(submission: Submission, ctx: Context, error: SubmissionError, started: number): Done {
  const raw = rawHash(submission);
  const fingerprint = raw ? { files: raw, grader: ctx.grader } : undefined;
  const unchanged = storedIfUnchanged(ctx, submission.name, fingerprint);
  if (unchanged) return unchanged;
  const result = finish(submission.name, notGraded(ctx.table, 'not graded: the submission could not be read'), started, error.message);
  ctx.out.saveSubmission({ result, fingerprint });
  return { result, how: 'graded' };
}

async function gradeOne(submission: Submission, ctx: Context): Promise<Done | undefined> {
  const { options } = ctx;
  const started = Date.now();
  const workDir = runTempFolder('grade-submission-');
  try {
    let copied: CopiedStudent;
    try {
      copied = await prepareSubmission(submission, workDir, options.limits);
    } catch (error) {
      if (error instanceof SubmissionError) return unreadable(submission, ctx, error, started);
      throw error;
    }
    const fingerprint = { files: copied.hash, grader: ctx.grader };
    const unchanged = storedIfUnchanged(ctx, submission.name, fingerprint);
    if (unchanged) return unchanged;
    const outcome = await ctx.run({
      studentDir: copied.dir,
      buildCache: ctx.buildCache,
      exercises: options.exercises,
      hidden: options.hidden,
      timeoutMs: options.timeoutMs,
      workers: options.workers,
      signal: options.signal,
      isolation: options.isolation,
      capture: options.capture,
    });
    if (options.signal?.aborted) return undefined; // interrupted half-way: graded again next time
    const exercises = reconcile(ctx.table, outcome.exercises, outcome.error ?? 'this exercise did not finish');
    const error = outcome.error ?? gradingErrors(exercises);
    const captures = outcome.capture ? cutCaptures(outcome.capture, exercises) : [];
    const result = finish(submission.name, exercises, started, error);
    const log = outcome.captureProblem ? `${outcome.log}\n--capture: ${outcome.captureProblem}\n` : outcome.log;
    // Not graded completely: stored without its fingerprint, so that the next run grades it again.
    ctx.out.saveSubmission({ result, fingerprint: error ? undefined : fingerprint, log, captures });
    return { result, how: 'graded' };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

/**
 * Checks the grading failed on (status `error`: the grader's problem, never the student's, see
 * specs/harness/grader-error.ts) make the submission "not graded completely", saying which and why.
 */
export function gradingErrors(exercises: SubmissionResult['exercises']): string | undefined {
  const errored = exercises.flatMap((e) => e.checks.filter((c) => c.status === 'error').map((c) => ({ exercise: e, check: c })));
  if (errored.length === 0) return undefined;
  const shown = errored.slice(0, 10).map(({ exercise, check }) => `- ${exercise.id} / ${check.id}: ${(check.message ?? exercise.reason ?? 'no reason given').split('\n')[0]}`);
  if (errored.length > shown.length) shown.push(`- and ${errored.length - shown.length} more`);
  const count = `${errored.length} check${errored.length === 1 ? '' : 's'}`;
  return `not graded completely: the grader failed on ${count} (not the student's program); the next run grades this submission again\n${shown.join('\n')}`;
}

/** A bug or an I/O error of the grader's own costs this one submission its grade, never the run. */
function graderFailed(submission: Submission, ctx: Context, error: Error): Done {
  const result = finish(submission.name, notGraded(ctx.table, 'not graded: the grader failed'), Date.now(), `the grader failed on this submission: ${error.stack ?? error.message}`);
  ctx.out.saveSubmission({ result });
  return { result, how: 'graded' };
}

export async function gradeAll(options: GradeOptions): Promise<GradeSummary> {
  const run = options.run ?? runSubmission;
  const out = new OutputDir(options.out);
  const grader = graderFingerprint(REPO_ROOT, options);
  const table = out.readTable(grader) ?? options.table ?? readGradingTable({ exercises: options.exercises, hidden: options.hidden });
  out.saveTable(grader, table);
  // mkdtemp: a folder of this run's own (mode 0700), never a shared name another user could have made first.
  const buildCache = runTempFolder('socket-grader-build-');
  const ctx: Context = { options, table, run, out, grader, buildCache };
  const finished = new Map<string, SubmissionResult>();
  const summary = { graded: 0, unchanged: 0, errors: 0 };
  options.progress.begin(options.submissions.length, options.jobs);
  try {
    await forEachLimit(
      options.submissions,
      options.jobs,
      async (submission) => {
        options.progress.started(submission.name);
        const done = await gradeOne(submission, ctx).catch((error: Error) => graderFailed(submission, ctx, error));
        if (!done) return;
        finished.set(submission.name, done.result);
        summary[done.how === 'graded' ? 'graded' : 'unchanged'] += 1;
        if (done.result.error) summary.errors += 1;
        options.progress.finished(done.result, done.how);
      },
      options.signal,
    );
  } finally {
    options.progress.end();
    rmSync(buildCache, { recursive: true, force: true });
  }
  const results = options.submissions.map((s) => finished.get(s.name)).filter((r) => r !== undefined);
  ctx.out.saveSummary(results);
  return { results, ...summary, interrupted: Boolean(options.signal?.aborted) };
}
