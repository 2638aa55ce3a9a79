/**
 * `npm run selftest`: proves the grader right. One jest run with a project per target (reference,
 * each broken fixture, each sample submission), then every check's outcome is compared with what the
 * target expects. Ends with `selftest: N passed, N failed`.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runCLI } from 'jest';
import { baseProject } from '../jest.config';
import { parseExerciseIds } from '../grader/cli/exercises';
import { ensureSimilarityTool } from '../grader/similarity';
import { isStudentFailure } from '../specs/harness/grader-error';
import { CHECKS_AT_ONCE_ENV, exerciseIds } from '../specs/harness/exercise-list';
import { stripAnsi, testsByExercise } from '../specs/harness/results';
import { beginRun } from '../specs/harness/run-temp';
import { sandboxSupport } from '../specs/harness/sandbox';
import { checksRunFrom } from '../specs/harness/declarations';
import { REQUIRED_CHECK_FAILED } from '../specs/harness/exercise';
import { LOAD_FAILURE_TITLE, matchCheck } from '../specs/harness/titles';
import { planTargets, WORK, type Expectation, type Target } from './selftest-plan';
import { REPO_ROOT } from '../specs/harness/repo';

const RUN_ID = randomUUID();

interface Outcome {
  ok: boolean;
  /** Passed, but worth saying (a check this machine cannot run). */
  note?: boolean;
  what: string;
  detail?: string;
}

async function main(): Promise<void> {
  const { only, exercises } = parseArgs(process.argv.slice(2));
  const outcomes: Outcome[] = [];
  const started = Date.now();

  beginRun();
  pruneStaleJestCaches();
  const everything = only.length === 0 && exercises.length === 0;
  if (everything) outcomes.push(typecheck());

  // Every program the harness starts inherits this marker, which is how leftovers are found.
  process.env.GRADER_RUN_ID = RUN_ID;
  // Detected here, once: what the jail needs for the whole run (unshare-jail.ts) then belongs to this process.
  sandboxSupport();
  const targets = planTargets()
    .filter((t) => only.length === 0 || only.some((o) => t.name.includes(o)))
    .map((t) => (exercises.length ? { ...t, exercises: Object.fromEntries(Object.entries(t.exercises).filter(([id]) => exercises.includes(id))) } : t))
    .filter((t) => Object.keys(t.exercises).length > 0);
  if (targets.length === 0) throw new UsageError(`nothing to run: no target matches ${[...only, ...exercises.map((id) => `--exercise ${id}`)].join(' ')}`);
  // jest names a project's caches after its config file's path and index, both new in every run: every
  // run compiled every file again for each project and left its caches behind (~1.3 MB each). The spec
  // projects see the same files (they differ only in what they grade), so they share one name.
  const projects = targets.map((target, index) => ({
    ...baseProject,
    id: 'selftest-specs',
    rootDir: REPO_ROOT,
    displayName: { name: `${index}`, color: 'white' as const },
    testMatch: Object.keys(target.exercises).map((id) => `<rootDir>/specs/${id}.spec.ts`),
    globals: { GRADER_TARGET: target.dir, GRADER_HIDDEN: true, [CHECKS_AT_ONCE_ENV]: SELFTEST_CHECKS_AT_ONCE },
  }));
  // The project's own unit and integration tests (tests/**/*.test.ts) run in the same jest run.
  const unit = everything && existsSync(path.join(REPO_ROOT, 'tests'))
    ? [{ ...baseProject, id: 'selftest-tests', rootDir: REPO_ROOT, roots: ['<rootDir>/tests'], displayName: { name: 'tests', color: 'white' as const }, testMatch: ['<rootDir>/tests/**/*.test.ts'] }]
    : [];
  // tests/similarity.test.ts runs Dolos, which `npm ci` does not install (students never need it).
  if (unit.length) ensureSimilarityTool((line) => process.stdout.write(`selftest: ${line}\n`));
  mkdirSync(WORK, { recursive: true });
  const configFile = path.join(WORK, 'jest.config.json');
  writeFileSync(configFile, JSON.stringify({ rootDir: REPO_ROOT, projects: [...projects, ...unit], maxWorkers: 4, reporters: [path.join(__dirname, 'selftest-progress.ts')] }));
  const { results } = await runCLI({ $0: 'selftest', _: [], config: configFile, silent: true } as never, [REPO_ROOT]);

  // Each target's tests by exercise, with the file that held them.
  const byTarget = targets.map((target, index) => {
    const found = new Map<string, { file: FileResult; tests: Tests }>();
    for (const file of results.testResults.filter((r) => r.displayName?.name === `${index}`)) {
      for (const [id, tests] of testsByExercise(file, Object.keys(target.exercises))) found.set(id, { file, tests });
    }
    return found;
  });
  for (const [index, target] of targets.entries()) {
    for (const [id, expectation] of Object.entries(target.exercises)) outcomes.push(...judge(target, id, expectation, byTarget[index].get(id)?.file, byTarget[index].get(id)?.tests));
  }
  const reference = targets.findIndex((t) => t.name === 'reference');
  if (reference >= 0 && only.length === 0) outcomes.push(...everyCheckCanFail(targets, byTarget[reference]));
  for (const file of results.testResults.filter((r) => r.displayName?.name === 'tests')) outcomes.push(...unitOutcomes(file));
  outcomes.push(noLeftoverProcesses());
  rmSync(WORK, { recursive: true, force: true });

  for (const outcome of outcomes.filter((o) => o.note)) console.log(`! ${outcome.what}`);
  const failed = outcomes.filter((o) => !o.ok);
  for (const outcome of failed) console.log(`\n✗ ${outcome.what}${outcome.detail ? `\n${outcome.detail}` : ''}`);
  console.log(`\nselftest: ${targets.length} targets, ${((Date.now() - started) / 1000).toFixed(1)} s; the longest files: ${longestFiles(results.testResults, targets)}`);
  console.log(`selftest: ${outcomes.length - failed.length} passed, ${failed.length} failed`);
  process.exitCode = failed.length ? 1 : 0;
}

/**
 * `selftest [NAME...] [--exercise ID]...`: NAME keeps the targets whose name contains it (reference,
 * broken/ID/FILE, submission/NAME); --exercise keeps only those exercises of every target. Either
 * leaves out the typecheck and the grader's own tests.
 */
function parseArgs(args: string[]): { only: string[]; exercises: string[] } {
  const only: string[] = [];
  const asked: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] !== '--exercise') only.push(args[i]);
    else if (args[i + 1]) asked.push(args[++i]);
    else throw new UsageError(`--exercise needs an exercise id: one of ${exerciseIds().join(', ')}`);
  }
  try {
    return { only, exercises: parseExerciseIds(asked) };
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

type FileResult = Awaited<ReturnType<typeof runCLI>>['results']['testResults'][number];
type Tests = FileResult['testResults'];
/** As many as jest's test.concurrent ran before (its default): the selftest keeps 4 jest workers busy at once, and is CPU-bound. */
const SELFTEST_CHECKS_AT_ONCE = 5;

function judge(target: Target, id: string, expectation: Expectation, file: FileResult | undefined, tests: Tests | undefined): Outcome[] {
  const where = `${target.name} · ${id}`;
  if (!file || !tests) return [{ ok: false, what: `${where}: the spec did not run` }];
  if (file.testExecError) return [{ ok: false, what: `${where}: the spec crashed`, detail: file.testExecError.message }];
  const loadFailure = tests.find((r) => r.title === LOAD_FAILURE_TITLE);
  if (loadFailure) return [{ ok: false, what: `${where}: the spec could not be loaded`, detail: loadFailure.failureMessages.join('\n') }];
  const declared = checksRunFrom(file.testFilePath, id);
  if (!Array.isArray(declared)) return [{ ok: false, what: `${where}: the checks' declarations could not be read`, detail: declared.message }];
  const checks = tests.map((r) => ({ ...matchCheck(r.title, declared), result: r }));
  const unnamed = checks.filter((c) => !c.meta);
  if (unnamed.length) return [{ ok: false, what: `${where}: tests not named as checks: ${unnamed.map((c) => c.result.title).join('; ')}` }];
  if (expectation === 'not-attempted') {
    const ran = checks.filter((c) => c.result.status !== 'pending');
    return [{ ok: ran.length === 0, what: `${where}: reported as not attempted`, detail: ran.length ? `${ran.length} checks ran` : undefined }];
  }
  const mustFail = new Set(expectation === 'pass' ? [] : expectation);
  const outcomes: Outcome[] = [...mustFail]
    .filter((label) => !checks.some((c) => c.meta!.id === label))
    .map((label) => ({ ok: false, what: `${where}: labelled to fail "${label}", but the spec has no such check` }));
  for (const check of checks) {
    const { meta, result } = check;
    const skipped = check.notRun?.why === 'skipped' ? check.notRun.reason : undefined;
    if (result.status === 'pending' && skipped) {
      outcomes.push({ ok: true, what: `${where}: ${meta!.id} skipped on this machine: ${skipped}`, note: true });
      continue;
    }
    const shouldFail = mustFail.has(meta!.id);
    // A grading error (the grader's own failure, jest's timeout) is never the failure a label asks for.
    const status = result.status === 'failed' && !isStudentFailure(result.failureMessages.map(stripAnsi)) ? 'errored (a grading error, not the program\'s failure)' : result.status;
    const failed = status === 'failed';
    if (failed && shouldFail && !result.failureMessages.some((m) => stripAnsi(m).includes(REQUIRED_CHECK_FAILED))) {
      (failedOnTheirOwn.get(id) ?? failedOnTheirOwn.set(id, new Set()).get(id)!).add(meta!.id);
    }
    const ok = result.status !== 'pending' && failed === shouldFail && (failed || status === 'passed');
    outcomes.push({
      ok,
      what: `${where}: ${meta!.id} should ${shouldFail ? 'fail' : 'pass'}, it ${status}`,
      detail: !ok && result.status === 'failed' ? indent(result.failureMessages.join('\n')) : undefined,
    });
  }
  return outcomes;
}

/**
 * Per exercise, the checks a labelled broken program failed by the check's own judgement (not only
 * because a check it requires failed first): what proves that a check can fail.
 */
const failedOnTheirOwn = new Map<string, Set<string>>();

/**
 * A check that no broken fixture is labelled to fail, and fails on its own, is a check nobody has
 * shown can fail.
 */
function everyCheckCanFail(targets: Target[], reference: Map<string, { file: FileResult; tests: Tests }>): Outcome[] {
  const labelled = new Map<string, Set<string>>();
  for (const target of targets.filter((t) => t.name.startsWith('broken/'))) {
    for (const [id, expectation] of Object.entries(target.exercises)) {
      if (Array.isArray(expectation)) for (const label of expectation) (labelled.get(id) ?? labelled.set(id, new Set()).get(id)!).add(label);
    }
  }
  return [...reference].map(([id, { file, tests }]) => {
    const declared = checksRunFrom(file.testFilePath, id);
    const checks = Array.isArray(declared) ? tests.map((r) => matchCheck(r.title, declared)?.meta.id).filter((c): c is string => Boolean(c)) : [];
    const unproven = checks.filter((check) => !labelled.get(id)?.has(check) || !failedOnTheirOwn.get(id)?.has(check));
    return {
      ok: unproven.length === 0,
      what: `${id}: every check is failed by a labelled program in fixtures/broken/${id}/`,
      detail: unproven.length ? `    no broken program fails: ${unproven.join(', ')}` : undefined,
    };
  });
}

function unitOutcomes(file: FileResult): Outcome[] {
  const where = path.relative(REPO_ROOT, file.testFilePath);
  if (file.testExecError) return [{ ok: false, what: `${where}: crashed`, detail: file.testExecError.message }];
  // A test skipped on purpose (its title says why: the Slurm test without Slurm) is said, not failed.
  return file.testResults.map((r) => ({
    ok: r.status === 'passed' || r.status === 'pending',
    what: `${where}: ${r.fullName} ${r.status === 'pending' ? 'skipped' : r.status}`,
    ...(r.status === 'pending' ? { note: true } : {}),
    detail: r.status === 'failed' ? indent(r.failureMessages.join('\n')) : undefined,
  }));
}

function typecheck(): Outcome {
  try {
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '--noEmit', '-p', REPO_ROOT], { stdio: 'pipe' });
    return { ok: true, what: 'typecheck' };
  } catch (error) {
    return { ok: false, what: 'typecheck: tsc found errors', detail: String((error as { stdout?: Buffer }).stdout ?? error) };
  }
}

/** Any process other than this one that still carries this run's marker is a leak. */
function noLeftoverProcesses(): Outcome {
  if (process.platform !== 'linux') return { ok: true, what: 'no leftover processes (not checked off Linux)' };
  const leftovers: string[] = [];
  const marker = `GRADER_RUN_ID=${RUN_ID}`;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid)) {
    try {
      if (!readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(marker)) continue;
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0/g, ' ').trim();
      if (!cmdline.includes('jest-worker')) leftovers.push(`${pid} ${cmdline}`); // jest's own workers may still be exiting

    } catch {
      continue; // gone meanwhile
    }
  }
  return { ok: leftovers.length === 0, what: 'no student or reference process survives the run', detail: leftovers.join('\n') || undefined };
}

const WEEK_MS = 7 * 24 * 3600 * 1000;

/**
 * jest never removes its caches. Earlier versions of this selftest left a haste map and a transform
 * cache behind per project and run (about 190 MB a run); whatever no run has written to for a week goes.
 */
function pruneStaleJestCaches(now = Date.now()): void {
  const dir = baseProject.cacheDirectory;
  const newest = (entry: string): number => {
    const stat = statSync(entry);
    if (!stat.isDirectory()) return stat.mtimeMs;
    return Math.max(stat.mtimeMs, ...readdirSync(entry).map((name) => statSync(path.join(entry, name)).mtimeMs));
  };
  for (const name of existsSync(dir) ? readdirSync(dir) : []) {
    if (!/^(haste-map|jest-transform-cache|perf-cache)-/.test(name)) continue;
    try {
      if (now - newest(path.join(dir, name)) > WEEK_MS) rmSync(path.join(dir, name), { recursive: true, force: true });
    } catch {
      // another run removed or is writing it: left as it is
    }
  }
}

/** The files that took longest, with the target each graded: where a faster selftest starts. */
function longestFiles(files: FileResult[], targets: Target[], count = 5): string {
  const seconds = (file: FileResult) => (file.perfStats.end - file.perfStats.start) / 1000;
  const name = (file: FileResult) => {
    const target = targets[Number(file.displayName?.name)];
    return `${path.relative(REPO_ROOT, file.testFilePath)}${target ? ` (${target.name})` : ''}`;
  };
  return [...files].sort((a, b) => seconds(b) - seconds(a)).slice(0, count).map((file) => `${name(file)} ${seconds(file).toFixed(0)} s`).join(', ');
}

function indent(text: string): string {
  return text.replace(/^/gm, '    ');
}

class UsageError extends Error {}

main().catch((error) => {
  console.error(error instanceof UsageError ? `selftest: ${error.message}` : error);
  console.log('selftest: 0 passed, 1 failed');
  process.exitCode = 1;
});
