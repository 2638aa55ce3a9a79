/**
 * `npm run grade -- [SUBMISSIONS] [options]`: grades a folder of submissions (the TA's main job) and
 * writes grades.json, grades.csv, report.html, and per submission feedback.md, junit.xml and
 * Gradescope's results.json. `npm run grade -- merge DIR...` combines sharded runs; `diff OLD NEW`
 * says what changed between two runs. See --help and
 * docs/grading.md.
 */
import path from 'node:path';
import { parseCommand, specIds, usage, UsageError, type GradeCommand } from './grader/cli/grade-args';
import { captureSupport } from './grader/capture';
import { gradeAll } from './grader/grade-run';
import { detectIsolation } from './grader/isolation';
import { DEFAULT_SUBMISSION_LIMITS } from './grader/submission-limits';
import { kubernetesYaml } from './grader/kubernetes-job';
import { mergeOutputs } from './grader/merge';
import { submitSlurm } from './grader/slurm';
import { DIFF_FILES, diffRuns } from './grader/regrade-diff';
import { flaggedPairs } from './grader/report/similarity';
import { analyseSimilarity, ensureSimilarityTool } from './grader/similarity';
import { OutputDir } from './grader/store';
import type { SubmissionResult } from './specs/harness/results';
import { chooseProgress } from './grader/progress';
import { beginRun } from './specs/harness/run-temp';
import { findSubmissions, selectShard, singleSubmission, type Submission } from './grader/submissions';
import { REPO_ROOT } from './specs/harness/repo';

const say = (line: string) => process.stdout.write(`${line}\n`);
const shown = (dir: string) => {
  const relative = path.relative(process.env.INIT_CWD ?? process.cwd(), dir);
  return relative === '' ? '.' : relative.startsWith('..') ? dir : relative;
};

async function grade(command: GradeCommand): Promise<number> {
  beginRun();
  const isolation = detectIsolation();
  if (!isolation.active && !command.unsafe) {
    process.stderr.write(
      `grade: refusing to run student programs without kernel isolation: this machine offers only ${isolation.protections.join(', ')}.\n` +
        (isolation.reason ? `  why: ${isolation.reason}\n` : '') +
        'A submission could then reach the network, other processes and your files. What gives isolation:\n' +
        '  - Linux with user namespaces (any distribution: util-linux is enough; bubblewrap is used if installed);\n' +
        '  - Ubuntu 23.10+: sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or grade with sudo;\n' +
        '  - Docker: --security-opt seccomp=unconfined (or --privileged); macOS/Windows: a Linux VM;\n' +
        '  see docs/sandbox.md. Inside a disposable container or VM, --unsafe grades anyway.\n',
    );
    return 2;
  }
  // Before grading, so that a machine that cannot install it says so at once.
  if (command.similarity) ensureSimilarityTool(say);
  const found = command.single ? { submissions: [singleSubmission(command.source, command.name)], ignored: [] } : findSubmissions(command.source);
  // An output folder inside the submissions folder is not a submission.
  const submissions = selectShard(found.submissions.filter((s) => path.resolve(s.path) !== command.out), command.shard);
  if (found.ignored.length) say(`not submissions, ignored: ${found.ignored.join(', ')}`);
  say(`isolation: ${isolation.active ? '' : 'NOT ACTIVE (--unsafe); '}${isolation.protections.join(', ')}`);
  const capture = command.capture ? await captureSupport(isolation) : undefined;
  if (capture) say(capture.ok ? 'capture: each failing check\'s packets go to submissions/NAME/captures/ (pcap, for Wireshark)' : `capture: not possible here, grading without it: ${capture.reason}`);
  say(
    `grading ${command.exercises.length ? command.exercises.join(', ') : 'every exercise'}${command.hidden ? ' with hidden checks' : ' (visible checks only: add --hidden for final grades)'}` +
      `${command.shard ? `, shard ${command.shard.index}/${command.shard.count}: ${submissions.length} of ${found.submissions.length} submissions` : ''}, ${command.jobs} at a time`,
  );

  const controller = new AbortController();
  const interrupt = () => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write('\ninterrupted: stopping the submissions being graded; finished results are kept (Ctrl-C again to quit at once)\n');
    controller.abort();
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);

  const started = Date.now();
  const summary = await gradeAll({
    submissions,
    out: command.out,
    exercises: command.exercises,
    hidden: command.hidden,
    jobs: command.jobs,
    workers: command.workers,
    force: command.force,
    timeoutMs: command.timeoutMs,
    limits: DEFAULT_SUBMISSION_LIMITS,
    isolation,
    progress: chooseProgress(),
    signal: controller.signal,
    capture: capture?.ok,
  }).catch((error: Error) => {
    if (controller.signal.aborted) return undefined; // Ctrl-C while the specs were being read
    throw error;
  });
  if (!summary) {
    say('interrupted before any submission was graded');
    return 130;
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  say(
    `${summary.interrupted ? 'interrupted: ' : ''}${summary.graded} graded, ${summary.unchanged} unchanged (not regraded), ${summary.errors} could not be graded completely` +
      `${summary.interrupted ? `, ${submissions.length - summary.results.length} left for the next run` : ''}; ${seconds} s`,
  );
  say(`results: ${shown(command.out)}/ (report.html, grades.csv, grades.json, submissions/NAME/feedback.md, gradescope/, prairielearn/)`);
  if (summary.interrupted) return 130;
  if (command.similarity) await similarity(command, submissions, summary.results, controller.signal);
  return controller.signal.aborted ? 130 : 0;
}

async function similarity(command: GradeCommand, submissions: Submission[], results: SubmissionResult[], signal: AbortSignal): Promise<void> {
  say(`similarity: comparing the programs of ${submissions.length} submissions (Dolos)`);
  const started = Date.now();
  const report = await analyseSimilarity({ submissions, exercises: command.exercises.length ? command.exercises : specIds(REPO_ROOT), limits: DEFAULT_SUBMISSION_LIMITS, signal });
  const out = new OutputDir(command.out);
  out.saveSimilarity(report);
  out.saveSummary(results);
  const flagged = flaggedPairs(report);
  say(`similarity: ${flagged.length} pairs at ${Math.round(report.flagAt * 100)} % or more (${((Date.now() - started) / 1000).toFixed(1)} s)${flagged.length ? ':' : ''}`);
  for (const line of flagged.slice(0, 10)) say(`  ${line}`);
  if (flagged.length > 10) say(`  ... and ${flagged.length - 10} more`);
  say(`similarity: ${shown(command.out)}/report.html#similarity (shared fragments side by side), similarity.csv, similarity.json`);
}

async function main(): Promise<number> {
  const command = parseCommand(process.argv.slice(2), REPO_ROOT);
  if (command.command === 'help') {
    say(usage());
    return 0;
  }
  if (command.command === 'merge') {
    const merged = mergeOutputs(command.dirs, command.out);
    if (merged.duplicates.length) say(`in more than one folder (kept the latest): ${merged.duplicates.join(', ')}`);
    say(`merged ${merged.submissions} submissions from ${command.dirs.length} folders into ${shown(command.out)}/`);
    return 0;
  }
  if (command.command === 'slurm') {
    for (const line of submitSlurm(command.options).lines) say(line);
    return 0;
  }
  if (command.command === 'kubernetes') {
    process.stdout.write(kubernetesYaml(command.options));
    return 0;
  }
  if (command.command === 'diff') {
    process.stdout.write(diffRuns(command.before, command.after, command.out, { before: shown(command.before), after: shown(command.after) }));
    say(`written: ${DIFF_FILES.map((f) => `${shown(command.out)}/${f}`).join(', ')}`);
    return 0;
  }
  return grade(command);
}

main().then(
  (code) => process.exit(code),
  (error) => {
    if (error instanceof UsageError) {
      process.stderr.write(`grade: ${error.message}\n\n${usage()}`);
      process.exit(2);
    }
    process.stderr.write(`grade: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
