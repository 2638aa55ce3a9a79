/**
 * A git repository submission is graded as committed at HEAD (uncommitted changes are not part of
 * it). Files are read with git's plumbing (ls-tree, cat-file), never `git archive` or a checkout: those
 * run filters and hooks the repository's own config could name. No system or user config is read.
 */
import { execFile } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { runTempFolder } from '../../specs/harness/run-temp';
import { SubmissionError, type SubmissionLimits } from '../submission-limits';
import { ExtractionSink, type EntryType } from './sink';

interface TreeEntry {
  mode: string;
  oid: string;
  size: number;
  path: string;
}

function git(repo: string, config: string, args: string[], input?: string, maxBuffer = 64 * 1024 * 1024): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      ['-C', repo, '-c', 'core.fsmonitor=false', ...args],
      {
        encoding: 'buffer',
        maxBuffer,
        timeout: 60_000,
        env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: config, GIT_TERMINAL_PROMPT: '0', GIT_NO_REPLACE_OBJECTS: '1', GIT_OPTIONAL_LOCKS: '0' },
      },
      (error, stdout, stderr) => (error ? reject(new Error(`git ${args[0]}: ${stderr.toString().trim() || error.message}`)) : resolve(stdout)),
    );
    child.stdin?.end(input);
  });
}

function parseTree(listing: Buffer): TreeEntry[] {
  return listing
    .toString('utf8')
    .split('\0')
    .filter(Boolean)
    .map((line) => {
      const [meta, file] = [line.slice(0, line.indexOf('\t')), line.slice(line.indexOf('\t') + 1)];
      const [mode, , oid, size] = meta.split(/ +/);
      return { mode, oid, size: Number(size) || 0, path: file };
    });
}

/** Splits `git cat-file --batch` output into the objects' contents, in the order asked. */
function parseBatch(output: Buffer): Buffer[] {
  const contents: Buffer[] = [];
  let at = 0;
  while (at < output.length) {
    const eol = output.indexOf(10, at);
    const size = Number(output.subarray(at, eol).toString().split(' ')[2]);
    contents.push(output.subarray(eol + 1, eol + 1 + size));
    at = eol + 1 + size + 1;
  }
  return contents;
}

const typeOf = (mode: string): EntryType => (mode === '120000' ? 'symlink' : mode.startsWith('100') ? 'file' : 'other');

export async function exportGitHead(repo: string, dest: string, limits: SubmissionLimits): Promise<void> {
  // A user config of our own: trust this repository whoever owns it, and nothing else from outside.
  const configDir = runTempFolder('grade-git-');
  const config = path.join(configDir, 'gitconfig');
  writeFileSync(config, '[safe]\n\tdirectory = *\n');
  try {
    try {
      await git(repo, config, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}']);
    } catch {
      throw new SubmissionError('the git repository has no commit at HEAD: nothing to grade (only committed files are graded)');
    }
    const entries = parseTree(await git(repo, config, ['ls-tree', '-r', '-z', '-l', '--full-tree', 'HEAD']));
    const read = async (wanted: TreeEntry[]) =>
      wanted.length ? parseBatch(await git(repo, config, ['cat-file', '--batch'], wanted.map((e) => `${e.oid}\n`).join(''), limits.maxArchiveBytes * 2)) : [];
    const links = entries.filter((e) => typeOf(e.mode) === 'symlink');
    const linkTargets = new Map((await read(links)).map((content, i) => [links[i].path, content.toString('utf8')]));
    const sink = new ExtractionSink(dest, limits);
    const admitted: { entry: TreeEntry; target: string }[] = [];
    for (const entry of entries) {
      const target = sink.admit({ name: entry.path, type: typeOf(entry.mode), size: entry.size, linkTarget: linkTargets.get(entry.path), mode: parseInt(entry.mode, 8) });
      if (target) admitted.push({ entry, target });
    }
    const contents = await read(admitted.map((a) => a.entry));
    for (const [i, { entry, target }] of admitted.entries()) await sink.write(target, Readable.from([contents[i]]), parseInt(entry.mode, 8));
  } catch (error) {
    if (error instanceof SubmissionError) throw error;
    throw new SubmissionError(`the git repository could not be read: ${(error as Error).message}`);
  } finally {
    rmSync(configDir, { recursive: true, force: true });
  }
}
