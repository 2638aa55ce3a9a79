/**
 * A one-node Slurm cluster for a test, started and stopped by it: munged with a fresh key on its own
 * socket, slurmctld and slurmd on free loopback ports, everything (config, state, spool, logs) in one
 * temporary folder; no systemd (proctrack/linuxproc, task/none), no accounting database. Needs
 * Debian's slurmctld, slurmd, slurm-client and munge (.ci/run installs them).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import getPort from 'get-port';
import { waitUntil } from './wait';

export const SLURM_PROGRAMS = ['munged', 'slurmctld', 'slurmd', 'sbatch', 'sinfo', 'squeue', 'scontrol'];

export function missingSlurmPrograms(): string[] {
  const dirs = (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin']);
  return SLURM_PROGRAMS.filter((p) => !dirs.some((d) => existsSync(path.join(d, p))));
}

const sbin = (program: string) => ['/usr/sbin', '/sbin'].map((d) => path.join(d, program)).find(existsSync) ?? program;

export interface SlurmCluster {
  /** The environment that points Slurm's commands at this cluster (SLURM_CONF). */
  env: Record<string, string>;
  folder: string;
  /** Runs a Slurm command against the cluster and returns what it printed. */
  command(program: string, args: string[]): string;
  /** The daemons' logs' last lines, for a failure message. */
  logs(): string;
  /** Stops every job and daemon; resolves to the processes of the cluster still alive (none, unless something is wrong). */
  stop(): Promise<number[]>;
}

export async function startSlurmCluster(): Promise<SlurmCluster> {
  const folder = mkdtempSync(path.join(tmpdir(), 'grade-slurm-'));
  for (const sub of ['munge', 'state', 'spool', 'log']) mkdirSync(path.join(folder, sub), { mode: 0o700 });
  const key = path.join(folder, 'munge', 'munge.key');
  writeFileSync(key, randomBytes(1024), { mode: 0o400 });
  const socket = path.join(folder, 'munge', 'munge.socket');
  const [ctldPort, slurmdPort] = [await getPort({ host: '127.0.0.1' }), await getPort({ host: '127.0.0.1' })];
  const user = userInfo().username;
  const host = hostname().split('.')[0];
  const conf = path.join(folder, 'slurm.conf');
  writeFileSync(
    conf,
    [
      'ClusterName=gradertest',
      `SlurmctldHost=${host}(127.0.0.1)`,
      `SlurmctldPort=${ctldPort}`,
      `SlurmdPort=${slurmdPort}`,
      'AuthType=auth/munge',
      `AuthInfo=socket=${socket}`,
      'CredType=cred/munge',
      `SlurmUser=${user}`,
      `SlurmdUser=${user}`,
      `StateSaveLocation=${path.join(folder, 'state')}`,
      `SlurmdSpoolDir=${path.join(folder, 'spool')}`,
      `SlurmctldPidFile=${path.join(folder, 'slurmctld.pid')}`,
      `SlurmdPidFile=${path.join(folder, 'slurmd.pid')}`,
      `SlurmctldLogFile=${path.join(folder, 'log', 'slurmctld.log')}`,
      `SlurmdLogFile=${path.join(folder, 'log', 'slurmd.log')}`,
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'JobAcctGatherType=jobacct_gather/none',
      'AccountingStorageType=accounting_storage/none',
      'SchedulerType=sched/backfill',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_CPU',
      'ReturnToService=2',
      'MpiDefault=none',
      `NodeName=gradernode NodeHostname=${host} NodeAddr=127.0.0.1 CPUs=2 RealMemory=4000 State=UNKNOWN`,
      'PartitionName=grading Nodes=gradernode Default=YES MaxTime=INFINITE State=UP',
      '',
    ].join('\n'),
  );
  chmodSync(conf, 0o644);
  const env = { SLURM_CONF: conf };
  const daemons: ChildProcess[] = [];
  const start = (program: string, args: string[]) => {
    const out = path.join(folder, 'log', `${program}.out`);
    // Each in a process group of its own, so that stop() ends it with whatever it started.
    const child = spawn(sbin(program), args, { env: { ...process.env, ...env }, detached: true, stdio: ['ignore', 'ignore', 'ignore'] });
    child.on('error', (error) => writeFileSync(out, String(error)));
    daemons.push(child);
  };
  const command = (program: string, args: string[]) => execFileSync(program, args, { env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const logs = () =>
    readdirSync(path.join(folder, 'log'))
      .map((f) => `== ${f}\n${readFileSync(path.join(folder, 'log', f), 'utf8').trim().split('\n').slice(-15).join('\n')}`)
      .join('\n');
  const stop = async () => {
    // Jobs first (a failed test may leave some running), then whatever still carries this cluster's config.
    try {
      command('scancel', ['--user', user, '--full']);
      await waitUntil(() => command('squeue', ['-h', '-o', '%i']).trim() === '', 30_000, 200);
    } catch {
      // the controller is not up
    }
    for (const pid of processesWith(`SLURM_CONF=${conf}`)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // ended meanwhile
      }
    }
    for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
      for (const child of daemons) {
        try {
          process.kill(-child.pid!, signal);
        } catch {
          // already ended
        }
      }
      if (await waitUntil(() => daemons.every((d) => d.exitCode !== null || d.signalCode !== null), 10_000, 100)) break;
    }
    const alive = [...daemons.filter((d) => d.exitCode === null && d.signalCode === null).map((d) => d.pid!), ...processesWith(`SLURM_CONF=${conf}`)];
    rmSync(folder, { recursive: true, force: true });
    return alive;
  };
  try {
    start('munged', ['-F', '-f', '-S', socket, `--key-file=${key}`, `--log-file=${path.join(folder, 'log', 'munged.log')}`, `--pid-file=${path.join(folder, 'munge', 'munged.pid')}`, `--seed-file=${path.join(folder, 'munge', 'seed')}`]);
    if (!(await waitUntil(() => existsSync(socket), 30_000, 50))) throw new Error('munged did not create its socket within 30 s');
    start('slurmctld', ['-D', '-i']);
    start('slurmd', ['-D', '-N', 'gradernode']);
    const idle = () => {
      try {
        return command('sinfo', ['-h', '-o', '%T']).trim() === 'idle';
      } catch {
        return false;
      }
    };
    if (!(await waitUntil(idle, 60_000, 200))) throw new Error('the node did not become idle within 60 s');
  } catch (error) {
    const message = `the one-node Slurm cluster did not start: ${(error as Error).message}\n${logs()}`;
    await stop();
    throw new Error(message);
  }
  return { env, folder, command, logs, stop };
}

/** Processes (other than this one) whose environment holds `entry`. */
function processesWith(entry: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      // A zombie runs nothing: it only waits for its parent.
      if (/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))) continue;
      if (readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(entry)) found.push(pid);
    } catch {
      // ended, or not ours to read
    }
  }
  return found;
}
