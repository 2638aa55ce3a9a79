/**
 * `npm run bench:load`: does grading give the same verdicts when the machine is busy?
 *
 * Grades N copies of each good sample with `--jobs N` for every N asked (default 1, 4, 8), first on a
 * quiet machine, then beside K CPU-burning processes; prints per run the wall time, the CPU time of
 * the grading process tree and the number of checks whose verdict (status) differs from the quiet
 * N = 1 run, the baseline. Exit code 1 when any verdict differs or a run fails. See docs/performance.md.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { CheckResult, SubmissionResult } from '../specs/harness/results';
import { interrupted, runGrade, startBurners, stopBurners, burnersRunning } from './measured-grade';
import { REPO_ROOT } from '../specs/harness/repo';

const SHOWN_PER_RUN = 5;

interface Options {
  ns: number[];
  burners: number;
  samples: string[];
  exercises: string[];
  keep: boolean;
  markdown?: string;
}

interface Difference {
  submission: string;
  check: string;
  detail: string;
}

interface Run {
  load: string;
  n: number;
  submissions: number;
  wallMs: number;
  cpuMs: number;
  differences: Difference[];
  failure?: string;
}

type Verdicts = Map<string, CheckResult>; // "exercise/check" → that check's result

class UsageError extends Error {}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      n: { type: 'string', default: '1,4,8' },
      burners: { type: 'string', default: '2' },
      samples: { type: 'string', default: 'good-python,good-typescript' },
      exercise: { type: 'string', multiple: true, default: [] },
      keep: { type: 'boolean', default: false },
      markdown: { type: 'string' },
    },
  });
  const whole = (name: string, text: string, min: number) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name}: "${text}" is not a whole number >= ${min}`);
    return n;
  };
  const ns = [...new Set(values.n.split(',').map((t) => whole('n', t.trim(), 1)))].sort((a, b) => a - b);
  const samples = values.samples.split(',').map((s) => s.trim()).filter(Boolean);
  for (const sample of samples) {
    if (!existsSync(path.join(REPO_ROOT, 'fixtures', 'submissions', sample, 'student'))) throw new UsageError(`--samples: no fixtures/submissions/${sample}/student`);
  }
  return { ns, burners: whole('burners', values.burners, 0), samples, exercises: values.exercise, keep: values.keep, markdown: values.markdown };
}

const firstLine = (text: string | undefined) => (text ?? '').trim().split('\n')[0].slice(0, 160);
const sampleOf = (name: string) => name.replace(/-\d+$/, '');

function verdictsOf(result: SubmissionResult): Verdicts {
  return new Map(result.exercises.flatMap((e) => e.checks.map((c) => [`${e.id}/${c.id}`, c] as const)));
}

/**
 * Every check of every copy against the baseline's verdict for its sample. A submission missing
 * from grades.json, or carrying an `error` (not graded completely), is one difference more.
 */
function compare(baseline: Map<string, Verdicts>, names: string[], results: SubmissionResult[]): Difference[] {
  const byName = new Map(results.map((r) => [r.name, r]));
  const differences: Difference[] = [];
  for (const name of names) {
    const result = byName.get(name);
    if (!result) {
      differences.push({ submission: name, check: '-', detail: 'missing from grades.json' });
      continue;
    }
    if (result.error) differences.push({ submission: name, check: '-', detail: `error: ${firstLine(result.error)}` });
    const expected = baseline.get(sampleOf(name)) ?? new Map<string, CheckResult>();
    const got = verdictsOf(result);
    for (const key of new Set([...expected.keys(), ...got.keys()])) {
      const before = expected.get(key)?.status ?? 'absent';
      const now = got.get(key);
      if (before !== (now?.status ?? 'absent')) {
        differences.push({ submission: name, check: key, detail: `${before} → ${now?.status ?? 'absent'}${now?.message ? `: ${firstLine(now.message)}` : ''}` });
      }
    }
  }
  return differences;
}

function copies(root: string, samples: string[], n: number): { dir: string; names: string[] } {
  const dir = path.join(root, `submissions-${n}`);
  const names = samples.flatMap((sample) => Array.from({ length: n }, (_, i) => `${sample}-${i + 1}`));
  if (!existsSync(dir)) {
    for (const name of names) cpSync(path.join(REPO_ROOT, 'fixtures', 'submissions', sampleOf(name), 'student'), path.join(dir, name, 'student'), { recursive: true });
  }
  return { dir, names };
}

function readResults(out: string): SubmissionResult[] {
  const file = path.join(out, 'grades.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { submissions: SubmissionResult[] }).submissions : [];
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function table(runs: Run[]): string {
  const lines = [
    '| load | N (--jobs) | submissions | wall | wall / submission | CPU of grade tree | differences vs quiet N = 1 |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of runs) {
    const cpu = `${seconds(r.cpuMs)} (${(r.cpuMs / r.wallMs).toFixed(2)} cores)`;
    const diffs = `${r.differences.length}${r.failure ? ` (grade failed: ${r.failure})` : ''}`;
    lines.push(`| ${r.load} | ${r.n} | ${r.submissions} | ${seconds(r.wallMs)} | ${seconds(r.wallMs / r.submissions)} | ${cpu} | ${diffs} |`);
  }
  return lines.join('\n');
}

function differenceList(runs: Run[]): string {
  const lines: string[] = [];
  for (const r of runs.filter((run) => run.differences.length)) {
    lines.push(`- ${r.load}, N = ${r.n}: ${r.differences.length} difference(s)${r.differences.length > SHOWN_PER_RUN ? `, first ${SHOWN_PER_RUN}` : ''}`);
    for (const d of r.differences.slice(0, SHOWN_PER_RUN)) lines.push(`  - ${d.submission} ${d.check}: ${d.detail}`);
  }
  return lines.join('\n');
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const unsafe = process.env.BENCH_UNSAFE === '1';
  const root = mkdtempSync(path.join(tmpdir(), 'bench-load-'));
  process.on('exit', () => (options.keep ? process.stdout.write(`kept: ${root}\n`) : rmSync(root, { recursive: true, force: true })));

  const say = (line: string) => process.stdout.write(`${line}\n`);
  say(`${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), node ${process.version}; samples ${options.samples.join(', ')}; ${options.exercises.length ? `exercise ${options.exercises.join(', ')}` : 'every exercise'}, hidden checks included`);
  if (process.env.GRADER_SANDBOX) say(`GRADER_SANDBOX=${process.env.GRADER_SANDBOX} (passed on to grade)`);
  if (unsafe) say('BENCH_UNSAFE=1: passing --unsafe to grade (it grades even without kernel isolation)');

  const loads = [{ name: 'quiet', burners: 0 }, ...(options.burners > 0 ? [{ name: `${options.burners} burners`, burners: options.burners }] : [])];
  const plan = loads.flatMap((load) => (load.burners ? options.ns : [...new Set([1, ...options.ns])]).map((n) => ({ load, n })));
  const runs: Run[] = [];
  const baseline = new Map<string, Verdicts>();
  let isolationLine: string | undefined;

  for (const { load, n } of plan) {
    if (interrupted()) break;
    if (load.burners && !burnersRunning()) startBurners(load.burners);
    const { dir, names } = copies(root, options.samples, n);
    const out = path.join(root, `out-${load.name.replace(/\W+/g, '-')}-${n}`);
    const args = [dir, '--jobs', String(n), '--force', '--hidden', '--out', out, ...options.exercises.flatMap((e) => ['--exercise', e]), ...(unsafe ? ['--unsafe'] : [])];
    const outcome = await runGrade(args);
    if (/refusing to run/.test(outcome.stderr)) {
      process.stderr.write(`${outcome.stderr.trim()}\nbench: grade refuses without kernel isolation; set BENCH_UNSAFE=1 to pass --unsafe (in a disposable machine only)\n`);
      return 2;
    }
    if (!isolationLine) {
      isolationLine = outcome.stdout.split('\n').find((l) => l.startsWith('isolation:'));
      if (isolationLine) say(`grade reported ${isolationLine}`);
    }
    for (const line of outcome.stderr.split('\n').filter((l) => l.startsWith('bench:'))) say(line);

    const results = readResults(out);
    if (!runs.length) for (const r of results) baseline.set(sampleOf(r.name), verdictsOf(r));
    const failure = outcome.code === 0 ? undefined : `exit ${outcome.code}: ${firstLine(outcome.stderr.trim().split('\n').at(-1))}`;
    const run: Run = { load: load.name, n, submissions: names.length, wallMs: outcome.wallMs, cpuMs: outcome.cpuMs, differences: compare(baseline, names, results), failure };
    runs.push(run);
    say(`${load.name}, N = ${n}: ${names.length} submissions, ${seconds(run.wallMs)}, ${run.differences.length} difference(s)${failure ? `, grade ${failure}` : ''}`);
  }
  await stopBurners();

  const checks = [...baseline.values()].flatMap((v) => [...v.values()]);
  const notPassed = checks.filter((c) => c.status !== 'passed').length;
  const markdown = [
    `${availableParallelism()} cores, node ${process.version}, ${new Date().toISOString().slice(0, 10)}; ${options.exercises.length ? options.exercises.join(', ') : 'every exercise'}, hidden checks; ${isolationLine ?? 'isolation: not reported'}`,
    '',
    table(runs),
    '',
    `Baseline (quiet, N = 1): ${checks.length} checks over ${baseline.size} sample(s), ${notPassed ? `${notPassed} not passed` : 'all passed'}. ` +
      'A difference is a check whose status differs from the baseline\'s for the same sample; a submission with an `error` (or missing) counts as one more.',
    ...(runs.some((r) => r.differences.length) ? ['', differenceList(runs)] : []),
  ].join('\n');
  say(`\n${markdown}`);
  // npm run changes into the repository; INIT_CWD is where the command was typed.
  if (options.markdown) writeFileSync(path.resolve(process.env.INIT_CWD ?? process.cwd(), options.markdown), `${markdown}\n`);
  if (interrupted()) return 130;
  return runs.some((r) => r.differences.length || r.failure) ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`bench:load: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
