/**
 * Finds the program that implements an exercise in a submission folder and says how to start it.
 *
 * Order: an entry in `run.json` (any language), then `ID.py`, `ID.ts`, `ID.js`. A file that still
 * carries the starter marker (`autograder: starter` in its first lines) does not count: the starters
 * ship in both languages, and only the one the student works on should be graded.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, constants, existsSync, fstatSync, lstatSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, utimesSync, writeSync } from 'node:fs';
import path from 'node:path';
import { buildSync, version as esbuildVersion, type BuildOptions } from 'esbuild';
import { GraderError } from './grader-error';
import { graderCacheFolder, trustedFolder } from './private-dir';
import { manifestCommand, unknownEntriesNote } from './run-json';
import { REPO_ROOT } from './repo';

export { ManifestError } from './run-json';

export const STARTER_MARKER = 'autograder: starter';
/**
 * A folder to build TypeScript programs into, set by grade.ts for one grading run (a private
 * temporary folder of its own); else the user's cache folder (see buildCacheDir).
 */
export const BUILD_CACHE_ENV = 'GRADER_BUILD_CACHE';
export const EXTENSIONS = ['.py', '.ts', '.js'] as const;

export type Language = 'python' | 'typescript' | 'javascript' | 'manifest';

export interface FoundProgram {
  attempted: true;
  exercise: string;
  /** What the student wrote, relative to the submission folder, for messages. */
  source: string;
  language: Language;
  cwd: string;
  command: string;
  args: string[];
  /** Set when the program cannot be built (a TypeScript syntax error): every check reports it. */
  buildError?: string;
  /**
   * Set when the grader could not prepare the program for a reason that is not in it (the build
   * folder unusable, esbuild missing, a full disk): every check is a grading error, never the student's.
   */
  graderError?: string;
}

export interface MissingProgram {
  attempted: false;
  exercise: string;
  reason: string;
}

export type Program = FoundProgram | MissingProgram;

/** The submission folder being graded: a jest global set by the selftest, else GRADER_TARGET, else student/. */
export function targetDir(): string {
  const fromGlobal = (globalThis as { GRADER_TARGET?: string }).GRADER_TARGET;
  return path.resolve(REPO_ROOT, fromGlobal ?? process.env.GRADER_TARGET ?? 'student');
}

export function isStarter(file: string): boolean {
  const head = readFileSync(file, 'utf8').split('\n', 5).join('\n');
  return head.includes(STARTER_MARKER);
}

/** Throws a ManifestError when run.json cannot be used (the student's to fix: see run-json.ts). */
export function findProgram(exercise: string, dir: string = targetDir()): Program {
  const manifest = manifestCommand(exercise, dir);
  if (manifest) {
    const [command, ...args] = manifest;
    return { attempted: true, exercise, source: `run.json → ${manifest.join(' ')}`, language: 'manifest', cwd: dir, command, args };
  }
  const starters: string[] = [];
  for (const ext of EXTENSIONS) {
    const file = path.join(dir, exercise + ext);
    if (!existsSync(file)) continue;
    if (isStarter(file)) {
      starters.push(exercise + ext);
      continue;
    }
    return { attempted: true, exercise, source: exercise + ext, cwd: dir, ...howToRun(file, ext) };
  }
  const reason = starters.length
    ? `only the untouched starter${starters.length > 1 ? 's' : ''} ${starters.join(', ')} (remove the "${STARTER_MARKER}" line when you begin)`
    : `no ${EXTENSIONS.map((e) => exercise + e).join(', ')} and no "${exercise}" entry in run.json`;
  return { attempted: false, exercise, reason: reason + unknownEntriesNote(dir) };
}

function howToRun(file: string, ext: (typeof EXTENSIONS)[number]): Pick<FoundProgram, 'language' | 'command' | 'args' | 'buildError' | 'graderError'> {
  if (ext === '.py') return { language: 'python', command: 'python3', args: [file] };
  if (ext === '.js') return { language: 'javascript', command: process.execPath, args: [file] };
  try {
    const built = buildTypeScript(file);
    if ('error' in built) return { language: 'typescript', command: process.execPath, args: [], buildError: built.error };
    return { language: 'typescript', command: process.execPath, args: ['--enable-source-maps', built.file] };
  } catch (error) {
    return { language: 'typescript', command: process.execPath, args: [], graderError: (error as Error)?.message ?? String(error) };
  }
}

/** What every build uses; part of the cache key, so a change of options never reuses an older build. */
const BUILD_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: 'inline',
  packages: 'external',
} as const satisfies BuildOptions;
/** Changes when what a built file holds changes. */
const BUILD_FORMAT = 'socket-grader-build@2';
/** The last line of a built file: what it was built from, and the hash of everything above it. */
const TRAILER = '//# socket-grader-build ';
const HOUR = 3600 * 1000;
/** Built files not used for this long leave the user's cache. */
const UNUSED_MS = 14 * 24 * HOUR;

interface Trailer {
  key: string;
  sha256: string;
  /** Every file the build read (the program and the modules it imports), with its content hash. */
  inputs: Record<string, string>;
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

let cacheDir: string | undefined;

/**
 * Where built programs go: GRADER_BUILD_CACHE when grade.ts set it (a private folder of the run),
 * else `socket-grader/build` in the user's cache folder when it is private to this user, else a
 * private temporary folder of this process (see private-dir.ts). Never a shared, fixed path.
 */
export function buildCacheDir(): string {
  if (cacheDir) return cacheDir;
  const chosen = process.env[BUILD_CACHE_ENV];
  if (chosen) {
    const trusted = trustedFolder(chosen);
    if (!('dir' in trusted)) throw new GraderError(`the build folder ${BUILD_CACHE_ENV}=${chosen} cannot be used: ${trusted.reason}`);
    cacheDir = trusted.dir;
  } else {
    cacheDir = graderCacheFolder('build');
    pruneCache(cacheDir);
  }
  return cacheDir;
}

/** True for a program this process built (the jail shows that file, read-only, to the program). */
export function isBuiltProgram(file: string): boolean {
  if (!cacheDir || !path.isAbsolute(file) || path.dirname(path.resolve(file)) !== cacheDir || !file.endsWith('.cjs')) return false;
  try {
    return lstatSync(file).isFile();
  } catch {
    return false;
  }
}

/** The cache key of a source version: its path and content, esbuild's version and the build options. */
export function buildKey(file: string, source: Buffer): string {
  return createHash('sha256')
    .update(`${BUILD_FORMAT}\0${esbuildVersion}\0${JSON.stringify(BUILD_OPTIONS)}\0${path.resolve(file)}\0`)
    .update(source)
    .digest('hex');
}

export function builtFileName(file: string, key: string): string {
  return `${path.basename(file, '.ts')}-${key.slice(0, 16)}.cjs`;
}

/**
 * One esbuild pass per source version, cached by content: starting `node x.cjs` costs ~40 ms where
 * a TypeScript loader such as tsx costs several times that on every start (see bench/). A cached
 * file is used only when it is ours and intact (verifiedBuild); anything else is built again.
 *
 * Returns the built file, or `{ error }` when the program does not compile (the compiler's message,
 * with file, line and column: the student's). Throws when the build fails for any other reason
 * (the folder, the disk, esbuild itself): that is the grader's problem, never the student's.
 */
export function buildTypeScript(file: string): { file: string } | { error: string } {
  const source = readFileSync(file);
  const key = buildKey(file, source);
  const dir = buildCacheDir();
  const out = path.join(dir, builtFileName(file, key));
  if (verifiedBuild(out, key)) return { file: out };
  const workingDir = process.cwd();
  let result;
  try {
    // outfile: the source map names the program relative to where the built file is, as node resolves it.
    result = buildSync({ ...BUILD_OPTIONS, entryPoints: [file], outfile: out, write: false, logLevel: 'silent', metafile: true, absWorkingDir: workingDir });
  } catch (error) {
    const errors = (error as { errors?: { text: string; location?: { file: string; line: number; column: number } | null }[] }).errors;
    // A message with a place in the source is about the program; anything else is about esbuild.
    if (!errors?.some((e) => e.location)) throw new GraderError(`esbuild failed: ${(error as Error)?.message ?? error}`);
    const text = errors.map((e) => (e.location ? `${path.basename(e.location.file)}:${e.location.line}:${e.location.column}: ` : '') + e.text).join('\n');
    return { error: `TypeScript did not compile:\n${text}` };
  }
  const inputs: Record<string, string> = {};
  for (const input of Object.keys(result.metafile?.inputs ?? {})) {
    const absolute = path.resolve(workingDir, input);
    if (absolute === path.resolve(file)) inputs[absolute] = sha256(source);
    else if (existsSync(absolute)) inputs[absolute] = sha256(readFileSync(absolute));
  }
  writeBuild(out, key, Buffer.from(result.outputFiles[0].contents), inputs);
  return { file: out };
}

/** Writes a new file next to `out` (never through an existing name or link), then renames it over `out`. */
function writeBuild(out: string, key: string, built: Buffer, inputs: Record<string, string>): void {
  const body = built.length === 0 || built[built.length - 1] === 0x0a ? built : Buffer.concat([built, Buffer.from('\n')]);
  const trailer: Trailer = { key, sha256: sha256(body), inputs };
  const content = Buffer.concat([body, Buffer.from(`${TRAILER}${JSON.stringify(trailer)}\n`)]);
  const temp = path.join(path.dirname(out), `.${path.basename(out)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0), 0o644);
    try {
      for (let done = 0; done < content.length; ) done += writeSync(fd, content, done);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, out);
  } catch (error) {
    rmSync(temp, { force: true });
    throw new GraderError(`the built program could not be written: ${(error as Error).message}`);
  }
}

/**
 * Whether `out` is a build of this source version that can be run: a regular file (not a link),
 * owned by this user and writable by nobody else, whose last line names this key and the hash of the
 * rest, and whose inputs (the program and what it imports) are unchanged.
 */
function verifiedBuild(out: string, key: string): boolean {
  let fd: number;
  try {
    fd = openSync(out, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
  } catch {
    return false; // not there, or a symbolic link
  }
  let content: Buffer;
  try {
    const stat = fstatSync(fd);
    const me = process.getuid?.();
    if (!stat.isFile() || (me !== undefined && stat.uid !== me) || stat.mode & 0o022 || stat.nlink !== 1) return false;
    content = readFileSync(fd);
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
  const at = content.lastIndexOf(TRAILER);
  if (at <= 0 || content[at - 1] !== 0x0a) return false;
  let trailer: Trailer;
  try {
    trailer = JSON.parse(content.subarray(at + TRAILER.length).toString('utf8'));
  } catch {
    return false;
  }
  if (trailer.key !== key || trailer.sha256 !== sha256(content.subarray(0, at))) return false;
  for (const [input, hash] of Object.entries(trailer.inputs ?? {})) {
    try {
      if (sha256(readFileSync(input)) !== hash) return false;
    } catch {
      return false;
    }
  }
  try {
    const now = new Date();
    utimesSync(out, now, now); // in use: pruneCache keeps it
  } catch {
    // only pruning depends on it
  }
  return true;
}

/** At most once a day: removes built files unused for two weeks and temporary files left by a crash. */
function pruneCache(dir: string): void {
  try {
    const stamp = path.join(dir, '.pruned');
    if (existsSync(stamp) && Date.now() - statSync(stamp).mtimeMs < 24 * HOUR) return;
    closeSync(openSync(stamp, 'w'));
    for (const name of readdirSync(dir)) {
      const file = path.join(dir, name);
      const stat = lstatSync(file);
      const age = Date.now() - stat.mtimeMs;
      if ((name.endsWith('.tmp') && age > HOUR) || (name.endsWith('.cjs') && age > UNUSED_MS)) unlinkSync(file);
    }
  } catch {
    // pruning is housekeeping: it never fails a build
  }
}
