/**
 * The installation folders of the interpreters a command line uses (node, python3), which the jail
 * must show read-only: they may live outside /usr (nvm, pyenv, a CI tool cache), and `python3` on
 * the PATH may be a shim that only works with its whole tree. Found once per process.
 */
import { spawnSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import path from 'node:path';

const PYTHON = /^python[0-9.]*$/;
const NODE = /^(node|nodejs)$/;
const found = new Map<string, string[]>();

/** Installation prefixes (folders holding bin/, lib/...) for the interpreters named in `words`. */
export function interpreterMounts(words: string[]): string[] {
  const prefixes = new Set<string>();
  for (const word of words) {
    // Only bare names, looked up on the grader's own PATH: a path a submission chose is never run here.
    const isNode = word === process.execPath || NODE.test(word);
    if (!isNode && !PYTHON.test(word)) continue;
    if (!found.has(word)) found.set(word, isNode ? [nodePrefix()] : pythonPrefixes(word));
    for (const prefix of found.get(word)!) prefixes.add(prefix);
  }
  return [...prefixes];
}

function nodePrefix(): string {
  return path.dirname(path.dirname(realpathSync(process.execPath)));
}

function pythonPrefixes(command: string): string[] {
  const script = 'import json, sys; print(json.dumps([sys.prefix, sys.base_prefix, sys.executable]))';
  const result = spawnSync(command, ['-c', script], { encoding: 'utf8', timeout: 10_000 });
  if (result.status !== 0) return [];
  try {
    const [prefix, basePrefix, executable] = JSON.parse(result.stdout) as string[];
    // The executable of a venv links into the base installation: both must be visible.
    const real = path.dirname(path.dirname(realpathSync(executable)));
    return [...new Set([prefix, basePrefix, real].map((p) => path.resolve(p)))];
  } catch {
    return [];
  }
}
