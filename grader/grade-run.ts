/**
 * A grading run: the grading table first, then every submission, `jobs` at a time, each prepared in a
 * temporary folder of its own, skipped when its fingerprint is unchanged, graded by a jest child
 * otherwise, and stored as soon as it is done. The summary files are written at the end, also when
 * the run is interrupted (with what finished).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { totals, type SubmissionResult } from '../specs/harness/results';
import { graderFingerprint, sameFingerprint, type Fingerprint } from './fingerprint';
import { notGraded, readGradingTable, reconcile, type Table } from './grading-table';
import type { Isolation } from './isolation';
import { SubmissionError, type Limits } from './limits';
import { forEachLimit } from './pool';
import { prepareSubmission } from './prepare';
import type { Finish, Progress } from './progress';
import { REPO, runSubmission, type JestOutcome, type JestRun } from './run-submission';
import { OutputDir } from './store';
import type { CopiedStudent } from './student-files';
import type { Submission } from './submissions';

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
  limits: Limits;
  isolation: Pick<Isolation, 'wrap'>;
  progress: Progress;
  signal?: AbortSignal;
  /** How a prepared submission is graded; tests give a stand-in. */
  run?: (run: JestRun) => Promise<JestOutcome>;
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
  return stored && sameFingerprint(stored.fingerprint, fingerprint) ? { result: stored.result, how: 'unchanged' } : undefined;
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
  const workDir = mkdtempSync(path.join(tmpdir(), 'grade-submission-'));
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
      exercises: options.exercises,
      hidden: options.hidden,
      timeoutMs: options.timeoutMs,
      workers: options.workers,
      signal: options.signal,
      isolation: options.isolation,
    });
    if (options.signal?.aborted) return undefined; // interrupted half-way: graded again next time
    const exercises = reconcile(ctx.table, outcome.exercises, outcome.error ?? 'this exercise did not finish');
    const result = finish(submission.name, exercises, started, outcome.error);
    ctx.out.saveSubmission({ result, fingerprint, log: outcome.log });
    return { result, how: 'graded' };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
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
  const grader = graderFingerprint(REPO, options);
  const table =
    out.readTable(grader) ??
    (await readGradingTable(
      // Loading the specs takes seconds, whatever budget the submissions get.
      { exercises: options.exercises, hidden: options.hidden, timeoutMs: Math.max(options.timeoutMs, 120_000), workers: options.workers, isolation: options.isolation, signal: options.signal },
      run,
    ));
  out.saveTable(grader, table);
  const ctx: Context = { options, table, run, out, grader };
  const finished = new Map<string, SubmissionResult>();
  const summary = { graded: 0, unchanged: 0, errors: 0 };
  options.progress.begin(options.submissions.length);
  try {
    await forEachLimit(
      options.submissions,
      options.jobs,
      async (submission) => {
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
  }
  const results = options.submissions.map((s) => finished.get(s.name)).filter((r) => r !== undefined);
  ctx.out.saveSummary(results);
  return { results, ...summary, interrupted: Boolean(options.signal?.aborted) };
}
