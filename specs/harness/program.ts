/**
 * Finds the program that implements an exercise in a submission folder and says how to start it.
 *
 * Order: an entry in `run.json` (any language), then `ID.py`, `ID.ts`, `ID.js`. A file that still
 * carries the starter marker (`autograder: starter` in its first lines) does not count: the starters
 * ship in both languages, and only the one the student works on should be graded.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildSync } from 'esbuild';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const STARTER_MARKER = 'autograder: starter';
/** Where built TypeScript programs are cached (the sandbox lets programs read these files). */
export const BUILD_CACHE = path.join(tmpdir(), 'socket-grader-build');
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

function readManifest(dir: string): Record<string, unknown> {
  const file = path.join(dir, 'run.json');
  if (!existsSync(file)) return {};
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`student/run.json is not valid JSON: ${(error as Error).message}`);
  }
}

export function findProgram(exercise: string, dir: string = targetDir()): Program {
  const manifest = readManifest(dir)[exercise];
  if (manifest !== undefined) {
    if (!Array.isArray(manifest) || manifest.length === 0 || !manifest.every((x) => typeof x === 'string')) {
      throw new Error(`run.json: "${exercise}" must be a non-empty array of strings, like ["./${exercise}", "--flag"]`);
    }
    const [command, ...args] = manifest as string[];
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
  return { attempted: false, exercise, reason };
}

function howToRun(file: string, ext: (typeof EXTENSIONS)[number]): Pick<FoundProgram, 'language' | 'command' | 'args' | 'buildError'> {
  if (ext === '.py') return { language: 'python', command: 'python3', args: [file] };
  if (ext === '.js') return { language: 'javascript', command: process.execPath, args: [file] };
  const built = buildTypeScript(file);
  if ('error' in built) return { language: 'typescript', command: process.execPath, args: [], buildError: built.error };
  return { language: 'typescript', command: process.execPath, args: ['--enable-source-maps', built.file] };
}

/**
 * One esbuild pass per source version, cached by content: starting `node x.cjs` costs ~40 ms where
 * a TypeScript loader such as tsx costs several times that on every start (see bench/).
 */
export function buildTypeScript(file: string): { file: string } | { error: string } {
  const source = readFileSync(file);
  const key = createHash('sha256').update(file).update('\0').update(source).digest('hex').slice(0, 16);
  const out = path.join(BUILD_CACHE, `${path.basename(file, '.ts')}-${key}.cjs`);
  if (existsSync(out)) return { file: out };
  mkdirSync(BUILD_CACHE, { recursive: true });
  try {
    const result = buildSync({
      entryPoints: [file],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      sourcemap: 'inline',
      write: false,
      logLevel: 'silent',
      packages: 'external',
    });
    const temp = `${out}.${process.pid}.tmp`;
    writeFileSync(temp, result.outputFiles[0].contents);
    renameSync(temp, out);
    return { file: out };
  } catch (error) {
    const errors = (error as { errors?: { text: string; location?: { file: string; line: number; column: number } }[] }).errors;
    const text = errors?.length
      ? errors.map((e) => (e.location ? `${path.basename(e.location.file)}:${e.location.line}:${e.location.column}: ` : '') + e.text).join('\n')
      : String(error);
    return { error: `TypeScript did not compile:\n${text}` };
  }
}
