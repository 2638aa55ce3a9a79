/**
 * What a stored result was graded from: the student's files (their content hash) and the grader (the
 * specs' content and the options that change results). A submission whose fingerprint is unchanged
 * is not graded again.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface Fingerprint {
  files: string;
  grader: string;
}

function hashTree(hash: ReturnType<typeof createHash>, root: string, relative = ''): void {
  for (const entry of readdirSync(path.join(root, relative), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const child = path.posix.join(relative, entry.name);
    if (entry.isDirectory()) hashTree(hash, root, child);
    else if (entry.isFile()) hash.update(`${child}\0`).update(readFileSync(path.join(root, child))).update('\0');
  }
}

/** The harness, the graded exercises' spec files (all of them when none is chosen), jest's config and the options. */
export function graderFingerprint(repo: string, options: { exercises: string[]; hidden: boolean }): string {
  const hash = createHash('sha256');
  const specs = path.join(repo, 'specs');
  hashTree(hash, path.join(specs, 'harness'));
  const files = readdirSync(specs).filter((f) => f.endsWith('.spec.ts') && (options.exercises.length === 0 || options.exercises.includes(f.slice(0, -'.spec.ts'.length))));
  for (const file of files.sort()) hash.update(`${file}\0`).update(readFileSync(path.join(specs, file)));
  hash.update(readFileSync(path.join(repo, 'jest.config.ts')));
  hash.update(JSON.stringify({ exercises: [...options.exercises].sort(), hidden: options.hidden }));
  return hash.digest('hex');
}

export function sameFingerprint(a: Fingerprint | undefined, b: Fingerprint): boolean {
  return a !== undefined && a.files === b.files && a.grader === b.grader;
}
