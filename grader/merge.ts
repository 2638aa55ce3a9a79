/**
 * `grade merge DIR...`: combines the output folders of sharded runs into one, as if it had been a
 * single run. Each folder's per-submission results are read back and every output is written again.
 */
import { byName } from './submissions';
import { OutputDir, type Stored } from './store';

export interface MergeSummary {
  submissions: number;
  /** Names found in more than one folder (the most recently graded result is kept). */
  duplicates: string[];
}

export function mergeOutputs(dirs: string[], out: string): MergeSummary {
  const merged = new Map<string, Stored>();
  const duplicates: string[] = [];
  const graders = new Set<string>();
  for (const dir of dirs) {
    const source = new OutputDir(dir);
    const names = source.storedNames();
    if (names.length === 0) throw new Error(`${dir}: no graded submissions in it (expected ${dir}/submissions/NAME/result.json)`);
    for (const name of names) {
      const stored = source.read(name)!;
      if (stored.fingerprint) graders.add(stored.fingerprint.grader);
      const before = merged.get(name);
      if (before) duplicates.push(name);
      if (!before || before.result.gradedAt < stored.result.gradedAt) merged.set(name, stored);
    }
  }
  if (graders.size > 1) throw new Error('these folders were graded with a different grader or options (--hidden, --exercise, --timeout): grade them again the same way before merging');
  const target = new OutputDir(out);
  const all = [...merged.values()].sort((a, b) => byName(a.result, b.result));
  for (const stored of all) target.saveSubmission(stored);
  target.saveSummary(all.map((s) => s.result));
  return { submissions: all.length, duplicates: [...new Set(duplicates)] };
}
