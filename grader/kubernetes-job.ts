/**
 * `npm run grade -- kubernetes`: a class graded by a Kubernetes Indexed Job, one pod per shard
 * (JOB_COMPLETION_INDEX → --shard K/N), each writing its folder to a shared volume, and a merge Job
 * whose init container waits until every shard has finished. Built with kubernetes-models, whose
 * schemas validate every object. The image is the repository's Dockerfile's (the grader in /grader).
 */
import { Job } from 'kubernetes-models/batch/v1/Job';
import { stringify } from 'yaml';

export interface KubernetesOptions {
  /** The Jobs' names, and the folder of this run on the volume (a new one per run). */
  name: string;
  image: string;
  /** A PersistentVolumeClaim, ReadWriteMany, holding submissions/ (the class) and receiving the grades. */
  claim: string;
  shards: number;
  hidden: boolean;
  exercises: string[];
  /** Where the volume is mounted in the pods. */
  mountPath: string;
  /** Where the grader is in the image. */
  graderDir: string;
}

export const KUBERNETES_DEFAULTS: KubernetesOptions = {
  name: 'grade-class',
  image: 'COURSE/socket-autograder:latest',
  claim: 'class',
  shards: 10,
  hidden: true,
  exercises: [],
  mountPath: '/class',
  graderDir: '/grader',
};

const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

function runFolder(o: KubernetesOptions): string {
  return `${o.mountPath}/${o.name}`;
}

/** The grading pod's script: its shard of the class, into its own folder of the run. */
export function shardScript(o: KubernetesOptions): string {
  const options = [o.hidden ? '--hidden' : '', ...o.exercises.map((id) => `--exercise ${quote(id)}`)].filter(Boolean).join(' ');
  return [
    'set -euo pipefail',
    'shard=$((JOB_COMPLETION_INDEX + 1))',
    `npm run grade -- ${quote(`${o.mountPath}/submissions`)} --shard "$shard/${o.shards}"${options ? ` ${options}` : ''} --out ${quote(runFolder(o))}"/shards/shard-$shard"`,
  ].join('\n');
}

/** The merge pod's init container: waits until every shard wrote its grades.json (the last file a run writes). */
export function waitScript(o: KubernetesOptions): string {
  return [
    'set -u',
    'while :; do',
    '  missing=""',
    `  for k in $(seq 1 ${o.shards}); do [ -f ${quote(runFolder(o))}"/shards/shard-$k/grades.json" ] || missing="$missing $k"; done`,
    '  [ -z "$missing" ] && exit 0',
    '  echo "waiting for the shards:$missing"',
    '  sleep 30',
    'done',
  ].join('\n');
}

export function mergeScript(o: KubernetesOptions): string {
  return ['set -euo pipefail', `npm run grade -- merge ${quote(runFolder(o))}/shards/shard-* --out ${quote(runFolder(o))}/grades`, `cat ${quote(runFolder(o))}/grades/class-summary.md`].join('\n');
}

function podSpec(o: KubernetesOptions, containers: { name: string; script: string; cpu: string }[], init?: { name: string; script: string }) {
  const container = (c: { name: string; script: string; cpu?: string }) => ({
    name: c.name,
    image: o.image,
    workingDir: o.graderDir,
    command: ['bash', '-c', c.script],
    volumeMounts: [{ name: 'class', mountPath: o.mountPath }],
    ...(c.cpu ? { resources: { requests: { cpu: c.cpu, memory: '2Gi' }, limits: { memory: '4Gi' } } } : {}),
  });
  return {
    restartPolicy: 'Never',
    // The grader's own jail (user, network, PID and mount namespaces per submission) needs the
    // unshare/clone calls that the runtime's default seccomp and AppArmor profiles refuse; nothing
    // else: no privileged mode, no added capabilities, no host namespaces.
    securityContext: { seccompProfile: { type: 'Unconfined' }, appArmorProfile: { type: 'Unconfined' } },
    ...(init ? { initContainers: [container(init)] } : {}),
    containers: containers.map(container),
    volumes: [{ name: 'class', persistentVolumeClaim: { claimName: o.claim } }],
  };
}

export function kubernetesJobs(o: KubernetesOptions): Job[] {
  if (!/^[a-z0-9]([-a-z0-9]{0,50}[a-z0-9])?$/.test(o.name)) throw new Error(`--name ${o.name}: a Job name is lowercase letters, digits and "-" (at most 52)`);
  const labels = { 'app.kubernetes.io/name': 'socket-autograder', 'socket-autograder/run': o.name };
  const grade = new Job({
    metadata: { name: o.name, labels },
    spec: {
      completionMode: 'Indexed',
      completions: o.shards,
      parallelism: o.shards,
      // A pod that fails (a node lost) is retried on its own; the other shards go on.
      backoffLimitPerIndex: 2,
      ttlSecondsAfterFinished: 7 * 24 * 3600,
      template: { metadata: { labels }, spec: podSpec(o, [{ name: 'grade', script: shardScript(o), cpu: '2' }]) as never },
    },
  });
  const merge = new Job({
    metadata: { name: `${o.name}-merge`, labels },
    spec: {
      backoffLimit: 2,
      activeDeadlineSeconds: 24 * 3600,
      ttlSecondsAfterFinished: 7 * 24 * 3600,
      template: { metadata: { labels }, spec: podSpec(o, [{ name: 'merge', script: mergeScript(o), cpu: '1' }], { name: 'wait-for-shards', script: waitScript(o) }) as never },
    },
  });
  for (const job of [grade, merge]) job.validate();
  return [grade, merge];
}

export function kubernetesYaml(o: KubernetesOptions): string {
  const header = [
    `# A class graded by a Kubernetes Indexed Job: ${o.shards} pods, each grading one of ${o.shards} shares (--shard K/${o.shards}) of`,
    `# ${o.mountPath}/submissions on the PersistentVolumeClaim "${o.claim}" (ReadWriteMany) into ${runFolder(o)}/shards/,`,
    `# then a merge Job combining them into ${runFolder(o)}/grades (report.html, grades.csv, ...). Apply it once:`,
    '#   kubectl apply -f THIS_FILE',
    `#   kubectl wait --for=condition=complete --timeout=24h job/${o.name}-merge && kubectl logs job/${o.name}-merge`,
    '# Made by: npm run grade -- kubernetes (docs/scaling.md); a new --name for each run.',
  ];
  return `${header.join('\n')}\n${kubernetesJobs(o)
    .map((job) => `---\n${stringify(job.toJSON(), { lineWidth: 0 })}`)
    .join('')}`;
}
