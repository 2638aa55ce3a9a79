/**
 * Runs the current command again inside the submission namespaces of isolation.ts, when this
 * machine has them, so that `npm test` and `ci-grade` give the specs and the student's programs a
 * loopback of their own (nothing else reachable, no port clash with anything on the machine) and
 * everything they start dies with them. Says once which protections are active.
 */
import { spawn } from 'node:child_process';
import { describeSandbox } from '../specs/harness/sandbox-support';
import { beginRun } from '../specs/harness/run-temp';
import { sandboxSupport } from '../specs/harness/sandbox';
import { detectIsolation } from './isolation';

const INSIDE = 'GRADER_ISOLATED';

/**
 * A front end's start: this run's temp folders, then the isolated re-run. True when the caller is to
 * go on by itself; false when the re-run did the work (its exit code is then this process's).
 */
export async function goOnIsolated(): Promise<boolean> {
  beginRun();
  const code = await rerunIsolated();
  if (code === undefined) return true;
  process.exitCode = code;
  return false;
}

/**
 * Resolves with the exit code of the isolated re-run, or with undefined when the caller should go
 * on by itself (already inside, isolation not available, or GRADER_ISOLATE=off).
 */
export async function rerunIsolated(): Promise<number | undefined> {
  if (process.env[INSIDE] === '1') return undefined;
  const isolation = detectIsolation();
  if (!isolation.active || process.env.GRADER_ISOLATE === 'off') {
    process.stderr.write(`${describeSandbox(sandboxSupport())}\n`);
    return undefined;
  }
  process.stderr.write(`Grading runs isolated: ${isolation.protections.join(', ')}.\n`);
  const { command, args } = isolation.wrap(process.execPath, [...process.execArgv, ...process.argv.slice(1)]);
  const child = spawn(command, args, { stdio: 'inherit', env: { ...process.env, [INSIDE]: '1' } });
  // Ctrl-C reaches the whole foreground group, the child included: let it finish its own way.
  const ignore = () => undefined;
  process.on('SIGINT', ignore);
  return new Promise((resolve) => {
    child.once('error', (error) => {
      process.stderr.write(`isolation failed (${error.message}): running without it\n`);
      resolve(undefined);
    });
    child.once('close', (code, signal) => {
      process.off('SIGINT', ignore);
      resolve(code ?? (signal ? 128 + 2 : 1));
    });
  });
}
