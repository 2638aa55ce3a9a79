/**
 * `npm test`: grades student/ with jest and prints the score report.
 *
 *   npm test                          every exercise
 *   npm test -- udp-client tcp-client only these exercises
 *   npm test -- --summary report.md   also write the Markdown summary to report.md
 *   npm test -- --verbose ...         any other option goes to jest as it is
 */
import path from 'node:path';
import { run } from 'jest';
import { specPathPattern } from '../grader/cli/exercises';
import { goOnIsolated } from '../grader/isolate-self';
import { parseTestArgs } from '../grader/cli/test-args';

async function main(): Promise<void> {
  if (!(await goOnIsolated())) return;
  const args = parseTestArgs(process.argv.slice(2));
  if (args.summaryFile) {
    // npm runs scripts from the package root: a relative FILE means relative to where npm was typed.
    process.env.GRADER_SUMMARY_FILE = path.resolve(process.env.INIT_CWD ?? process.cwd(), args.summaryFile);
  }
  const selection = args.exercises.length ? ['--testPathPatterns', specPathPattern(args.exercises)] : [];
  await run([...selection, ...args.jestArgs]);
}

main().catch((error: Error) => {
  console.error(`npm test: ${error.message}`);
  process.exitCode = 2;
});
