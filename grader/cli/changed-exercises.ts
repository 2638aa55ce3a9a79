/**
 * Which exercises a change in the student's folder affects: `udp-client.py` → udp-client; run.json
 * or any other source (a helper module) → all of them; editor droppings (swap and backup files,
 * __pycache__, dotfiles) → none.
 */
import path from 'node:path';

export const ALL = '*';

const IGNORED = [/(^|\/)\./, /(^|\/)__pycache__\//, /(^|\/)node_modules\//, /~$/, /\.(swp|swx|swo|pyc|tmp|bak|orig)$/, /(^|\/)4913$/];

/** The affected exercise IDs, [ALL], or [] for a change that cannot matter. */
export function changedExercises(relativeFile: string, known: string[]): string[] {
  const file = relativeFile.split(path.sep).join('/');
  if (IGNORED.some((pattern) => pattern.test(file))) return [];
  const ext = path.extname(file);
  const id = path.basename(file, ext);
  if (!file.includes('/') && ['.py', '.ts', '.js'].includes(ext) && known.includes(id)) return [id];
  return [ALL];
}
