/**
 * `npm run new-exercise -- ID --kind KIND`: a new exercise, every file it needs, from the templates
 * (grader/scaffold.ts), its docs page's checks list filled in; then says what to change and how the
 * selftest holds it to the bar.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { readDeclarations } from '../specs/harness/declarations';
import { planDocs } from '../grader/docs/plan-docs';
import { exerciseKinds, scaffoldExercise, ScaffoldError } from '../grader/scaffold';
import { REPO_ROOT } from '../specs/harness/repo';

const USAGE = `usage: npm run new-exercise -- ID --kind KIND   (KIND: ${exerciseKinds(REPO_ROOT).join(', ')})`;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const kindAt = args.indexOf('--kind');
  const kind = kindAt >= 0 ? args[kindAt + 1] : undefined;
  const rest = args.filter((_, i) => i !== kindAt && i !== kindAt + 1);
  if (rest.length !== 1 || !kind || rest[0].startsWith('-')) throw new ScaffoldError(USAGE);
  const [id] = rest;
  const written = scaffoldExercise(REPO_ROOT, id, kind);
  for (const file of written) console.log(`created: ${file}${file === 'README.md' ? ' (a row in the exercise table)' : ''}`);
  const docs = planDocs(readDeclarations(), path.join(REPO_ROOT, 'docs', 'exercises'));
  for (const { file, text } of docs.outdated) if (path.basename(file) === `${id}.md`) writeFileSync(file, text);
  console.log(`
${id} passes the selftest as it is. Next:
  1. write its contract: docs/exercises/${id}.md, the README row, reference/${id}.ts;
  2. replace the first check in specs/${id}.spec.ts (npm run docs refreshes the docs' list of checks);
  3. for every check, a program in fixtures/broken/${id}/ whose first line says "# fails: CHECK-ID";
  4. the starters in student/ and the good samples in fixtures/submissions/;
  5. npm run selftest -- --exercise ${id}`);
}

main().catch((error: Error) => {
  console.error(error instanceof ScaffoldError ? `new-exercise: ${error.message}` : error);
  process.exitCode = error instanceof ScaffoldError ? 2 : 1;
});
