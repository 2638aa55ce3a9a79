/**
 * Grades one student folder with the project's jest config (so with the terminal report on the
 * console) and returns the graded exercises.
 */
import path from 'node:path';
import { runCLI } from 'jest';
import { buildArgv } from 'jest-cli';
import { exerciseResults, type ExerciseResult } from '../../specs/harness/results';
import { REPO_ROOT } from '../../specs/harness/repo';
import { specPathPattern } from '../cli/exercises';

export interface GradeFolderOptions {
  /** The folder holding the student's programs (student/). */
  target: string;
  /** Only these exercises; all when empty. */
  exercises: string[];
  /** Run the hidden checks too (never for what a student is shown). */
  hidden: boolean;
}

export async function gradeFolder(options: GradeFolderOptions): Promise<ExerciseResult[]> {
  const target = path.resolve(options.target);
  // Jest's workers inherit the environment: this is how the harness learns what to grade.
  process.env.GRADER_TARGET = target;
  if (options.hidden) process.env.GRADER_HIDDEN = '1';
  else delete process.env.GRADER_HIDDEN;
  // The Markdown summary is written by the caller, with the pass/fail verdict in it.
  delete process.env.GRADER_SUMMARY_FILE;
  const argv = await buildArgv(['--config', path.join(REPO_ROOT, 'jest.config.ts'), '--ci', ...(options.exercises.length ? ['--testPathPatterns', specPathPattern(options.exercises)] : [])]);
  const { results } = await runCLI({ ...argv, $0: 'ci-grade' }, [REPO_ROOT]);
  return exerciseResults(results);
}
