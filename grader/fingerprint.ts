/**
 * What a stored result was graded from: the student's files (their content hash) and the grader
 * (every file of it that runs or is read while a submission is graded, the runtime, and the options
 * that change results). A submission whose fingerprint is unchanged is not graded again.
 */
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Isolation } from './isolation';
import type { SubmissionLimits } from './submission-limits';

export interface Fingerprint {
  files: string;
  grader: string;
}

/** What changes results, besides the files below. */
export interface GraderOptions {
  /** Exercise ids graded; all when empty. */
  exercises: string[];
  hidden: boolean;
  /** The time budget of one submission. */
  timeoutMs: number;
  limits: SubmissionLimits;
  /** What isolates the submissions (a TA's sandbox choice, GRADER_SANDBOX), when known. */
  isolation?: Partial<Pick<Isolation, 'protections'>>;
  /** grade --capture: a result graded without captures is graded again to get them. */
  capture?: boolean;
}

/** Relative to the repository: what grading runs or reads, besides the graded exercises' spec files. */
const GRADER_FILES = ['specs/harness', 'grader', 'grade.ts', 'jest.config.ts', 'tsconfig.json', 'package-lock.json', 'fixtures/resolver'];
/** Run again on every run from the stored results (store.ts): a change to them needs no new grading. */
const RENDERERS = 'grader/report';

type Hash = ReturnType<typeof createHash>;

/** Each file under `relative` by its path and content; symbolic links are not followed. */
function hashPath(hash: Hash, repo: string, relative: string): void {
  if (relative === RENDERERS) return;
  let stat;
  try {
    stat = lstatSync(path.join(repo, relative));
  } catch {
    hash.update(`${relative}\0missing\0`);
    return;
  }
  if (stat.isDirectory()) {
    for (const name of readdirSync(path.join(repo, relative)).sort()) hashPath(hash, repo, path.posix.join(relative, name));
  } else if (stat.isFile()) {
    hash.update(`${relative}\0`).update(readFileSync(path.join(repo, relative))).update('\0');
  }
}

export function graderFingerprint(repo: string, options: GraderOptions): string {
  const hash = createHash('sha256');
  for (const relative of GRADER_FILES) hashPath(hash, repo, relative);
  const specs = readdirSync(path.join(repo, 'specs')).filter((f) => f.endsWith('.spec.ts') && (options.exercises.length === 0 || options.exercises.includes(f.slice(0, -'.spec.ts'.length))));
  for (const file of specs.sort()) hashPath(hash, repo, `specs/${file}`);
  hash.update(
    JSON.stringify({
      exercises: [...options.exercises].sort(),
      hidden: options.hidden,
      timeoutMs: options.timeoutMs,
      limits: options.limits,
      isolation: options.isolation?.protections,
      node: process.version,
      ...(options.capture ? { capture: true } : {}),
    }),
  );
  return hash.digest('hex');
}

export function sameFingerprint(a: Fingerprint | undefined, b: Fingerprint): boolean {
  return a !== undefined && a.files === b.files && a.grader === b.grader;
}
