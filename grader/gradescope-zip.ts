/**
 * The Gradescope autograder zip: setup.sh and run_autograder at its root (Gradescope's layout), and
 * the grader itself beside them, as Gradescope unpacks the whole zip into /autograder/source. Only
 * what grading needs is taken: the repository's tracked files less the project's own tests, samples
 * and broken programs, CI files and benchmarks.
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ZipFile } from 'yazl';

/** Tracked paths (or their folders) that grading never reads. */
const LEFT_OUT = ['fixtures/broken/', 'fixtures/submissions/', 'tests/', 'bench/', '.github/', '.ci/', 'tools/', 'templates/', 'gradescope/', 'prairielearn/', 'docs/', 'reference/'];
/** Gradescope runs these from the zip's root. */
const AT_ROOT: Record<string, string> = { 'gradescope/setup.sh': 'setup.sh', 'gradescope/run_autograder': 'run_autograder' };

export function gradescopeFiles(repo: string): { from: string; to: string }[] {
  const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: repo, encoding: 'utf8' }).split('\0').filter(Boolean);
  const files = tracked.filter((file) => !LEFT_OUT.some((prefix) => file.startsWith(prefix))).map((file) => ({ from: file, to: file }));
  return [...Object.entries(AT_ROOT).map(([from, to]) => ({ from, to })), ...files];
}

export async function buildGradescopeZip(repo: string, zipFile: string): Promise<{ files: number; bytes: number }> {
  const zip = new ZipFile();
  const files = gradescopeFiles(repo);
  for (const { from, to } of files) {
    const source = path.join(repo, from);
    // Executables stay executable (run_autograder, setup.sh): Gradescope runs them as they are.
    const mode = statSync(source).mode & 0o111 ? 0o100755 : 0o100644;
    zip.addBuffer(readFileSync(source), to, { mode, mtime: new Date(0) });
  }
  zip.end();
  await new Promise<void>((resolve, reject) => {
    const out = createWriteStream(zipFile);
    out.on('close', resolve);
    out.on('error', reject);
    zip.outputStream.on('error', reject).pipe(out);
  });
  return { files: files.length, bytes: statSync(zipFile).size };
}
