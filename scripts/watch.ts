/**
 * `npm run watch [-- EXERCISE...]`: grades, then re-grades an exercise each time its file in
 * student/ changes (run.json or a helper module: every exercise watched). Runs never overlap: changes
 * made during a run are graded right after it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { watch } from 'node:fs';
import path from 'node:path';
import { ALL, changedExercises } from '../grader/cli/changed-exercises';
import { knownExercises, parseExerciseIds } from '../grader/cli/exercises';
import { REPO_ROOT } from '../specs/harness/repo';

/** Editors save in several steps (write, rename, chmod): they are gathered into one run. */
const SETTLE_MS = 300;

const known = knownExercises();
const selected = readSelection();
const watched = selected.length ? selected : known;
const studentDir = path.resolve(REPO_ROOT, process.env.GRADER_TARGET ?? 'student');

let running: ChildProcess | undefined;
let pending = new Set<string>(watched);
let settle: NodeJS.Timeout | undefined;

function grade(): void {
  if (running || pending.size === 0) return;
  const ids = pending.size === watched.length ? selected : [...pending].sort();
  pending = new Set();
  console.log(`\n── grading ${ids.length ? ids.join(', ') : 'every exercise'} ──`);
  running = spawn(process.execPath, [require.resolve('tsx/cli'), path.join(__dirname, 'test.ts'), ...ids], { cwd: REPO_ROOT, stdio: 'inherit' });
  running.on('exit', () => {
    running = undefined;
    console.log(`\nwatching ${path.relative(process.cwd(), studentDir) || '.'}/ for changes (Ctrl-C to stop)`);
    grade();
  });
}

const watcher = watch(studentDir, { recursive: true }, (_event, file) => {
  if (!file) return;
  const affected = changedExercises(file.toString(), known);
  for (const id of affected.includes(ALL) ? watched : affected.filter((a) => watched.includes(a))) pending.add(id);
  if (pending.size === 0) return;
  clearTimeout(settle);
  settle = setTimeout(grade, SETTLE_MS);
});

// Ctrl-C reaches the grading run too (same terminal): let it clean up its programs, then leave.
process.on('SIGINT', () => {
  watcher.close();
  clearTimeout(settle);
  if (running) running.on('exit', () => process.exit(130));
  else process.exit(130);
});

grade();

function readSelection(): string[] {
  try {
    return parseExerciseIds(process.argv.slice(2), known);
  } catch (error) {
    console.error(`npm run watch: ${(error as Error).message}`);
    process.exit(2);
  }
}
