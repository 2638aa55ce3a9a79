/**
 * `npm run bench:isolation`: what containment costs.
 *
 *  1. one start of a student program (python3, node) as it is, with resource limits only, and in
 *     each jail that works here (bubblewrap, util-linux: specs/harness/sandbox.ts), N starts each
 *     (RUNS=20), median and p90;
 *  2. the namespaces of one submission (grader/isolation.ts) around a program that exits at once, per backend;
 *  3. with --grade: `npm run grade` on fixtures/submissions with and without isolation
 *     (GRADER_SANDBOX=off --unsafe), each from scratch (--force).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { detectIsolation, wrapInNamespaces } from '../grader/isolation';
import { buildTypeScript } from '../specs/harness/program';
import { pythonExecutable } from '../specs/harness/interpreters';
import { describeSandbox, jail, sandboxSupport, workingJails, type JailBackend, type SandboxMode } from '../specs/harness/sandbox';
import { REPO_ROOT } from '../specs/harness/repo';

interface Containment {
  name: string;
  mode: SandboxMode;
  backend?: JailBackend;
}

const RUNS = Number(process.env.RUNS ?? 20);
/**
 * The same small environment in every mode, so that only the mechanism is measured: a jail passes
 * little of the grader's environment on, and variables such as NODE_OPTIONS (set by tsx) or
 * NODE_EXTRA_CA_CERTS make every unjailed node start tens of milliseconds slower.
 */
const ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' };

function measure(run: () => void): number[] {
  run(); // warm the page cache and the interpreter lookup
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = process.hrtime.bigint();
    run();
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return times.sort((a, b) => a - b);
}

const at = (times: number[], q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))];

function row(name: string, times: number[], base?: number[]): string {
  const extra = base ? `   +${(at(times, 0.5) - at(base, 0.5)).toFixed(1).padStart(5)} ms` : '';
  return `  ${name.padEnd(36)} median ${at(times, 0.5).toFixed(1).padStart(7)} ms   p90 ${at(times, 0.9).toFixed(1).padStart(7)} ms${extra}`;
}

function start(how: Containment, command: string, args: string[], cwd: string): () => void {
  return () => {
    const jailed = jail({ command, args, cwd, inherited: ENV, env: {} }, how.mode, how.backend);
    const result = spawnSync(jailed.command, jailed.args, { cwd, env: jailed.env, stdio: 'ignore' });
    if (result.status !== 0) throw new Error(`${how.name}: ${command} ${args.join(' ')} failed (${result.status ?? result.signal})`);
  };
}

function processStarts(dir: string): void {
  const py = path.join(dir, 'hello.py');
  writeFileSync(py, 'import socket\nsocket.socket(socket.AF_INET, socket.SOCK_DGRAM).close()\n');
  const ts = path.join(dir, 'hello.ts');
  writeFileSync(ts, "import dgram from 'node:dgram';\ndgram.createSocket('udp4').close();\n");
  const built = buildTypeScript(ts);
  if ('error' in built) throw new Error(built.error);

  const jails = workingJails();
  const ways: Containment[] = [
    { name: 'off', mode: 'off' },
    { name: 'rlimits', mode: 'rlimits' },
    ...jails.map((found) => ({ name: `${found.backend} jail (${found.mode})`, mode: found.mode, backend: found.backend })),
  ];
  console.log(`\nProcess start, ${RUNS} starts each (jails here: ${jails.map((j) => j.backend).join(', ') || 'none'})`);
  // python3 is started as the executable it resolves to in every mode (no pyenv shim), as the harness does.
  const programs = [
    { name: 'python3 hello.py', command: pythonExecutable(), args: [py] },
    { name: 'node built.cjs', command: process.execPath, args: ['--enable-source-maps', built.file] },
  ];
  for (const { name, command, args } of programs) {
    const base = measure(start(ways[0], command, args, dir));
    for (const way of ways) console.log(row(`${name}, ${way.name}`, way.mode === 'off' ? base : measure(start(way, command, args, dir)), way.mode === 'off' ? undefined : base));
  }
}

function submissionNamespacesCost(): void {
  console.log('\nNamespaces of one submission (network, PID, IPC, UTS) around /bin/true');
  const base = measure(() => spawnSync('true'));
  console.log(row('true', base));
  for (const found of workingJails()) {
    const { command, args } = wrapInNamespaces(found.mode as 'root' | 'userns', found.backend!, 'true', []);
    console.log(row(`${found.backend} namespaces, true`, measure(() => spawnSync(command, args)), base));
  }
}

function gradeRuns(): void {
  const out = mkdtempSync(path.join(tmpdir(), 'bench-grade-'));
  try {
    console.log('\n`npm run grade` on fixtures/submissions (--force: from scratch)');
    for (const [name, env, extra] of [
      ['isolated (namespaces + jail)', {}, []],
      ['GRADER_SANDBOX=off --unsafe', { GRADER_SANDBOX: 'off' }, ['--unsafe']],
    ] as const) {
      const started = Date.now();
      const run = spawnSync(process.execPath, [path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'grade.ts', 'fixtures/submissions', '--force', '--out', path.join(out, name.replace(/\W+/g, '-')), ...extra], {
        cwd: REPO_ROOT,
        env: { ...process.env, ...env },
        encoding: 'utf8',
      });
      const ms = Date.now() - started;
      const verdict = run.status === 0 ? 'ok' : `exit ${run.status}: ${(run.stderr || run.stdout).trim().split('\n').slice(-3).join(' / ')}`;
      console.log(`  ${name.padEnd(36)} ${(ms / 1000).toFixed(1).padStart(7)} s   ${verdict}`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

const dir = mkdtempSync(path.join(tmpdir(), 'bench-isolation-'));
try {
  console.log(`${process.platform} ${process.arch}, node ${process.version}, uid ${process.getuid?.()}`);
  console.log(describeSandbox(sandboxSupport()));
  console.log(`Submission isolation active: ${detectIsolation().active}`);
  processStarts(dir);
  submissionNamespacesCost();
  if (process.argv.includes('--grade')) gradeRuns();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
