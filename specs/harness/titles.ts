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

const PATTERN = /^(.*) \[([a-z0-9][a-z0-9-]*), (\d+(?:\.\d+)?) pts?(, hidden)?\]$/;

export function parseCheckTitle(title: string): CheckMeta | undefined {
  const match = PATTERN.exec(title);
  if (!match) return undefined;
  return { title: match[1], id: match[2], points: Number(match[3]), hidden: Boolean(match[4]) };
}
