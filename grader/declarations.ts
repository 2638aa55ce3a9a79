/**
 * Every exercise's checks as its spec declares them (id, title, points, visibility), read by loading
 * the spec files with exercise() recording instead of registering jest tests: nothing runs, no jest.
 * The docs, the grading table and the scaffold read this, not test titles.
 */
import { exerciseIds, SPECS_DIR, specFile } from '../specs/harness/exercise-list';
import { recordDeclarations, type CheckMeta } from '../specs/harness/exercise';

export class DeclarationError extends Error {}

/** What each spec file declared when it was loaded (a module loads once per process). */
const byFile = new Map<string, Map<string, CheckMeta[]>>();

/** The checks of `ids` (every exercise by default), in id order, hidden ones included. */
export function readDeclarations(ids?: string[], specsDir = SPECS_DIR): Map<string, CheckMeta[]> {
  const result = new Map<string, CheckMeta[]>();
  for (const id of ids ?? exerciseIds(specsDir)) {
    const checks = declaredIn(specFile(id, specsDir), id).get(id);
    if (!checks) throw new DeclarationError(`specs/${id}.spec.ts declares no exercise('${id}', ...)`);
    if (checks.length === 0) throw new DeclarationError(`specs/${id}.spec.ts declares no checks`);
    const seen = new Set<string>();
    for (const check of checks) {
      if (seen.has(check.id)) throw new DeclarationError(`specs/${id}.spec.ts declares the check id "${check.id}" twice`);
      seen.add(check.id);
    }
    result.set(id, checks);
  }
  return result;
}

function declaredIn(file: string, id: string): Map<string, CheckMeta[]> {
  const known = byFile.get(file);
  if (known) return known;
  const declared = recordDeclarations(() => {
    // Loaded before without recording (a test registering its checks): load it afresh.
    delete require.cache[require.resolve(file)];
    try {
      require(file);
    } catch (error) {
      throw new DeclarationError(`specs/${id}.spec.ts could not be loaded: ${(error as Error).message}`);
    }
  });
  byFile.set(file, declared);
  return declared;
}
