/** grade.ts's command line: parsed with node:util's parseArgs, checked, with the usage text. */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { exerciseIds } from '../../specs/harness/exercise-list';
import { parseArgs } from 'node:util';
import { idleCores } from '../idle-cores';
import { KUBERNETES_DEFAULTS, type KubernetesOptions } from '../kubernetes-job';
import type { SlurmOptions } from '../slurm';
import { parseShard, type Shard } from '../submissions';

export const usage = (): string => `Usage:
  npm run grade -- [SUBMISSIONS] [options]     grade every submission in a folder
  npm run grade -- merge DIR... [--out DIR]     combine the outputs of sharded runs
  npm run grade -- diff OLD NEW [--out DIR]     what changed between two runs (regrades): which
                                               submissions' scores, which checks flipped
  npm run grade -- kubernetes --image IMAGE --claim PVC --shards N [--name NAME] [--hidden]
                  [--exercise ID]              a Kubernetes Indexed Job grading the class (stdout)
  npm run grade -- slurm SUBMISSIONS --shards N [--cpus N] [--partition P] [--time T] [--hidden]
                  [--exercise ID] [--out DIR]  a Slurm job array grading the class, and its merge

SUBMISSIONS is a folder (default: fixtures/submissions) whose entries are submissions: folders
(holding a student/ folder, or being one), git repositories (graded as committed at HEAD), and
.zip / .tar.gz / .tgz archives. Only the student's programs are taken from them (docs/grading.md).

Options:
  --out DIR        where the results go (default: grades/); see docs/grading.md
  --hidden         include the hidden checks (final grades); without it only the visible ones run
  --exercise ID    grade only this exercise; repeat it (or give ID,ID) for several
  --jobs N         submissions graded at the same time (default: the cores idle when it starts, ${defaultJobs()} now)
  --workers N      jest workers per submission, each running whole spec files (default: jest.config.ts's);
                   1: one process runs every exercise side by side (less CPU, see docs/performance.md)
  --timeout SEC    time budget of one submission, all its exercises together (default: 600)
  --shard K/N      grade only the K-th of N equal shares of the submissions (for several machines)
  --force          grade again even the submissions whose files have not changed
  --similarity     also compare the programs of each exercise across the class (Dolos, installed
                   into tools/similarity on first use): report.html, similarity.csv, similarity.json
  --capture        save each failing check's packets as a pcap file for Wireshark (tcpdump in each
                   submission's network namespace), linked from report.html and feedback
  --single         SUBMISSIONS is one submission, not a folder of them (--name NAME to name it)
  --unsafe         grade even without kernel isolation of the student programs (see below)
  -h, --help       show this text

Results are written as each submission finishes; running the same command again skips every
submission whose files, the specs and these options are unchanged, so an interrupted run (Ctrl-C)
continues where it stopped. Grading refuses to start unless the student programs can be isolated
(own network and process namespaces) or --unsafe is given, e.g. inside a disposable container.
`;

/**
 * As many submissions at a time as there are cores nobody else is using now: the checks of one
 * submission already run side by side, so more only make each wait for a CPU longer (see
 * docs/performance.md).
 */
export function defaultJobs(): number {
  return Math.max(1, Math.min(availableParallelism(), Math.round(idleCores())));
}

export interface GradeCommand {
  command: 'grade';
  source: string;
  single: boolean;
  name?: string;
  out: string;
  hidden: boolean;
  exercises: string[];
  jobs: number;
  workers?: number;
  timeoutMs: number;
  shard?: Shard;
  force: boolean;
  similarity: boolean;
  /** Save each failing check's packets (grader/capture.ts). */
  capture: boolean;
  unsafe: boolean;
}

export interface MergeCommand {
  command: 'merge';
  dirs: string[];
  out: string;
}

export interface DiffCommand {
  command: 'diff';
  before: string;
  after: string;
  /** Where regrade.md, regrade.html and regrade.json go (default: the NEW folder). */
  out: string;
}

export interface KubernetesCommand {
  command: 'kubernetes';
  options: KubernetesOptions;
}

export interface SlurmCommand {
  command: 'slurm';
  options: SlurmOptions;
}

export type Command = GradeCommand | MergeCommand | DiffCommand | KubernetesCommand | SlurmCommand | { command: 'help' };

export class UsageError extends Error {}

function positiveInteger(name: string, text: string | undefined, fallback?: number): number | undefined {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a whole number of at least 1 (got "${text}")`);
  return n;
}

export function specIds(repo: string): string[] {
  return exerciseIds(path.join(repo, 'specs'));
}

/** `--exercise` repeated or given a comma list, as npm test takes it. */
function checkedExercises(values: string[], repo: string): string[] {
  const ids = values.flatMap((value) => value.split(',')).map((id) => id.trim()).filter(Boolean);
  const known = specIds(repo);
  const unknown = ids.filter((id) => !known.includes(id));
  if (unknown.length) throw new UsageError(`no such exercise: ${unknown.join(', ')} (there are: ${known.join(', ')})`);
  return [...new Set(ids)];
}

/** `cwd` is where the user typed the command (npm run changes into the repository: INIT_CWD keeps it). */
export function parseCommand(argv: string[], repo: string, cwd = process.env.INIT_CWD ?? process.cwd()): Command {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        out: { type: 'string' },
        hidden: { type: 'boolean' },
        exercise: { type: 'string', multiple: true },
        jobs: { type: 'string' },
        workers: { type: 'string' },
        timeout: { type: 'string' },
        shard: { type: 'string' },
        force: { type: 'boolean' },
        similarity: { type: 'boolean' },
        capture: { type: 'boolean' },
        single: { type: 'boolean' },
        name: { type: 'string' },
        unsafe: { type: 'boolean' },
        image: { type: 'string' },
        claim: { type: 'string' },
        shards: { type: 'string' },
        cpus: { type: 'string' },
        partition: { type: 'string' },
        time: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { command: 'help' };
  const out = path.resolve(cwd, values.out ?? 'grades');
  if (positionals[0] === 'merge') {
    if (positionals.length < 2) throw new UsageError('merge needs the output folders to combine: npm run grade -- merge DIR1 DIR2 ... --out DIR');
    return { command: 'merge', dirs: positionals.slice(1).map((d) => path.resolve(cwd, d)), out };
  }
  if (positionals[0] === 'diff') {
    if (positionals.length !== 3) throw new UsageError('diff compares two output folders: npm run grade -- diff OLD_OUT NEW_OUT');
    const [before, after] = positionals.slice(1).map((d) => path.resolve(cwd, d));
    for (const dir of [before, after]) if (!existsSync(dir)) throw new UsageError(`${dir}: no such folder`);
    return { command: 'diff', before, after, out: values.out ? out : after };
  }
  if (positionals[0] === 'kubernetes') {
    if (positionals.length > 1) throw new UsageError(`kubernetes takes options only (got ${positionals.slice(1).join(' ')}): the class is submissions/ on the volume`);
    if (!values.image || !values.claim) throw new UsageError('kubernetes needs --image (the repository\'s Dockerfile, built and pushed) and --claim (a ReadWriteMany PersistentVolumeClaim holding submissions/)');
    const options = {
      ...KUBERNETES_DEFAULTS,
      image: values.image,
      claim: values.claim,
      name: values.name ?? KUBERNETES_DEFAULTS.name,
      shards: positiveInteger('shards', values.shards, KUBERNETES_DEFAULTS.shards)!,
      hidden: Boolean(values.hidden),
      exercises: checkedExercises(values.exercise ?? [], repo),
    };
    return { command: 'kubernetes', options };
  }
  if (positionals[0] === 'slurm') {
    if (positionals.length !== 2) throw new UsageError('slurm grades one folder of submissions: npm run grade -- slurm SUBMISSIONS --shards N');
    if (!values.shards) throw new UsageError('slurm needs --shards N: the tasks of the job array');
    const submissions = path.resolve(cwd, positionals[1]);
    if (!existsSync(submissions)) throw new UsageError(`${submissions}: no such folder`);
    if (values.time && !/^(\d+-)?\d+(:\d{1,2}){0,2}$/.test(values.time)) throw new UsageError(`--time ${values.time}: Slurm's format is MINUTES, HH:MM:SS or DAYS-HH[:MM:SS]`);
    return {
      command: 'slurm',
      options: {
        submissions,
        out,
        shards: positiveInteger('shards', values.shards)!,
        cpus: positiveInteger('cpus', values.cpus, 4)!,
        partition: values.partition,
        time: values.time,
        hidden: Boolean(values.hidden),
        exercises: checkedExercises(values.exercise ?? [], repo),
        graderDir: repo,
      },
    };
  }
  if (values.image || values.claim || values.shards || values.cpus || values.partition || values.time) {
    throw new UsageError('--image and --claim go with: npm run grade -- kubernetes; --cpus, --partition and --time with: npm run grade -- slurm; --shards with either');
  }
  if (positionals.length > 1) throw new UsageError(`one SUBMISSIONS folder at a time (got ${positionals.join(', ')})`);
  const source = positionals[0] ? path.resolve(cwd, positionals[0]) : path.join(repo, 'fixtures', 'submissions');
  if (!existsSync(source)) throw new UsageError(`${source}: no such file or folder`);
  const exercises = checkedExercises(values.exercise ?? [], repo);
  if (values.name && !values.single) throw new UsageError('--name goes with --single');
  if (values.similarity && values.shard) throw new UsageError('--similarity compares the whole class: run it on one machine (after grade merge, grade the merged folder\'s submissions again with --similarity; unchanged ones are not regraded)');
  if (values.similarity && values.single) throw new UsageError('--similarity compares submissions with each other: it needs a folder of them, not --single');
  let shard: Shard | undefined;
  try {
    shard = values.shard ? parseShard(values.shard) : undefined;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return {
    command: 'grade',
    source,
    single: Boolean(values.single),
    name: values.name,
    out,
    hidden: Boolean(values.hidden),
    exercises,
    jobs: values.jobs === undefined ? defaultJobs() : positiveInteger('jobs', values.jobs)!,
    workers: positiveInteger('workers', values.workers),
    timeoutMs: positiveInteger('timeout', values.timeout, 600)! * 1000,
    shard,
    force: Boolean(values.force),
    similarity: Boolean(values.similarity),
    capture: Boolean(values.capture),
    unsafe: Boolean(values.unsafe),
  };
}
