/**
 * Exercise IDs on the command line: which exist (one spec each), a clear error for a mistyped one,
 * and the jest path pattern that selects their specs.
 */
import { exerciseIds } from '../../specs/harness/exercise-list';

export function knownExercises(): string[] {
  return exerciseIds();
}

/** Accepts `udp-client`, `exercise/udp-client` and comma-separated lists; throws on an unknown ID. */
export function parseExerciseIds(words: string[], known = knownExercises()): string[] {
  const ids = words.flatMap((w) => w.split(',')).map((w) => w.trim().replace(/^exercises?\//, '')).filter(Boolean);
  const unknown = ids.filter((id) => !known.includes(id));
  if (unknown.length) {
    throw new Error(`no exercise called ${unknown.map((u) => `"${u}"`).join(', ')}. The exercises are: ${known.join(', ')}`);
  }
  return [...new Set(ids)];
}

/** Looks like an exercise ID (so a mistyped one is reported rather than handed to jest as a path). */
export function looksLikeExerciseId(word: string): boolean {
  return /^(exercises?\/)?[a-z0-9]+(-[a-z0-9]+)*(,[a-z0-9-]+)*$/.test(word);
}

/** The jest path pattern selecting exactly these exercises' specs. */
export function specPathPattern(ids: string[]): string {
  const escaped = ids.map((id) => id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return `specs/(${escaped.join('|')})\\.spec\\.ts$`;
}
