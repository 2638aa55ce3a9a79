/**
 * How a check is named in jest: `<title> [<id>, <points> pt(s)<, hidden>]`. Reporters, the selftest
 * and grade.ts read the id, points and visibility back from the test name with parseCheckTitle.
 */
export interface CheckMeta {
  /** Stable slug, unique within the exercise; fixtures are labelled with it. */
  id: string;
  title: string;
  points: number;
  /** Hidden checks run only when grading with hidden checks on (TAs), never in a student's `npm test`. */
  hidden?: boolean;
}

export function checkTitle(meta: CheckMeta): string {
  const points = `${meta.points} pt${meta.points === 1 ? '' : 's'}`;
  return `${meta.title} [${meta.id}, ${points}${meta.hidden ? ', hidden' : ''}]`;
}

/** A check jest registered as skipped carries why after its metadata: ` (not attempted: ...)` or ` (skipped: ...)`. */
const PATTERN = /^(.*) \[([a-z0-9][a-z0-9-]*), (\d+(?:\.\d+)?) pts?(, hidden)?\](?: \((?:not attempted|skipped): .*\))?$/s;

export function skippedTitle(meta: CheckMeta, why: 'not attempted' | 'skipped', reason: string): string {
  return `${checkTitle(meta)} (${why}: ${reason})`;
}

/** Why this machine skipped a check, read from its title. */
export function skipReason(title: string): string | undefined {
  return /\] \(skipped: (.*)\)$/s.exec(title)?.[1];
}

export function parseCheckTitle(title: string): CheckMeta | undefined {
  const match = PATTERN.exec(title);
  if (!match) return undefined;
  return { title: match[1], id: match[2], points: Number(match[3]), hidden: Boolean(match[4]) };
}
