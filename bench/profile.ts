/**
 * `npm run bench:profile [-- SAMPLE]`: where the grading processes' time goes. Runs jest on one sample's
 * student folder (default good-python, every exercise, hidden checks) with V8's CPU profiler in the
 * jest parent and every worker, then prints the functions with the most self time over all of them,
 * and for the busiest native calls (spawnSync, read, ...) the harness code that made them. Time a
 * profile shows in a synchronous call is time the event loop was blocked, CPU or not: compare it with
 * the CPU the run used (printed first). Not isolated as grade.ts runs it, so the machine's own
 * loopback is used; the programs are jailed as always. See docs/performance.md.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../specs/harness/repo';
import { reapedChildrenCpuMs } from './measured-grade';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const TOP = 20;
/** Native calls whose callers in the project are shown. */
const TRACED = ['spawnSync', 'ChildProcess.spawn', 'read', 'readdir', 'open'];

const sample = process.argv[2] ?? 'good-python';
const dir = mkdtempSync(path.join(tmpdir(), 'bench-profile-'));
try {
  const before = reapedChildrenCpuMs();
  const wallStart = performance.now();
  const ran = spawnSync(
    process.execPath,
    ['--cpu-prof', `--cpu-prof-dir=${dir}`, path.join(REPO_ROOT, 'node_modules', 'jest', 'bin', 'jest.js'), '--config', path.join(REPO_ROOT, 'jest.config.ts'), '--ci', '--forceExit'],
    { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, GRADER_TARGET: path.join(REPO_ROOT, 'fixtures', 'submissions', sample, 'student'), GRADER_HIDDEN: '1', CI: 'true', NO_COLOR: '1' } },
  );
  const cpuMs = reapedChildrenCpuMs() - before;
  const wallMs = performance.now() - wallStart;
  const total = ran.stdout.split('\n').find((line) => /^\s*Total\s/.test(line))?.trim() ?? `jest exited with ${ran.status}`;
  const own = new Map<string, number>();
  const callers = new Map<string, Map<string, number>>();
  let sampled = 0;
  let idle = 0;
  const files = readdirSync(dir).filter((file) => file.endsWith('.cpuprofile'));
  for (const file of files) {
    const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Profile;
    const byId = new Map(profile.nodes.map((node) => [node.id, node]));
    const parent = new Map<number, number>();
    for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
    const self = new Map<number, number>();
    profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + profile.timeDeltas[i] / 1000));
    for (const [id, ms] of self) {
      const frame = byId.get(id)!.callFrame;
      sampled += ms;
      if (frame.functionName === '(idle)') {
        idle += ms;
        continue;
      }
      const name = describe(frame);
      own.set(name, (own.get(name) ?? 0) + ms);
      if (!TRACED.includes(frame.functionName)) continue;
      const chain: string[] = [];
      for (let at = parent.get(id); at !== undefined && chain.length < 3; at = parent.get(at)) {
        const caller = byId.get(at)!.callFrame;
        if (isProjectCode(caller.url)) chain.push(describe(caller));
      }
      const by = callers.get(frame.functionName) ?? new Map<string, number>();
      const key = chain.join(' < ') || '(no project code)';
      by.set(key, (by.get(key) ?? 0) + ms);
      callers.set(frame.functionName, by);
    }
  }
  const ms = (value: number) => `${(value / 1000).toFixed(2).padStart(7)} s`;
  process.stdout.write(`${sample}: ${total}; ${ms(wallMs).trim()} wall, ${ms(cpuMs).trim()} CPU (profiling included); ${files.length} processes profiled, ${ms(sampled - idle).trim()} of their samples busy\n\n`);
  process.stdout.write('Self time, all processes:\n');
  for (const [name, value] of [...own].sort((a, b) => b[1] - a[1]).slice(0, TOP)) process.stdout.write(`${ms(value)}  ${name}\n`);
  for (const native of TRACED) {
    const by = callers.get(native);
    if (!by) continue;
    process.stdout.write(`\n${native}, called from:\n`);
    for (const [chain, value] of [...by].sort((a, b) => b[1] - a[1]).slice(0, 5)) process.stdout.write(`${ms(value)}  ${chain}\n`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

function isProjectCode(url: string): boolean {
  return url.startsWith('file://') && !url.includes('/node_modules/');
}

function describe(frame: CallFrame): string {
  const where = frame.url.startsWith('file://') ? path.relative(REPO_ROOT, new URL(frame.url).pathname).replace(/^.*node_modules\//, '') : frame.url;
  return `${frame.functionName || '(anonymous)'}${where ? ` ${where}:${frame.lineNumber + 1}` : ''}`;
}
