/**
 * Which exercises exist (one spec file each: specs/ID.spec.ts), and the test file that runs several of
 * them in one process (specs/exercises.entry.ts), with the variable that selects them.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';

export const SPECS_DIR = path.resolve(__dirname, '..');
const SPEC_SUFFIX = '.spec.ts';

/** The test file that loads every selected exercise's spec (results.ts groups its checks by exercise). */
export const ENTRY_FILE = path.join(SPECS_DIR, 'exercises.entry.ts');
/** Comma-separated exercise ids the entry loads; all of them when unset or empty. */
export const EXERCISES_ENV = 'GRADER_EXERCISES';
/**
 * Checks one test file runs at once (check-scheduler.ts): jest's own default for test.concurrent,
 * under which the verdicts were proven load-independent (docs/performance.md). The entry, which holds
 * every exercise, runs more: enough that the longest chains of the contract's waits (udp-client's 4
 * tries) overlap the rest. GRADER_CHECKS_AT_ONCE (or jest's global of that name) sets another.
 */
const CHECKS_AT_ONCE = 5;
export const ENTRY_CHECKS_AT_ONCE = 12;
export const CHECKS_AT_ONCE_ENV = 'GRADER_CHECKS_AT_ONCE';

export function checksAtOnce(): number {
  const set = Number((globalThis as { GRADER_CHECKS_AT_ONCE?: number }).GRADER_CHECKS_AT_ONCE ?? process.env[CHECKS_AT_ONCE_ENV]);
  return Number.isInteger(set) && set > 0 ? set : CHECKS_AT_ONCE;
}

/** jest's command-line arguments that run the entry alone, in one process (set EXERCISES_ENV to choose). */
export function entryJestArgs(): string[] {
  return ['--runInBand', '--testMatch', `**/specs/${path.basename(ENTRY_FILE)}`];
}

export function exerciseIds(specsDir = SPECS_DIR): string[] {
  return readdirSync(specsDir)
    .filter((f) => f.endsWith(SPEC_SUFFIX))
    .map((f) => f.slice(0, -SPEC_SUFFIX.length))
    .sort();
}

export function specFile(id: string, specsDir = SPECS_DIR): string {
  return path.join(specsDir, `${id}${SPEC_SUFFIX}`);
}

/** The exercise a spec file holds, or undefined for another test file (the entry). */
export function exerciseOfSpec(testFilePath: string): string | undefined {
  const name = path.basename(testFilePath);
  return name.endsWith(SPEC_SUFFIX) ? name.slice(0, -SPEC_SUFFIX.length) : undefined;
}

/** What the entry loads: the ids in EXERCISES_ENV or jest's global of that name (known ones only), else every exercise. */
export function selectedExercises(value = (globalThis as { GRADER_EXERCISES?: string }).GRADER_EXERCISES ?? process.env[EXERCISES_ENV]): string[] {
  const known = exerciseIds();
  const wanted = (value ?? '').split(',').map((id) => id.trim()).filter(Boolean);
  return wanted.length ? known.filter((id) => wanted.includes(id)) : known;
}
