/**
 * What is in a folder of submissions: each entry is one submission, a folder (holding student/ or
 * being one), a git repository, or a .zip / .tar.gz archive. Names are the entry's name without its
 * archive extension; `--shard K/N` takes a deterministic share of them.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

export type SubmissionKind = 'folder' | 'git' | 'zip' | 'tar.gz';

export interface Submission {
  name: string;
  path: string;
  kind: SubmissionKind;
}

const ARCHIVES: [string, SubmissionKind][] = [
  ['.tar.gz', 'tar.gz'],
  ['.tgz', 'tar.gz'],
  ['.zip', 'zip'],
];

/** The kind of one entry, or undefined for files that are not submissions (a README, a CSV...). */
export function kindOf(entry: string): SubmissionKind | undefined {
  if (statSync(entry).isDirectory()) return existsSync(path.join(entry, '.git')) ? 'git' : 'folder';
  return ARCHIVES.find(([ext]) => entry.toLowerCase().endsWith(ext))?.[1];
}

function stripArchiveExtension(file: string): string {
  const ext = ARCHIVES.find(([e]) => file.toLowerCase().endsWith(e))?.[0];
  return ext ? file.slice(0, -ext.length) : file;
}

/** Code-unit order, not the locale's: shards must be the same on every machine. */
export function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

export interface Found {
  submissions: Submission[];
  /** Entries that are not submissions, to mention once. */
  ignored: string[];
}

export function findSubmissions(root: string): Found {
  const ignored: string[] = [];
  const found: Submission[] = [];
  for (const entry of readdirSync(root).sort()) {
    if (entry.startsWith('.')) continue;
    const full = path.join(root, entry);
    const kind = kindOf(full);
    if (!kind) ignored.push(entry);
    else found.push({ name: stripArchiveExtension(entry), path: full, kind });
  }
  // alice/ and alice.zip side by side: both keep their full entry name so neither overwrites the other.
  const counts = new Map<string, number>();
  for (const s of found) counts.set(s.name, (counts.get(s.name) ?? 0) + 1);
  const submissions = found.map((s) => (counts.get(s.name)! > 1 ? { ...s, name: path.basename(s.path) } : s));
  return { submissions: submissions.sort(byName), ignored };
}

/** One submission given directly (Gradescope's /autograder/submission). */
export function singleSubmission(entry: string, name?: string): Submission {
  const kind = kindOf(entry);
  if (!kind) throw new Error(`${entry} is neither a folder nor a .zip / .tar.gz archive`);
  return { name: name ?? stripArchiveExtension(path.basename(path.resolve(entry))), path: entry, kind };
}

export interface Shard {
  index: number;
  count: number;
}

export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || index < 1 || index > count) throw new Error(`--shard must be K/N with 1 <= K <= N, like 2/4 (got "${text}")`);
  return { index, count };
}

/** Every count-th submission of the list sorted by name, starting at the index-th: balanced and the same on every machine. */
export function selectShard<T extends { name: string }>(items: T[], shard: Shard | undefined): T[] {
  if (!shard) return items;
  return [...items].sort(byName).filter((_, i) => i % shard.count === shard.index - 1);
}
