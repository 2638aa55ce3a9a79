/**
 * `npm run docs`: fills the "How it is checked" list of every docs/exercises/ID.md (between
 * `<!-- checks:begin -->` and `<!-- checks:end -->`) from the specs' checks.
 * `npm run docs -- --check` changes nothing and fails when a doc is out of date or missing.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../specs/harness/repo';
import { readDeclarations } from '../specs/harness/declarations';
import { planDocs } from '../grader/docs/plan-docs';

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  const plan = planDocs(readDeclarations(), path.join(REPO_ROOT, 'docs', 'exercises'));
  const shown = (file: string) => path.relative(REPO_ROOT, file);
  for (const { file, text } of plan.outdated) {
    if (check) console.log(`out of date: ${shown(file)} (run npm run docs)`);
    else {
      writeFileSync(file, text);
      console.log(`updated: ${shown(file)}`);
    }
  }
  for (const problem of plan.problems) console.log(`problem: ${problem}`);
  const failed = plan.problems.length + (check ? plan.outdated.length : 0);
  console.log(`docs: ${plan.upToDate.length} up to date, ${plan.outdated.length} ${check ? 'out of date' : 'updated'}, ${plan.problems.length} problems`);
  process.exitCode = failed ? 1 : 0;
}

main().catch((error: Error) => {
  console.error(`docs: ${error.stack ?? error.message}`);
  process.exitCode = 2;
});
