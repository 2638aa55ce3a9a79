/**
 * Every selected exercise (GRADER_EXERCISES, else all) in one test file: one jest process loads the
 * harness once and runs the checks of all of them side by side, instead of a worker per spec file,
 * each booting jest and ts-jest anew. Each exercise stays its own `describe(ID)` block (results.ts
 * groups by it). A spec that cannot be loaded fails only its own exercise, saying why.
 */
import { LOAD_FAILURE_TITLE } from './harness/titles';
import { selectedExercises, specFile } from './harness/exercise-list';

for (const id of selectedExercises()) {
  try {
    require(specFile(id));
  } catch (error) {
    describe(id, () => {
      test(LOAD_FAILURE_TITLE, () => {
        throw error;
      });
    });
  }
}
