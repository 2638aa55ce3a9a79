/**
 * `npm run gradescope:zip [-- FILE]`: the autograder zip to upload to Gradescope (default
 * gradescope-autograder.zip where the command was typed). See docs/grading.md#gradescope.
 */
import path from 'node:path';
import { buildGradescopeZip } from '../grader/gradescope-zip';
import { REPO_ROOT } from '../specs/harness/repo';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.length > 1 || args[0]?.startsWith('-')) {
    process.stderr.write('Usage: npm run gradescope:zip [-- FILE]   (default: gradescope-autograder.zip)\n');
    process.exit(2);
  }
  const file = path.resolve(process.env.INIT_CWD ?? process.cwd(), args[0] ?? 'gradescope-autograder.zip');
  const { files, bytes } = await buildGradescopeZip(REPO_ROOT, file);
  process.stdout.write(`${file}: ${files} files, ${(bytes / 1024).toFixed(0)} KiB; upload it as the autograder of a Gradescope programming assignment (Ubuntu base image)\n`);
}

main().catch((error: Error) => {
  process.stderr.write(`gradescope:zip: ${error.message}\n`);
  process.exit(1);
});
