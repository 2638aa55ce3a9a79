/**
 * The interpreters student programs run with (node, python3), found once: `python3` on the PATH may
 * be a shim (pyenv: ~60 ms more per start, a bash script and a second interpreter) or a venv link, so
 * programs are started with the executable it resolves to, which keeps the selected version and a
 * venv's packages. The jail must show their installation folders read-only: they may live outside
 * /usr (nvm, pyenv, a CI tool cache).
 */
import { spawnSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { inheritedOrFound } from './inherited';

const PYTHON = /^python[0-9.]*$/;
const NODE = /^(node|nodejs)$/;
/** Set by the first process that resolves python3, so that the processes it starts need not again. */
const RESOLVED_PYTHON = 'GRADER_PYTHON';
/** Likewise each python command's installation prefixes (inherited.ts). */
const PYTHON_PREFIXES = 'GRADER_PYTHON_PREFIXES';
const INFO = 'import json, sys; print(json.dumps([sys.executable, sys.prefix, sys.base_prefix]))';
const found = new Map<string, string[]>();
/** Asking python3 where it lives takes ~0.1 s; a loaded machine (a selftest beside 4 workers) has taken over 10 s. */
const ASK_TIMEOUT_MS = 60_000;

/** The real executable `python3` runs on this machine (falls back to the bare name if it cannot say). */
export function pythonExecutable(): string {
  const known = process.env[RESOLVED_PYTHON];
  if (known && path.isAbsolute(known)) return known;
  const result = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8', timeout: ASK_TIMEOUT_MS });
  const executable = result.status === 0 ? result.stdout.trim() : '';
  if (!path.isAbsolute(executable)) return 'python3';
  process.env[RESOLVED_PYTHON] = executable;
  return executable;
}

/** The names that mean "the python3 of this machine", started as the executable it resolves to. */
const PYTHON_NAME = /^python3?$/;

/** What to start for `command`: python3's real executable for `python`/`python3`, else the command itself. */
export function executableFor(command: string): string {
  return PYTHON_NAME.test(command) ? pythonExecutable() : command;
}

/** Installation prefixes (folders holding bin/, lib/...) for the interpreters named in `words`. */
export function interpreterMounts(words: string[]): string[] {
  const prefixes = new Set<string>();
  for (const word of words) {
    // Only bare names, looked up on the grader's own PATH, and the executables resolved here: a path a
    // submission chose is never run here.
    const isNode = word === process.execPath || NODE.test(word);
    if (!isNode && !PYTHON.test(word) && word !== process.env[RESOLVED_PYTHON]) continue;
    // A bare python3 is asked as the executable it resolves to, whose answer jest's parent found already.
    if (!found.has(word)) found.set(word, isNode ? [nodePrefix()] : knownPythonPrefixes(executableFor(word)));
    for (const prefix of found.get(word)!) prefixes.add(prefix);
  }
  return [...prefixes];
}

/** Python's prefixes, asked once per command and PATH by the first process and told to the processes it starts. */
function knownPythonPrefixes(command: string): string[] {
  return inheritedOrFound(PYTHON_PREFIXES, `${command}\0${process.env.PATH}`, () => pythonPrefixes(command), (prefixes) => prefixes.length > 0);
}

function nodePrefix(): string {
  return path.dirname(path.dirname(realpathSync(process.execPath)));
}

function pythonPrefixes(command: string): string[] {
  const result = spawnSync(command, ['-c', INFO], { encoding: 'utf8', timeout: ASK_TIMEOUT_MS });
  if (result.status !== 0) return [];
  try {
    const [executable, prefix, basePrefix] = JSON.parse(result.stdout) as string[];
    // The executable of a venv links into the base installation: both must be visible.
    const real = path.dirname(path.dirname(realpathSync(executable)));
    return [...new Set([prefix, basePrefix, real].map((p) => path.resolve(p)))];
  } catch {
    return [];
  }
}
