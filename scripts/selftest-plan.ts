/**
 * What the selftest expects: every spec passes on reference/, every broken fixture fails exactly the
 * checks its `fails:` header names, and each sample submission matches its expect.json.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { exerciseIds } from '../specs/harness/exercise-list';
import { REPO_ROOT } from '../specs/harness/repo';

/** Each run works in its own folder, so that selftests running side by side never clobber each other. */
export const WORK = path.join(REPO_ROOT, '.selftest', `run-${process.pid}`);

/**
 * Per exercise: 'pass' (every check passes), 'not-attempted', or the ids of the checks that must fail.
 * In a submission's expect.json the key "*" sets the default for exercises it does not list ('pass'
 * when absent).
 */
export type Expectation = 'pass' | 'not-attempted' | string[];

export interface Target {
  name: string;
  dir: string;
  /** Exercises to run; the others are not graded for this target. */
  exercises: Record<string, Expectation>;
}



/** Reads `fails: a, b` from a fixture's first lines. */
export function readLabels(file: string): string[] {
  const head = readFileSync(file, 'utf8').split('\n', 8).join('\n');
  const match = /(?:#|\/\/)\s*fails:\s*([a-z0-9, -]+)/.exec(head);
  if (!match) throw new Error(`${path.relative(REPO_ROOT, file)}: no "fails: check-id, ..." line in its first lines`);
  return match[1].split(',').map((s) => s.trim()).filter(Boolean);
}

export function planTargets(): Target[] {
  rmSync(WORK, { recursive: true, force: true });
  const ids = exerciseIds();
  const targets: Target[] = [
    { name: 'reference', dir: path.join(REPO_ROOT, 'reference'), exercises: Object.fromEntries(ids.map((id) => [id, 'pass'])) },
  ];
  const broken = path.join(REPO_ROOT, 'fixtures', 'broken');
  for (const id of existsSync(broken) ? readdirSync(broken).sort() : []) {
    if (!ids.includes(id)) {
      console.warn(`selftest: fixtures/broken/${id} has no spec specs/${id}.spec.ts yet: skipped`);
      continue;
    }
    for (const file of readdirSync(path.join(broken, id)).sort()) {
      const source = path.join(broken, id, file);
      const ext = path.extname(file);
      if (!statSync(source).isFile() || !['.py', '.ts', '.js'].includes(ext)) continue;
      const dir = path.join(WORK, 'broken', `${id}--${path.basename(file, ext)}`);
      mkdirSync(dir, { recursive: true });
      cpSync(source, path.join(dir, id + ext));
      targets.push({ name: `broken/${id}/${file}`, dir, exercises: { [id]: readLabels(source) } });
    }
  }
  const submissions = path.join(REPO_ROOT, 'fixtures', 'submissions');
  for (const name of existsSync(submissions) ? readdirSync(submissions).sort() : []) {
    const expectFile = path.join(submissions, name, 'expect.json');
    const declared: Record<string, Expectation> = existsSync(expectFile) ? JSON.parse(readFileSync(expectFile, 'utf8')) : {};
    const exercises = Object.fromEntries(ids.map((id) => [id, declared[id] ?? declared['*'] ?? 'pass']));
    targets.push({ name: `submission/${name}`, dir: path.join(submissions, name, 'student'), exercises });
  }
  return targets;
}
