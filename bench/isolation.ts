/**
 * `npm run bench:isolation`: what containment costs.
 *
 *  1. one start of a student program (python3, node) as it is, with resource limits only, and in
 *     the jail (specs/harness/sandbox.ts), N starts each (RUNS=20), median and p90;
 *  2. the namespaces of one submission (grader/isolation.ts) around a program that exits at once;
 *  3. with --grade: `npm run grade` on fixtures/submissions with and without isolation
 *     (GRADER_SANDBOX=off --unsafe), each from scratch (--force).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { detectIsolation, submissionNamespaces } from '../grader/isolation';
import { buildTypeScript } from '../specs/harness/program';
import { describeSandbox, isJail, jail, sandboxSupport, type SandboxMode } from '../specs/harness/sandbox';

const RUNS = Number(process.env.RUNS ?? 20);
/**
 * The same small environment in every mode, so that only the mechanism is measured: a jail passes
 * little of the grader's environment on, and variables such as NODE_OPTIONS (set by tsx) or
 * NODE_EXTRA_CA_CERTS make every unjailed node start tens of milliseconds slower.
 */
const ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' };
const REPO = path.resolve(__dirname, '..');

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

function start(mode: SandboxMode, command: string, args: string[], cwd: string): () => void {
  return () => {
    const jailed = jail({ command, args, cwd, inherited: ENV, env: {} }, mode);
    const result = spawnSync(jailed.command, jailed.args, { cwd, env: jailed.env, stdio: 'ignore' });
    if (result.status !== 0) throw new Error(`${mode}: ${command} ${args.join(' ')} failed (${result.status ?? result.signal})`);
  };
}

function processStarts(dir: string): void {
  const py = path.join(dir, 'hello.py');
  writeFileSync(py, 'import socket\nsocket.socket(socket.AF_INET, socket.SOCK_DGRAM).close()\n');
  const ts = path.join(dir, 'hello.ts');
  writeFileSync(ts, "import dgram from 'node:dgram';\ndgram.createSocket('udp4').close();\n");
  const built = buildTypeScript(ts);
  if ('error' in built) throw new Error(built.error);

  const support = sandboxSupport();
  const modes: SandboxMode[] = ['off', 'rlimits', ...(isJail(support.mode) ? [support.mode] : [])];
  console.log(`\nProcess start, ${RUNS} starts each (the jail here: ${isJail(support.mode) ? support.mode : 'none'})`);
  // The same interpreter binary in every mode (`python3` on the PATH may be a slow shim, as pyenv's is;
  // in the jail its PATH leads straight to the interpreter).
  const python = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout.trim();
  const programs: { name: string; command: (mode: SandboxMode) => string; args: string[] }[] = [
    { name: 'python3 hello.py', command: (mode) => (isJail(mode) ? 'python3' : python), args: [py] },
    { name: 'node built.cjs', command: () => process.execPath, args: ['--enable-source-maps', built.file] },
  ];
  for (const { name, command, args } of programs) {
    const base = measure(start('off', command('off'), args, dir));
    for (const mode of modes) console.log(row(`${name}, ${mode}`, mode === 'off' ? base : measure(start(mode, command(mode), args, dir)), mode === 'off' ? undefined : base));
  }
}

function submissionNamespacesCost(): void {
  const support = sandboxSupport();
  if (!isJail(support.mode)) return;
  console.log('\nNamespaces of one submission (network, PID, IPC, UTS) around /bin/true');
  const base = measure(() => spawnSync('true'));
  console.log(row('true', base));
  console.log(row('bwrap <submission namespaces> true', measure(() => spawnSync('bwrap', [...submissionNamespaces(support.mode as 'root' | 'userns'), '--', 'true'])), base));
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
      const run = spawnSync(process.execPath, [path.join(REPO, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'grade.ts', 'fixtures/submissions', '--force', '--out', path.join(out, name.replace(/\W+/g, '-')), ...extra], {
        cwd: REPO,
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
