/**
 * Every exercise's checks as its spec declares them (id, title, points, visibility, requires), read
 * by loading the spec files with exercise() recording instead of registering jest tests: nothing
 * runs, no jest. The docs, the grading table, the scaffold, the reporters and the selftest read
 * this, not test titles.
 */
import path from 'node:path';
import { exerciseIds, SPECS_DIR, specFile } from './exercise-list';
import { recordDeclarations, type CheckMeta } from './exercise';

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
    result.set(id, checks);
  }
  return result;
}

/**
 * The declared checks of exercise `id` that jest ran from `testFilePath` (its spec, or the entry
 * beside the specs), or why they cannot be read.
 */
export function checksRunFrom(testFilePath: string, id: string): CheckMeta[] | DeclarationError {
  try {
    // A spec and the entry both sit in the specs folder they load exercises from.
    return readDeclarations([id], path.dirname(testFilePath)).get(id)!;
  } catch (error) {
    if (error instanceof DeclarationError) return error;
    throw error;
  }
}

function declaredIn(file: string, id: string): Map<string, CheckMeta[]> {
  const known = byFile.get(file);
  if (known) return known;
  let declared: Map<string, CheckMeta[]>;
  try {
    declared = recordDeclarations(() => {
      // Loaded before without recording (a test registering its checks): load it afresh.
      delete require.cache[require.resolve(file)];
      require(file);
    });
  } catch (error) {
    throw new DeclarationError(`specs/${id}.spec.ts could not be loaded: ${(error as Error).message}`);
  }
  byFile.set(file, declared);
  return declared;
}
