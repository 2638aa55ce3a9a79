import path from 'node:path';

/** The repository this grader runs from (specs, references, fixtures, node_modules). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');
