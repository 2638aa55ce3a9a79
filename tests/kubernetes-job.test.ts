/**
 * `npm run grade -- kubernetes`: the Indexed Job and the merge Job validate against Kubernetes'
 * schemas (kubernetes-models), deploy/kubernetes/grade-class.yaml is what the generator makes, and
 * the containers' exact commands, run here for every index and then the merge, give what one
 * unsharded run gives.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { parseAllDocuments } from 'yaml';
import { parseCommand, UsageError } from '../grader/cli/grade-args';
import { KUBERNETES_DEFAULTS, kubernetesJobs, kubernetesYaml, type KubernetesOptions } from '../grader/kubernetes-job';
import { GRADING_STEP_LIMIT_MS } from './helpers/limits';
import { comparableOutput } from './helpers/output-compare';

const REPO = path.resolve(__dirname, '..');
const EXERCISE = 'udp-upper-server';

interface Container {
  command: string[];
  workingDir: string;
}

function run(command: string[], cwd: string, env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command[0], command.slice(1), { cwd, env: { ...process.env, CI: 'true', ...env }, maxBuffer: 32 * 1024 * 1024 }, (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }));
  });
}

test('the Jobs validate against Kubernetes\' schemas, and the validator does refuse a broken one', () => {
  const [grade, merge] = kubernetesJobs(KUBERNETES_DEFAULTS);
  expect(grade.spec).toMatchObject({ completionMode: 'Indexed', completions: 10, parallelism: 10, backoffLimitPerIndex: 2 });
  expect(merge.spec?.template.spec?.initContainers?.[0].name).toBe('wait-for-shards');
  const broken = new Job({ ...grade.toJSON(), spec: { ...grade.toJSON().spec!, completions: 'ten' as never } });
  expect(() => broken.validate()).toThrow(/completions must be integer/);
});

test('the pods ask for no privilege beyond the unconfined seccomp and AppArmor profiles the jail needs', () => {
  for (const job of kubernetesJobs(KUBERNETES_DEFAULTS)) {
    const pod = job.spec!.template.spec!;
    expect(pod.securityContext).toEqual({ seccompProfile: { type: 'Unconfined' }, appArmorProfile: { type: 'Unconfined' } });
    for (const c of [...(pod.initContainers ?? []), ...pod.containers]) expect(c.securityContext).toBeUndefined();
    expect([pod.hostNetwork, pod.hostPID]).toEqual([undefined, undefined]);
  }
});

test('deploy/kubernetes/grade-class.yaml is the generator\'s output for the defaults', () => {
  const committed = readFileSync(path.join(REPO, 'deploy', 'kubernetes', 'grade-class.yaml'), 'utf8');
  expect(committed).toBe(kubernetesYaml(KUBERNETES_DEFAULTS));
  expect(parseAllDocuments(committed).map((d) => d.toJS().metadata.name)).toEqual(['grade-class', 'grade-class-merge']);
});

test('the command line: image and claim are required, names and exercises are checked', () => {
  expect(parseCommand(['kubernetes', '--image', 'i', '--claim', 'c', '--shards', '4', '--hidden', '--exercise', EXERCISE], REPO)).toEqual({
    command: 'kubernetes',
    options: { ...KUBERNETES_DEFAULTS, image: 'i', claim: 'c', shards: 4, hidden: true, exercises: [EXERCISE] },
  });
  expect(() => parseCommand(['kubernetes', '--claim', 'c'], REPO)).toThrow(/needs --image/);
  expect(() => parseCommand(['kubernetes', '--image', 'i', '--claim', 'c', '--exercise', 'nope'], REPO)).toThrow(UsageError);
  expect(() => kubernetesJobs({ ...KUBERNETES_DEFAULTS, name: 'Grade_Class' })).toThrow(/a Job name is lowercase letters/);
});

describe('the containers\' commands, run here', () => {
  let work: string;
  let options: KubernetesOptions;
  beforeAll(() => {
    work = mkdtempSync(path.join(tmpdir(), 'grade-kubernetes-'));
    cpSync(path.join(REPO, 'fixtures', 'submissions'), path.join(work, 'class', 'submissions'), { recursive: true });
    // The volume is this folder, the image's /grader this repository.
    options = { ...KUBERNETES_DEFAULTS, name: 'fall-2026', shards: 3, hidden: true, exercises: [EXERCISE], mountPath: path.join(work, 'class'), graderDir: REPO };
  }, GRADING_STEP_LIMIT_MS);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  test('the merge waits while a shard is missing', async () => {
    const [, merge] = kubernetesJobs(options);
    const wait = merge.spec!.template.spec!.initContainers![0] as Container;
    const waiting = await run(['timeout', '2', ...wait.command], wait.workingDir);
    expect([waiting.code, waiting.stdout.split('\n')[0]]).toEqual([124, 'waiting for the shards: 1 2 3']);
  }, GRADING_STEP_LIMIT_MS);

  test('every index, then the merge: the grades of one unsharded run', async () => {
    const [grade, merge] = kubernetesJobs(options);
    const shard = grade.spec!.template.spec!.containers[0] as Container;
    for (const index of [0, 1, 2]) {
      const graded = await run(shard.command, shard.workingDir, { JOB_COMPLETION_INDEX: String(index) });
      expect([graded.code, graded.stdout]).toEqual([0, expect.stringContaining(`shard ${index + 1}/3: 1 of 3 submissions`)]);
    }
    const wait = merge.spec!.template.spec!.initContainers![0] as Container;
    expect((await run(wait.command, wait.workingDir)).code).toBe(0);
    const combine = merge.spec!.template.spec!.containers[0] as Container;
    const merged = await run(combine.command, combine.workingDir);
    expect([merged.code, merged.stdout]).toEqual([0, expect.stringMatching(/merged 3 submissions from 3 folders[\s\S]*## Grades: 3 submissions/)]);

    const whole = path.join(work, 'whole');
    const unsharded = await run(['npm', 'run', 'grade', '--', path.join(work, 'class', 'submissions'), '--hidden', '--exercise', EXERCISE, '--out', whole], REPO);
    expect(unsharded.code).toBe(0);
    expect(comparableOutput(path.join(work, 'class', 'fall-2026', 'grades'))).toEqual(comparableOutput(whole));
  }, 5 * GRADING_STEP_LIMIT_MS);
});
