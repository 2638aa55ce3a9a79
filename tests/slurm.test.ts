/**
 * `npm run grade -- slurm`: on a one-node Slurm cluster that this test starts and stops, the samples
 * graded as a job array of 3 tasks and the merge job that depends on them give what one unsharded
 * run gives. Without Slurm's programs the end-to-end part says how to install them and is skipped,
 * unless GRADER_REQUIRE_SLURM=1 (set by .ci/run, which installs them) makes that a failure.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseCommand } from '../grader/cli/grade-args';
import { arrayScript, mergeScript, type SlurmOptions } from '../grader/slurm';
import { GRADING_STEP_LIMIT_MS } from './helpers/limits';
import { comparableOutput } from './helpers/output-compare';
import { missingSlurmPrograms, startSlurmCluster, type SlurmCluster } from './helpers/slurm-cluster';
import { waitUntil } from './helpers/wait';

const REPO = path.resolve(__dirname, '..');
const TSX = path.join(REPO, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const EXERCISE = 'udp-upper-server';

function grade(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [TSX, 'grade.ts', ...args], { cwd: REPO, env: { ...process.env, CI: 'true', ...env }, maxBuffer: 32 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const options: SlurmOptions = { submissions: '/data/class', out: '/data/out', shards: 3, cpus: 2, partition: 'short', time: '1:00:00', hidden: true, exercises: [EXERCISE], graderDir: '/home/ta/grader' };

test('the array script grades shard SLURM_ARRAY_TASK_ID of N with the task\'s CPUs; the merge script combines the shards', () => {
  const array = arrayScript(options);
  expect(array).toContain('#SBATCH --array=1-3\n');
  expect(array).toContain('#SBATCH --cpus-per-task=2\n#SBATCH --partition=short\n#SBATCH --time=1:00:00\n');
  expect(array).toContain(`npm run grade -- '/data/class' --shard "$SLURM_ARRAY_TASK_ID/3" --hidden --exercise '${EXERCISE}' --jobs "\${SLURM_CPUS_PER_TASK:-2}" --out '/data/out/shards'"/shard-$SLURM_ARRAY_TASK_ID"`);
  expect(mergeScript(options)).toContain("npm run grade -- merge '/data/out/shards'/shard-* --out '/data/out/grades'\n");
});

test('the command line needs --shards and checks --time', () => {
  expect(parseCommand(['slurm', REPO, '--shards', '3', '--time', '90'], REPO, REPO)).toMatchObject({ command: 'slurm', options: { shards: 3, cpus: 4, time: '90', submissions: REPO } });
  expect(() => parseCommand(['slurm', REPO], REPO, REPO)).toThrow(/needs --shards/);
  expect(() => parseCommand(['slurm', REPO, '--shards', '2', '--time', 'soon'], REPO, REPO)).toThrow(/Slurm's format/);
  expect(() => parseCommand([REPO, '--partition', 'p'], REPO, REPO)).toThrow(/--time with: npm run grade -- slurm/);
});

test('without sbatch: says where to run it', async () => {
  // A PATH with node alone (node may live in /usr/bin, beside sbatch).
  const folder = mkdtempSync(path.join(tmpdir(), 'grade-slurm-nosbatch-'));
  try {
    mkdirSync(path.join(folder, 'bin'));
    symlinkSync(process.execPath, path.join(folder, 'bin', 'node'));
    const ran = await grade(['slurm', path.join(REPO, 'fixtures', 'submissions'), '--shards', '2', '--out', path.join(folder, 'out')], { PATH: path.join(folder, 'bin') });
    expect([ran.code, ran.stderr]).toEqual([1, 'grade: sbatch is not on the PATH: run this on a login node of the Slurm cluster\n']);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}, GRADING_STEP_LIMIT_MS);

const missing = missingSlurmPrograms();
const required = process.env.GRADER_REQUIRE_SLURM === '1';
if (missing.length && !required) {
  test.skip(`end to end on a one-node cluster: not run, ${missing.join(', ')} missing (apt-get install slurmctld slurmd slurm-client munge)`, () => undefined);
} else {
  describe('on a one-node Slurm cluster', () => {
    let cluster: SlurmCluster;
    let work: string;
    beforeAll(async () => {
      expect(missing).toEqual([]);
      cluster = await startSlurmCluster();
      work = mkdtempSync(path.join(tmpdir(), 'grade-slurm-class-'));
      cpSync(path.join(REPO, 'fixtures', 'submissions'), path.join(work, 'class'), { recursive: true });
    }, 120_000);
    let stopped = false;
    afterAll(async () => {
      if (!stopped) await cluster?.stop();
      if (work) rmSync(work, { recursive: true, force: true });
    }, 120_000);

    test('3 array tasks and the merge that depends on them: the grades of one unsharded run', async () => {
      const out = path.join(work, 'out');
      const submitted = await grade(['slurm', path.join(work, 'class'), '--shards', '3', '--cpus', '1', '--hidden', '--exercise', EXERCISE, '--out', out], cluster.env);
      expect([submitted.code, submitted.stderr]).toEqual([0, '']);
      const [, arrayJob, mergeJob] = /submitted job array (\d+) \(3 tasks of 1 CPUs\) and merge job (\d+)/.exec(submitted.stdout) ?? [];
      expect([arrayJob, mergeJob]).toEqual([expect.stringMatching(/^\d+$/), expect.stringMatching(/^\d+$/)]);
      expect(cluster.command('scontrol', ['show', 'job', mergeJob])).toMatch(new RegExp(`Dependency=afterok:${arrayJob}`));

      const finished = () => cluster.command('squeue', ['-h', '-o', '%i']).trim() === '';
      if (!(await waitUntil(finished, 4 * GRADING_STEP_LIMIT_MS, 500))) throw new Error(`the jobs did not finish:\n${cluster.command('squeue', [])}\n${cluster.logs()}`);
      const mergeLog = path.join(out, 'slurm', 'merge.log');
      expect(existsSync(mergeLog) ? readFileSync(mergeLog, 'utf8') : `no merge log; shard logs:\n${[1, 2, 3].map((k) => readFileSync(path.join(out, 'slurm', `shard-${k}.log`), 'utf8')).join('\n')}`).toMatch(/merged 3 submissions from 3 folders[\s\S]*## Grades: 3 submissions/);
      for (const k of [1, 2, 3]) expect(readFileSync(path.join(out, 'slurm', `shard-${k}.log`), 'utf8')).toContain(`shard ${k}/3: 1 of 3 submissions`);

      const whole = await grade([path.join(work, 'class'), '--hidden', '--exercise', EXERCISE, '--out', path.join(work, 'whole')]);
      expect(whole.code).toBe(0);
      expect(comparableOutput(path.join(out, 'grades'))).toEqual(comparableOutput(path.join(work, 'whole')));
    }, 6 * GRADING_STEP_LIMIT_MS);

    test('stopping the cluster leaves none of its processes running', async () => {
      stopped = true;
      expect(await cluster.stop()).toEqual([]);
    }, 120_000);
  });
}
