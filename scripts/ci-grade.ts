/**
 * `npm run ci-grade`: grades student/ the way CI does on a pull request, and works the same locally.
 *
 *   npm run ci-grade -- [EXERCISE...] [--target DIR] [--out DIR] [--summary FILE]
 *                       [--min-score N|N%] [--allow-failing] [--annotations] [--hidden] [--name NAME]
 *
 * Writes DIR/result.json (the SubmissionResult), DIR/junit.xml and DIR/summary.md (default DIR:
 * grades/); appends the Markdown summary to $GITHUB_STEP_SUMMARY and score, max and passed to
 * $GITHUB_OUTPUT when they are set; prints GitHub annotations on the student's files when running on
 * GitHub Actions (or with --annotations). Exit status: 0 when the policy (grader/ci/policy.ts) is
 * met, 1 when not, 2 when grading itself went wrong.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { gradeFolder } from '../grader/ci/grade-folder';
import { goOnIsolated } from '../grader/isolate-self';
import { judge, parseMinScore, policyFromEnv, type Policy } from '../grader/ci/policy';
import { parseExerciseIds } from '../grader/cli/exercises';
import { exerciseAnnotations, workflowCommand } from '../grader/report/annotations';
import { junitXml } from '../grader/report/junit';
import { summaryMarkdown } from '../grader/report/summary';
import { findProgram } from '../specs/harness/program';
import { totals, type SubmissionResult } from '../specs/harness/results';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    target: { type: 'string', default: process.env.GRADER_TARGET ?? 'student' },
    exercise: { type: 'string', multiple: true, default: [] },
    out: { type: 'string', default: 'grades' },
    summary: { type: 'string' },
    'min-score': { type: 'string' },
    'allow-failing': { type: 'boolean' },
    annotations: { type: 'boolean', default: process.env.GITHUB_ACTIONS === 'true' },
    hidden: { type: 'boolean', default: false },
    name: { type: 'string' },
  },
});

async function main(): Promise<void> {
  if (!(await goOnIsolated())) return;
  const target = path.resolve(values.target);
  const exercises = parseExerciseIds([...values.exercise, ...positionals]);
  const policy: Policy = policyFromEnv(process.env);
  if (values['min-score'] !== undefined) policy.minScore = parseMinScore(values['min-score']);
  if (values['allow-failing']) policy.failOnFailingCheck = false;

  const started = Date.now();
  const graded = await gradeFolder({ target, exercises, hidden: values.hidden });
  const result: SubmissionResult = {
    name: values.name ?? submissionName(target),
    ...totals(graded),
    exercises: graded,
    gradedAt: new Date().toISOString(),
    durationMs: Date.now() - started,
  };
  const verdict = judge(result.exercises, result.score, result.max, policy);
  const summary = summaryMarkdown(result, { verdict: verdict.lines });

  mkdirSync(values.out, { recursive: true });
  writeFileSync(path.join(values.out, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(path.join(values.out, 'junit.xml'), junitXml(result));
  writeFileSync(path.join(values.out, 'summary.md'), summary);
  if (values.summary) writeFileSync(values.summary, summary);
  if (process.env.GITHUB_STEP_SUMMARY) appendFileSync(process.env.GITHUB_STEP_SUMMARY, summary);
  if (process.env.GITHUB_OUTPUT) appendFileSync(process.env.GITHUB_OUTPUT, `score=${result.score}\nmax=${result.max}\npassed=${verdict.passed}\n`);

  if (values.annotations) {
    const workspace = process.env.GITHUB_WORKSPACE ?? process.cwd();
    for (const annotation of exerciseAnnotations(result.exercises, (id) => studentFile(target, id, workspace))) console.log(workflowCommand(annotation));
  }
  console.log(`\n${verdict.lines.join('\n')}\nci-grade: ${result.score} / ${result.max} points, ${verdict.passed ? 'passed' : 'FAILED'}; grade files in ${values.out}/`);
  process.exitCode = verdict.passed ? 0 : 1;
  const errors = result.exercises.flatMap((e) => e.checks).filter((c) => c.status === 'error').length;
  if (errors) {
    // Not the student's failure: the grading itself went wrong (see specs/harness/grader-error.ts).
    console.log(`ci-grade: the grader failed on ${errors} check${errors === 1 ? '' : 's'} (not your program): run it again`);
    process.exitCode = 2;
  }
}

/** The student's file for an exercise, relative to the repository root, as annotations need it. */
function studentFile(target: string, exercise: string, workspace: string): string | undefined {
  try {
    const program = findProgram(exercise, target);
    if (!program.attempted) return undefined;
    return path.relative(workspace, path.join(target, program.language === 'manifest' ? 'run.json' : program.source));
  } catch {
    return path.relative(workspace, path.join(target, 'run.json'));
  }
}

/** `fixtures/submissions/partial/student` → "partial"; on GitHub, the repository's name. */
function submissionName(target: string): string {
  const repository = process.env.GITHUB_REPOSITORY?.split('/')[1];
  if (repository) return repository;
  return path.basename(target) === 'student' ? path.basename(path.dirname(target)) : path.basename(target);
}

main().catch((error: Error) => {
  console.error(`ci-grade: ${error.stack ?? error.message}`);
  process.exitCode = 2;
});
