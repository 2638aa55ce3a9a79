/**
 * Which of a submission's files are graded. Only the student's programs are taken; everything that
 * decides how they are graded (specs, reference, package files, configs) comes from the grader.
 *
 * The rule: every regular file under the submission's student/ folder (or, without one, under the
 * submission itself, or under its single top folder), at any depth, except
 *   - files and folders whose name starts with "." (.git, .venv, .vscode, .DS_Store...),
 *   - anything inside node_modules, __pycache__, __MACOSX, venv, specs or reference folders,
 *   - package and tool configs (package.json, lock files, tsconfig*.json, jest/babel configs).
 * Symbolic links are never followed or copied. At most DEFAULT_SUBMISSION_LIMITS.maxFiles files and maxBytes bytes.
 */
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, lstatSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { mib, SubmissionError, type SubmissionLimits } from './submission-limits';

const SKIPPED_FOLDERS = new Set(['node_modules', '__pycache__', '__MACOSX', 'venv', 'specs', 'reference']);
const GRADER_FILES = /^(package\.json|package-lock\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml|bun\.lockb?|tsconfig(\..+)?\.json|(jest|babel|vitest)\.config\.[cm]?[jt]s(on)?)$/;

/** True when a relative path (any separator) is never taken, whatever folder it is in. */
export function isExcluded(relative: string): boolean {
  const parts = relative.split(/[\\/]/).filter((p) => p !== '' && p !== '.');
  const file = parts.at(-1) ?? '';
  return parts.some((p) => p.startsWith('.')) || parts.slice(0, -1).some((p) => SKIPPED_FOLDERS.has(p)) || SKIPPED_FOLDERS.has(file) || GRADER_FILES.test(file);
}

function isFolder(file: string): boolean {
  try {
    return lstatSync(file).isDirectory();
  } catch {
    return false;
  }
}

/** The folder holding the student's programs: student/, else the only top folder (an archive's "alice/"), else the root. */
export function locateStudentDir(root: string, depth = 0): string {
  if (isFolder(path.join(root, 'student'))) return path.join(root, 'student');
  const entries = readdirSync(root).filter((entry) => !isExcluded(entry));
  if (depth < 3 && entries.length === 1 && isFolder(path.join(root, entries[0]))) return locateStudentDir(path.join(root, entries[0]), depth + 1);
  return root;
}

/** The files taken from a student folder, relative (with "/"), sorted; limits enforced. */
export function takenFiles(studentDir: string, limits: Pick<SubmissionLimits, 'maxFiles' | 'maxBytes'>): string[] {
  const taken: string[] = [];
  let bytes = 0;
  const walk = (relative: string) => {
    for (const entry of readdirSync(path.join(studentDir, relative), { withFileTypes: true })) {
      const child = relative ? `${relative}/${entry.name}` : entry.name;
      if (isExcluded(child)) continue;
      if (entry.isDirectory()) walk(child);
      if (!entry.isFile()) continue; // links, sockets, devices
      bytes += lstatSync(path.join(studentDir, child)).size;
      taken.push(child);
      if (taken.length > limits.maxFiles) throw new SubmissionError(`more than ${limits.maxFiles} files in the student folder (node_modules and hidden folders are not counted): remove what is not part of your programs`);
      if (bytes > limits.maxBytes) throw new SubmissionError(`the student folder's files add up to more than ${mib(limits.maxBytes)}: remove what is not part of your programs`);
    }
  };
  walk('');
  return taken.sort();
}

export interface CopiedStudent {
  dir: string;
  files: string[];
  /** sha256 of the taken files' names and contents: the same files give the same hash. */
  hash: string;
}

/** Copies the taken files of `studentDir` into `dest` (created), keeping the executable bit. */
export function copyStudentFiles(studentDir: string, dest: string, limits: Pick<SubmissionLimits, 'maxFiles' | 'maxBytes'>): CopiedStudent {
  const files = takenFiles(studentDir, limits);
  const hash = createHash('sha256');
  mkdirSync(dest, { recursive: true });
  for (const file of files) {
    const from = path.join(studentDir, file);
    const to = path.join(dest, file);
    mkdirSync(path.dirname(to), { recursive: true });
    copyFileSync(from, to);
    chmodSync(to, lstatSync(from).mode & 0o111 ? 0o755 : 0o644);
    const content = readFileSync(to);
    hash.update(`${file}\0${content.length}\0`).update(content);
  }
  return { dir: dest, files, hash: hash.digest('hex') };
}
