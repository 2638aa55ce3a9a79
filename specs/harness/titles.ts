/**
 * How a check is named in jest: `<title> [<id>, <points> pt(s)<, hidden>]`, for people reading jest's
 * output. What a check is (id, points, visibility, requires) is read from its exercise's declaration
 * (declarations.ts), never parsed back from the name: a test is matched to its declared check by the
 * name the declaration gives it. What only the run knows (why a check was not run) follows the name.
 */
export interface CheckMeta {
  /** Stable slug, unique within the exercise; fixtures are labelled with it. */
  id: string;
  title: string;
  points: number;
  /** Hidden checks run only when grading with hidden checks on (TAs), never in a student's `npm test`. */
  hidden?: boolean;
  /**
   * Checks of the same exercise, declared before this one, whose exchange this check's contains: when
   * one of them fails, this one fails at once, naming it, instead of failing again at length.
   */
  requires?: string[];
}

/** The test that stands for an exercise whose checks could not be registered (its spec failed to load). */
export const LOAD_FAILURE_TITLE = 'the checks could not be loaded';

/**
 * Why the run registered a check without running it: the exercise was not attempted, this machine
 * cannot run it, or the program cannot be started at all (a broken run.json: every check fails).
 */
export type NotRunBecause = 'not attempted' | 'skipped' | 'cannot start';

/** "1 pt", "3 pts": how a check's worth is written in its name and in the reports. */
export function pointsLabel(points: number): string {
  return `${points} pt${points === 1 ? '' : 's'}`;
}

export function checkTitle(meta: CheckMeta): string {
  return `${meta.title} [${meta.id}, ${pointsLabel(meta.points)}${meta.hidden ? ', hidden' : ''}]`;
}

export function notRunTitle(meta: CheckMeta, why: NotRunBecause, reason: string): string {
  return `${checkTitle(meta)} (${why}: ${reason})`;
}

/** The declared check a jest test stands for, and why it was not run when its name says so. */
export function matchCheck(title: string, declared: CheckMeta[]): { meta: CheckMeta; notRun?: { why: NotRunBecause; reason: string } } | undefined {
  for (const meta of declared) {
    const name = checkTitle(meta);
    if (title === name) return { meta };
    if (!title.startsWith(`${name} (`) || !title.endsWith(')')) continue;
    const suffix = title.slice(name.length + 2, -1);
    const why = (['not attempted', 'skipped', 'cannot start'] as const).find((w) => suffix.startsWith(`${w}: `));
    if (why) return { meta, notRun: { why, reason: suffix.slice(why.length + 2) } };
  }
  return undefined;
}
