/**
 * Runs the current command again inside the submission namespaces of isolation.ts, when this
 * machine has them, so that `npm test` and `ci-grade` give the specs and the student's programs a
 * loopback of their own (nothing else reachable, no port clash with anything on the machine) and
 * everything they start dies with them. Says once which protections are active.
 */
import { spawn } from 'node:child_process';
import { describeSandbox } from '../specs/harness/sandbox-support';
import { sandboxSupport } from '../specs/harness/sandbox';
import { detectIsolation } from './isolation';

const INSIDE = 'GRADER_ISOLATED';

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
