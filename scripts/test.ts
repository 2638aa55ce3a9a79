/**
 * `npm test`: grades student/ with jest and prints the score report.
 *
 *   npm test                          every exercise
 *   npm test -- udp-client tcp-client only these exercises
 *   npm test -- --summary report.md   also write the Markdown summary to report.md
 *   npm test -- --trace udp-client    only this exercise, and print what each check did on the wire
 *   npm test -- --verbose ...         any other option goes to jest as it is
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { run } from 'jest';
import { specPathPattern } from '../grader/cli/exercises';
import { goOnIsolated } from '../grader/isolate-self';
import { parseTestArgs } from '../grader/cli/test-args';
import { runTempFolder } from '../specs/harness/run-temp';
import { TIMELINE_DIR_ENV, TRACE_ENV } from '../specs/harness/timeline-store';

async function main(): Promise<void> {
  if (!(await goOnIsolated())) return;
  const args = parseTestArgs(process.argv.slice(2));
  if (args.summaryFile) {
    // npm runs scripts from the package root: a relative FILE means relative to where npm was typed.
    process.env.GRADER_SUMMARY_FILE = path.resolve(process.env.INIT_CWD ?? process.cwd(), args.summaryFile);
  }
  const selection = args.exercises.length ? ['--testPathPatterns', specPathPattern(args.exercises)] : [];
  // Failing checks' timelines reach the report through this folder (timeline-store.ts).
  const timelines = runTempFolder('grader-timelines-');
  process.env[TIMELINE_DIR_ENV] = timelines;
  if (args.traced.length) process.env[TRACE_ENV] = args.traced.join(',');
  try {
    await run([...selection, ...args.jestArgs]);
  } finally {
    rmSync(timelines, { recursive: true, force: true });
  }
}

main().catch((error: Error) => {
  console.error(`npm test: ${error.message}`);
  process.exitCode = 2;
});
