/**
 * `npm run grade -- slurm SUBMISSIONS --shards N`: a class graded on a Slurm cluster as a job array,
 * one task per shard (SLURM_ARRAY_TASK_ID → --shard K/N), and a merge job that runs after every
 * task succeeded (afterok). The batch scripts go into OUT/slurm/, the tasks' logs beside them, the
 * shards' folders into OUT/shards/, the merged grades into OUT/grades/. The repository, the
 * submissions and OUT must be on storage every node sees (as a cluster's home or project space is).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface SlurmOptions {
  submissions: string;
  out: string;
  shards: number;
  /** CPUs per task: its grade's --jobs. */
  cpus: number;
  partition?: string;
  /** Slurm's --time of each task, e.g. 2:00:00. */
  time?: string;
  hidden: boolean;
  exercises: string[];
  /** The repository (npm ci done), on shared storage. */
  graderDir: string;
}

const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

function directives(o: SlurmOptions, name: string, log: string, cpus: number): string[] {
  return [
    `#SBATCH --job-name=${name}`,
    `#SBATCH --output=${log}`,
    `#SBATCH --cpus-per-task=${cpus}`,
    ...(o.partition ? [`#SBATCH --partition=${o.partition}`] : []),
    ...(o.time ? [`#SBATCH --time=${o.time}`] : []),
  ];
}

export function arrayScript(o: SlurmOptions): string {
  const options = [o.hidden ? '--hidden' : '', ...o.exercises.map((id) => `--exercise ${quote(id)}`)].filter(Boolean).join(' ');
  return `${[
    '#!/usr/bin/env bash',
    `# One shard of ${o.shards} of the class (made by npm run grade -- slurm; docs/scaling.md).`,
    ...directives(o, 'grade-shard', path.join(o.out, 'slurm', 'shard-%a.log'), o.cpus),
    `#SBATCH --array=1-${o.shards}`,
    'set -euo pipefail',
    `cd ${quote(o.graderDir)}`,
    `npm run grade -- ${quote(o.submissions)} --shard "$SLURM_ARRAY_TASK_ID/${o.shards}"${options ? ` ${options}` : ''} --jobs "\${SLURM_CPUS_PER_TASK:-${o.cpus}}" --out ${quote(path.join(o.out, 'shards'))}"/shard-$SLURM_ARRAY_TASK_ID"`,
  ].join('\n')}\n`;
}

export function mergeScript(o: SlurmOptions): string {
  return `${[
    '#!/usr/bin/env bash',
    '# Combines the shards once every task of the array succeeded (submitted with --dependency=afterok).',
    ...directives(o, 'grade-merge', path.join(o.out, 'slurm', 'merge.log'), 1),
    'set -euo pipefail',
    `cd ${quote(o.graderDir)}`,
    `npm run grade -- merge ${quote(path.join(o.out, 'shards'))}/shard-* --out ${quote(path.join(o.out, 'grades'))}`,
    `cat ${quote(path.join(o.out, 'grades', 'class-summary.md'))}`,
  ].join('\n')}\n`;
}

export interface Submitted {
  arrayJob: string;
  mergeJob: string;
  /** What to tell the TA: how to follow the jobs and where the grades will be. */
  lines: string[];
}

function sbatch(args: string[]): string {
  try {
    // --parsable prints "JOBID" or "JOBID;CLUSTER".
    return execFileSync('sbatch', ['--parsable', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim().split(';')[0];
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new Error('sbatch is not on the PATH: run this on a login node of the Slurm cluster');
    throw new Error(`sbatch refused the job: ${(e.stderr ?? e.message).trim()}`);
  }
}

export function submitSlurm(o: SlurmOptions): Submitted {
  const scripts = path.join(o.out, 'slurm');
  mkdirSync(scripts, { recursive: true });
  const [array, merge] = [path.join(scripts, 'grade-shards.sh'), path.join(scripts, 'merge.sh')];
  writeFileSync(array, arrayScript(o));
  writeFileSync(merge, mergeScript(o));
  for (const file of [array, merge]) chmodSync(file, 0o755);
  const arrayJob = sbatch([array]);
  const mergeJob = sbatch([`--dependency=afterok:${arrayJob}`, '--kill-on-invalid-dep=yes', merge]);
  return {
    arrayJob,
    mergeJob,
    lines: [
      `submitted job array ${arrayJob} (${o.shards} tasks of ${o.cpus} CPUs) and merge job ${mergeJob} (runs once every task succeeded)`,
      `follow them: squeue -j ${arrayJob},${mergeJob}   (afterwards: sacct -j ${arrayJob},${mergeJob})`,
      `logs: ${path.join(scripts, 'shard-K.log')}, ${path.join(scripts, 'merge.log')}`,
      `grades: ${path.join(o.out, 'grades')}/ once job ${mergeJob} has finished; cancel everything with scancel ${arrayJob} ${mergeJob}`,
    ],
  };
}
