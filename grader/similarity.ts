/**
 * `grade --similarity`: per exercise and language, how alike the submissions' programs are, with
 * Dolos (tools/similarity, Ghent University's plagiarism detector, run as a child process). The
 * starter of the exercise is left out (Dolos ignores code that is in it), so the shared skeleton
 * does not make everyone alike. Only the program file of each exercise (ID.py, ID.ts, ID.js) is read.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { EXTENSIONS, isStarter } from '../specs/harness/program';
import { REPO_ROOT } from '../specs/harness/repo';
import { runTempFolder } from '../specs/harness/run-temp';
import type { SubmissionLimits } from './submission-limits';
import { prepareSubmission } from './prepare';
import type { Submission } from './submissions';

export const DOLOS_DIR = path.join(REPO_ROOT, 'tools', 'similarity');
/** Pairs at or above this similarity are flagged for a TA to look at. */
export const FLAG_SIMILARITY = 0.75;
/** Most similar pairs kept per exercise and language. */
const TOP_PAIRS = 20;
const MAX_FRAGMENTS = 8;
const MAX_FRAGMENT_LINES = 40;
/** Dolos reads every file of a class at once; a class of 1,000 takes well under this. */
const ANALYSIS_TIMEOUT_MS = 15 * 60_000;

export type SimilarityLanguage = 'python' | 'typescript';

export interface SharedLines {
  /** 1-based, inclusive. */
  from: number;
  to: number;
  lines: string[];
  /** Lines left out past MAX_FRAGMENT_LINES. */
  cut?: number;
}

export interface SimilarPair {
  left: string;
  right: string;
  /** 0..1: the share of both programs' fingerprints that they share (Dolos's similarity). */
  similarity: number;
  /** The longest shared fragment, in k-grams. */
  longest: number;
  flagged: boolean;
  fragments: { left: SharedLines; right: SharedLines }[];
}

export interface ExerciseSimilarity {
  exercise: string;
  language: SimilarityLanguage;
  /** Submissions whose program for it was analysed. */
  programs: number;
  /** Whether the exercise's starter was found and left out. */
  starterLeftOut: boolean;
  pairs: SimilarPair[];
}

export interface SimilarityReport {
  analysedAt: string;
  flagAt: number;
  submissions: number;
  /** Submissions that could not be read (the grading reports why). */
  unreadable: string[];
  exercises: ExerciseSimilarity[];
}

export function similarityToolInstalled(): boolean {
  return existsSync(path.join(DOLOS_DIR, 'node_modules', '@dodona', 'dolos-lib', 'package.json'));
}

/**
 * Installs Dolos into tools/similarity the first time it is needed (`npm ci`, from its own lockfile:
 * it builds its parsers with node-gyp, so python3, make and a C++ compiler; about 2 minutes), so that
 * `npm ci` stays quick for students, who never need it. Throws with npm's last lines when it fails.
 */
export function ensureSimilarityTool(say: (line: string) => void): void {
  if (similarityToolInstalled()) return;
  say('similarity: installing Dolos into tools/similarity once (it builds its parsers: about 2 minutes)');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const run = spawnSync(npm, ['ci', '--no-audit', '--no-fund', '--prefix', DOLOS_DIR], { cwd: DOLOS_DIR, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.status === 0 && similarityToolInstalled()) return;
  const tail = `${run.stdout ?? ''}${run.stderr ?? ''}`.trim().split('\n').slice(-8).join('\n');
  throw new Error(`could not install Dolos for the similarity analysis (npm ci --prefix tools/similarity ${run.error ? `did not start: ${run.error.message}` : `exited with ${run.status ?? run.signal}`}); it needs the npm registry, python3, make and a C++ compiler:\n${tail}`);
}

const LANGUAGE: Record<(typeof EXTENSIONS)[number], SimilarityLanguage> = { '.py': 'python', '.ts': 'typescript', '.js': 'typescript' };

interface Group {
  exercise: string;
  language: SimilarityLanguage;
  owners: string[];
  files: string[];
  ignore?: string;
}

interface DolosPair {
  left: number;
  right: number;
  similarity: number;
  longest: number;
  fragments: { left: { startRow: number; endRow: number }; right: { startRow: number; endRow: number } }[];
}

/** The exercise's starter in this language, when the repository still has it (it carries the starter marker). */
function starterOf(exercise: string, language: SimilarityLanguage): string | undefined {
  const file = path.join(REPO_ROOT, 'student', `${exercise}${language === 'python' ? '.py' : '.ts'}`);
  return existsSync(file) && isStarter(file) ? file : undefined;
}

function groupPrograms(students: { name: string; dir: string }[], exercises: string[]): Group[] {
  const groups = new Map<string, Group>();
  for (const exercise of exercises) {
    for (const { name, dir } of students) {
      for (const ext of EXTENSIONS) {
        const file = path.join(dir, exercise + ext);
        if (!existsSync(file) || isStarter(file)) continue;
        const language = LANGUAGE[ext];
        const key = `${exercise}\0${language}`;
        const group = groups.get(key) ?? { exercise, language, owners: [], files: [], ignore: starterOf(exercise, language) };
        group.owners.push(name);
        group.files.push(file);
        groups.set(key, group);
      }
    }
  }
  return [...groups.values()];
}

/** Runs tools/similarity/analyze.mjs on the groups; its process group is killed on timeout or abort. */
function runDolos(groups: Group[], signal?: AbortSignal): Promise<{ pairs: DolosPair[] }[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(DOLOS_DIR, 'analyze.mjs')], { cwd: DOLOS_DIR, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    const kill = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(kill, ANALYSIS_TIMEOUT_MS);
    signal?.addEventListener('abort', kill, { once: true });
    const [out, err]: Buffer[][] = [[], []];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code, killedBy) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', kill);
      const stderr = Buffer.concat(err).toString('utf8').trim().split('\n').slice(-5).join('\n');
      if (code !== 0) return reject(new Error(`the similarity analysis (Dolos) ${killedBy ? `was stopped (${signal?.aborted ? 'interrupted' : `over ${ANALYSIS_TIMEOUT_MS / 60_000} minutes`})` : `failed with exit code ${code}`}${stderr ? `:\n${stderr}` : ''}`));
      try {
        resolve((JSON.parse(Buffer.concat(out).toString('utf8')) as { groups: { pairs: DolosPair[] }[] }).groups);
      } catch (error) {
        reject(new Error(`the similarity analysis (Dolos) answered what is not JSON: ${(error as Error).message}`));
      }
    });
    child.stdin.end(JSON.stringify({ top: TOP_PAIRS, groups: groups.map((g) => ({ language: g.language, files: g.files, ignore: g.ignore })) }));
  });
}

type Fragment = DolosPair['fragments'][number];

/** Dolos's fragments overlap where a shared run of tokens continues: one block of lines per run, in order. */
export function mergeRanges(fragments: Fragment[]): Fragment[] {
  const touches = (a: Row, b: Row) => b.startRow <= a.endRow + 1 && b.endRow >= a.startRow - 1;
  const merged: Fragment[] = [];
  for (const f of [...fragments].sort((x, y) => x.left.startRow - y.left.startRow || x.right.startRow - y.right.startRow)) {
    const last = merged.at(-1);
    if (last && touches(last.left, f.left) && touches(last.right, f.right)) {
      last.left = span(last.left, f.left);
      last.right = span(last.right, f.right);
    } else merged.push({ left: { ...f.left }, right: { ...f.right } });
  }
  return merged;
}

type Row = Fragment['left'];
const span = (a: Row, b: Row): Row => ({ startRow: Math.min(a.startRow, b.startRow), endRow: Math.max(a.endRow, b.endRow) });

function sharedLines(text: string[], startRow: number, endRow: number): SharedLines {
  const lines = text.slice(startRow, endRow + 1);
  const cut = lines.length > MAX_FRAGMENT_LINES ? lines.length - MAX_FRAGMENT_LINES : 0;
  return { from: startRow + 1, to: endRow + 1, lines: lines.slice(0, MAX_FRAGMENT_LINES), ...(cut ? { cut } : {}) };
}

export interface SimilarityOptions {
  submissions: Submission[];
  exercises: string[];
  limits: SubmissionLimits;
  signal?: AbortSignal;
}

export async function analyseSimilarity({ submissions, exercises, limits, signal }: SimilarityOptions): Promise<SimilarityReport> {
  const work = runTempFolder('grade-similarity-');
  try {
    const students: { name: string; dir: string }[] = [];
    const unreadable: string[] = [];
    for (const submission of submissions) {
      const dir = path.join(work, String(students.length + unreadable.length));
      try {
        await prepareSubmission(submission, dir, limits);
        students.push({ name: submission.name, dir: path.join(dir, 'student') });
      } catch {
        unreadable.push(submission.name);
      }
    }
    const groups = groupPrograms(students, exercises);
    const analysed = groups.length ? await runDolos(groups, signal) : [];
    const texts = new Map<string, string[]>();
    const linesOf = (file: string) => texts.get(file) ?? texts.set(file, readFileSync(file, 'utf8').split(/\r?\n/)).get(file)!;
    const results = groups.map((group, i): ExerciseSimilarity => ({
      exercise: group.exercise,
      language: group.language,
      programs: group.files.length,
      starterLeftOut: group.ignore !== undefined,
      pairs: analysed[i].pairs.map((pair) => {
        // Named in name order, whatever order Dolos read them in.
        const swap = group.owners[pair.left].localeCompare(group.owners[pair.right]) > 0;
        const [a, b] = swap ? [pair.right, pair.left] : [pair.left, pair.right];
        const ranges = mergeRanges(pair.fragments.map((f) => (swap ? { left: f.right, right: f.left } : f)));
        const fragments = ranges.slice(0, MAX_FRAGMENTS).map((f) => ({ left: sharedLines(linesOf(group.files[a]), f.left.startRow, f.left.endRow), right: sharedLines(linesOf(group.files[b]), f.right.startRow, f.right.endRow) }));
        return { left: group.owners[a], right: group.owners[b], similarity: pair.similarity, longest: pair.longest, flagged: pair.similarity >= FLAG_SIMILARITY, fragments };
      }),
    }));
    return { analysedAt: new Date().toISOString(), flagAt: FLAG_SIMILARITY, submissions: submissions.length, unreadable, exercises: results.sort((a, b) => a.exercise.localeCompare(b.exercise) || a.language.localeCompare(b.language)) };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
