/**
 * `npm run bench:compare -- REV [--sample NAME] [--rounds N]`: the same grading with the code of REV
 * (a git worktree of it, made for the run and removed after) and with this checkout's, alternating, so
 * that both see the same machine: `npm run grade` of one sample (isolated, hidden checks, --force),
 * wall and CPU time of each run, then the means of the warm rounds (the first pair fills caches) and
 * their ratio. Scores are printed too: a speed-up that changes a grade is a bug. See docs/performance.md.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../specs/harness/repo';
import { interrupted, runGrade } from './measured-grade';

function parse(args: string[]): { rev: string; sample: string; rounds: number } {
  const value = (name: string, fallback: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
  const rev = args.find((arg, i) => !arg.startsWith('--') && !['--sample', '--rounds'].includes(args[i - 1] ?? ''));
  const rounds = Number(value('--rounds', '3'));
  if (!rev || !Number.isInteger(rounds) || rounds < 2) {
    console.error('usage: npm run bench:compare -- REV [--sample good-python] [--rounds N (2 or more)]');
    process.exit(2);
  }
  return { rev, sample: value('--sample', 'good-python'), rounds };
}

async function main(): Promise<void> {
  const { rev, sample, rounds } = parse(process.argv.slice(2));
  const work = mkdtempSync(path.join(tmpdir(), 'bench-compare-'));
  const old = path.join(work, 'old');
  execFileSync('git', ['worktree', 'add', '--detach', old, rev], { cwd: REPO_ROOT, stdio: 'ignore' });
  try {
    symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(old, 'node_modules'));
    const trees = [
      { name: rev, root: old, runs: [] as { wallMs: number; cpuMs: number }[] },
      { name: 'this checkout', root: REPO_ROOT, runs: [] as { wallMs: number; cpuMs: number }[] },
    ];
    for (let round = 0; round < rounds && !interrupted(); round++) {
      for (const tree of trees) {
        const subs = mkdtempSync(path.join(work, 'subs-'));
        cpSync(path.join(tree.root, 'fixtures', 'submissions', sample, 'student'), path.join(subs, sample, 'student'), { recursive: true });
        const outcome = await runGrade([subs, '--force', '--hidden', '--out', path.join(subs, 'out')], process.env, tree.root);
        const score = /(\d+\/\d+) in [\d.]+ s/.exec(outcome.stdout)?.[1] ?? `exit ${outcome.code}`;
        console.log(`round ${round + 1}, ${tree.name}: ${(outcome.wallMs / 1000).toFixed(1)} s wall, ${(outcome.cpuMs / 1000).toFixed(1)} CPU-s, ${score}`);
        tree.runs.push(outcome);
        rmSync(subs, { recursive: true, force: true });
      }
    }
    const mean = (runs: { wallMs: number; cpuMs: number }[], key: 'wallMs' | 'cpuMs') => runs.slice(1).reduce((sum, run) => sum + run[key], 0) / Math.max(1, runs.length - 1) / 1000;
    const [before, after] = trees;
    for (const key of ['wallMs', 'cpuMs'] as const) {
      const what = key === 'wallMs' ? 'wall' : 'CPU';
      console.log(`warm mean ${what}: ${rev} ${mean(before.runs, key).toFixed(1)} s, this checkout ${mean(after.runs, key).toFixed(1)} s (x${(mean(after.runs, key) / mean(before.runs, key)).toFixed(2)})`);
    }
  } finally {
    execFileSync('git', ['worktree', 'remove', '--force', old], { cwd: REPO_ROOT, stdio: 'ignore' });
    rmSync(work, { recursive: true, force: true });
  }
}

void main();
