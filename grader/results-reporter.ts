/**
 * Jest reporter for grade.ts: writes the graded exercises (results.ts's ExerciseResult[]) as JSON to
 * the file named by GRADER_RESULTS_FILE, after every spec file and at the end, so a run stopped by
 * the time budget still keeps the exercises it finished.
 */
import { renameSync, writeFileSync } from 'node:fs';
import type { AggregatedResult } from '@jest/test-result';
import { exerciseResults } from '../specs/harness/results';

export const RESULTS_FILE_ENV = 'GRADER_RESULTS_FILE';

export default class ResultsReporter {
  private readonly file: string | undefined;

  constructor() {
    this.file = process.env[RESULTS_FILE_ENV];
    // Jest's workers, and the student programs they start, are spawned after this: they do not learn where results go.
    delete process.env[RESULTS_FILE_ENV];
  }

  onTestFileResult(_test: unknown, _result: unknown, aggregated: AggregatedResult): void {
    this.write(aggregated);
  }

  onRunComplete(_contexts: unknown, results: AggregatedResult): void {
    this.write(results);
  }

  private write(results: AggregatedResult): void {
    if (!this.file) return;
    const temp = `${this.file}.tmp`;
    writeFileSync(temp, JSON.stringify(exerciseResults(results)));
    renameSync(temp, this.file);
  }
}
