/**
 * `npm run bench`: how fast one submission and a class are graded, against what they must cost.
 *
 * For each sample (the good ones and a broken one): `npm run grade` of that one submission, its wall
 * time against its critical path (the longest check: checks run side by side, each bounded by the
 * waits the contract imposes), and its CPU time against what its program starts cost (the starts it
 * made times one start of python3/node in the jail). Then a batch of N copies of the good Python
 * sample with grade's default --jobs. Ratios in one run, on this machine; see docs/performance.md.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { defaultJobs } from '../grader/cli/grade-args';
import { jail, sandboxSupport } from '../specs/harness/sandbox';
import type { SubmissionResult } from '../specs/harness/results';
import { runGrade } from './measured-grade';
import { REPO_ROOT } from '../specs/harness/repo';

const START_RUNS = 15;

interface Row {
  what: string;
  submissions: number;
  wallMs: number;
  cpuMs: number;
  starts: number;
  criticalMs: number;
  startCpuMs: number;
  score: string;
  /** The first ETA printed once 10% of the submissions were done, and the time that was really left. */
  eta?: { saidMs: number; wasMs: number };
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** CPU time of one start of the program in the jail (median), by language. */
function startCost(dir: string): { python: number; node: number } {
  writeFileSync(path.join(dir, 'hello.py'), 'import socket\n');
  writeFileSync(path.join(dir, 'hello.js'), "require('node:net');\n");
  const median = (command: string, file: string) => {
    const times: number[] = [];
    for (let i = 0; i < START_RUNS; i++) {
      const jailed = jail({ command, args: [file], cwd: dir, inherited: process.env, env: {} });
      const ran = spawnSync('/usr/bin/env', ['python3', '-c', CPU_OF_CHILD, jailed.command, ...jailed.args], { cwd: dir, env: jailed.env, encoding: 'utf8' });
      times.push(Number(ran.stdout.trim()));
    }
    return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
  };
  return { python: median('python3', path.join(dir, 'hello.py')), node: median(process.execPath, path.join(dir, 'hello.js')) };
}

/** Runs a command and prints the CPU time (ms) of its whole tree, reaped as a subreaper. */
const CPU_OF_CHILD = `
import ctypes, os, resource, subprocess, sys
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
while True:
    try: os.wait()
    except ChildProcessError: break
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print((u.ru_utime + u.ru_stime) * 1000)
`;

async function gradeOnce(what: string, source: string, copies: number, work: string, cost: { python: number; node: number }, extra: string[] = []): Promise<Row> {
  const dir = path.join(work, what.replace(/\W+/g, '-'));
  for (let i = 1; i <= copies; i++) cpSync(source, path.join(dir, `${path.basename(path.dirname(source))}-${i}`, 'student'), { recursive: true });
  const out = path.join(dir + '-out');
  const startsLog = path.join(work, `${path.basename(dir)}.starts`);
  writeFileSync(startsLog, '');
  const outcome = await runGrade([dir, '--force', '--hidden', '--out', out, ...extra], { ...process.env, GRADER_COUNT_STARTS: startsLog });
  if (outcome.code !== 0) throw new Error(`grade failed (${outcome.code}): ${outcome.stderr.trim().split('\n').slice(-3).join(' / ')}`);
  const results = (JSON.parse(readFileSync(path.join(out, 'grades.json'), 'utf8')) as { submissions: SubmissionResult[] }).submissions;
  const starts = readFileSync(startsLog, 'utf8').split('\n').filter(Boolean);
  const pythonStarts = starts.filter((line) => line.includes('python')).length;
  const checks = results.flatMap((r) => r.exercises.flatMap((e) => e.checks));
  return {
    what,
    submissions: copies,
    wallMs: outcome.wallMs,
    cpuMs: outcome.cpuMs,
    starts: starts.length,
    criticalMs: Math.max(0, ...checks.map((c) => c.ms ?? 0)),
    startCpuMs: pythonStarts * cost.python + (starts.length - pythonStarts) * cost.node,
    score: results.map((r) => `${r.score}/${r.max}${r.error ? ' (error)' : ''}`).slice(0, 2).join(', ') + (results.length > 2 ? ', ...' : ''),
    eta: etaAtTenPercent(outcome.etaLines, outcome.wallMs),
  };
}

/** From grade's plain progress lines ("[ 3/30] name: ... · ETA 1m05s"). */
function etaAtTenPercent(lines: { ms: number; line: string }[], wallMs: number): Row['eta'] {
  for (const { ms, line } of lines) {
    const match = /^\[\s*(\d+)\/(\d+)\].*ETA (?:(\d+)m)?(\d+)s/.exec(line);
    if (!match || Number(match[1]) < Number(match[2]) / 10) continue;
    return { saidMs: (Number(match[3] ?? 0) * 60 + Number(match[4])) * 1000, wasMs: wallMs - ms };
  }
  return undefined;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { copies: { type: 'string', default: '6' }, markdown: { type: 'string' } } });
  const copies = Number(values.copies);
  const work = mkdtempSync(path.join(tmpdir(), 'bench-speed-'));
  try {
    const support = sandboxSupport();
    const cost = startCost(work);
    const samples = path.join(REPO_ROOT, 'fixtures', 'submissions');
    const rows: Row[] = [];
    for (const sample of ['good-python', 'good-typescript', 'partial']) {
      rows.push(await gradeOnce(sample, path.join(samples, sample, 'student'), 1, work, cost));
      process.stdout.write(`${sample}: ${s(rows.at(-1)!.wallMs)}\n`);
    }
    // One jest process for every exercise (specs/exercises.entry.ts) instead of a worker per spec file.
    rows.push(await gradeOnce('good-python, one jest process for every exercise (--workers 1)', path.join(samples, 'good-python', 'student'), 1, work, cost, ['--workers', '1']));
    process.stdout.write(`good-python with --workers 1: ${s(rows.at(-1)!.wallMs)}\n`);
    rows.push(await gradeOnce(`batch of ${copies} good-python, --jobs ${defaultJobs()} (default)`, path.join(samples, 'good-python', 'student'), copies, work, cost));
    const batch = rows.at(-1)!;
    const lines = [
      `${availableParallelism()} cores, node ${process.version}, ${new Date().toISOString().slice(0, 10)}; jail: ${support.backend ?? support.mode}; one program start in the jail: python3 ${cost.python.toFixed(0)} ms, node ${cost.node.toFixed(0)} ms of CPU; hidden checks included`,
      '',
      '| graded | wall | critical path | wall / critical path | CPU | program starts | their CPU | CPU / starts\' CPU | score |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---|',
      ...rows.map((r) => {
        const perSubmission = r.submissions > 1 ? ` (${s(r.wallMs / r.submissions)} each)` : '';
        return `| ${r.what} | ${s(r.wallMs)}${perSubmission} | ${s(r.criticalMs)} | ${(r.wallMs / r.submissions / r.criticalMs).toFixed(1)}${r.submissions > 1 ? ' per submission' : ''} | ${s(r.cpuMs)} | ${r.starts} | ${s(r.startCpuMs)} | ${(r.cpuMs / r.startCpuMs).toFixed(1)} | ${r.score} |`;
      }),
      '',
      `A class of 100 at this rate: ${((batch.wallMs / batch.submissions) * 100 / 60000).toFixed(1)} min.`,
      batch.eta
        ? `The ETA printed once 10% were done: ${s(batch.eta.saidMs)}; the time that was left: ${s(batch.eta.wasMs)} (${Math.round((100 * Math.abs(batch.eta.saidMs - batch.eta.wasMs)) / batch.eta.wasMs)}% off).`
        : 'No ETA was printed once 10% were done (too few submissions).',
    ].join('\n');
    process.stdout.write(`\n${lines}\n`);
    if (values.markdown) writeFileSync(path.resolve(process.env.INIT_CWD ?? process.cwd(), values.markdown), `${lines}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: Error) => {
  process.stderr.write(`bench: ${error.message}\n`);
  process.exit(1);
});
