/**
 * `npm run bench:start`: what one start of a student's program costs, by language and by how
 * TypeScript is run (one esbuild pass then node, as the grader does, or tsx on every start).
 * Each way starts a program that exits at once, N times in a row; prints the median and p90.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildTypeScript } from '../specs/harness/program';

const RUNS = Number(process.env.RUNS ?? 20);

function measure(command: string, args: string[]): number[] {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = process.hrtime.bigint();
    const result = spawnSync(command, args, { stdio: 'ignore' });
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed`);
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return times.sort((a, b) => a - b);
}

function row(name: string, times: number[]): string {
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))].toFixed(1);
  return `${name.padEnd(34)} median ${at(0.5).padStart(7)} ms   p90 ${at(0.9).padStart(7)} ms`;
}

const dir = mkdtempSync(path.join(tmpdir(), 'bench-start-'));
try {
  const ts = path.join(dir, 'hello.ts');
  writeFileSync(ts, "import dgram from 'node:dgram';\nconst s: dgram.Socket = dgram.createSocket('udp4');\ns.close();\n");
  const py = path.join(dir, 'hello.py');
  writeFileSync(py, 'import socket\nsocket.socket(socket.AF_INET, socket.SOCK_DGRAM).close()\n');

  const buildStarted = process.hrtime.bigint();
  const built = buildTypeScript(ts);
  const buildMs = Number(process.hrtime.bigint() - buildStarted) / 1e6;
  if ('error' in built) throw new Error(built.error);

  const tsx = path.join(__dirname, '..', 'node_modules', '.bin', 'tsx');
  console.log(`${RUNS} starts each, on ${process.platform} ${process.arch}, node ${process.version}`);
  console.log(`esbuild pass (once per source version): ${buildMs.toFixed(1)} ms`);
  console.log(row('python3 hello.py', measure('python3', [py])));
  console.log(row('node built.cjs (the grader)', measure(process.execPath, ['--enable-source-maps', built.file])));
  console.log(row('tsx hello.ts', measure(tsx, [ts])));
  console.log(row('node --version (floor)', measure(process.execPath, ['--version'])));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
