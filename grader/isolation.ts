/**
 * How student code is contained (issue 5 fills this in). For now only process-group killing and
 * output bounds, which is what every platform gets.
 */
export interface Isolation {
  /** True when the kernel's isolation (namespaces) is in force, as a TA's grading run requires. */
  active: boolean;
  /** What protects this run, said once to the user, e.g. ["process groups", "output bounds"]. */
  protections: string[];
  /** Wraps a command (a whole submission's jest run) so that it runs isolated. */
  wrap(command: string, args: string[]): { command: string; args: string[] };
}

export function detectIsolation(): Isolation {
  return { active: false, protections: ['process groups', 'output bounds'], wrap: (command, args) => ({ command, args }) };
}
