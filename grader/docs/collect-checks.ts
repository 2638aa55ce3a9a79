/**
 * Every exercise's checks, read from the specs themselves: jest runs them against an empty folder
 * with hidden checks on, so every check is registered as a skipped "not attempted" test whose name
 * carries its id, points and visibility (titles.ts's parseCheckTitle reads them back). Nothing is started, nothing is judged.
 */
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { runCLI } from 'jest';
import { REPO_ROOT } from '../../specs/harness/repo';
import { exerciseIdOf } from '../../specs/harness/results';
import { runTempFolder } from '../../specs/harness/run-temp';
import { parseCheckTitle, type CheckMeta } from '../../specs/harness/titles';

export async function collectChecks(): Promise<Map<string, CheckMeta[]>> {
  const temp = runTempFolder('grader-docs-');
  const empty = path.join(temp, 'student');
  mkdirSync(empty);
  const saved = { target: process.env.GRADER_TARGET, hidden: process.env.GRADER_HIDDEN };
  process.env.GRADER_TARGET = empty;
  process.env.GRADER_HIDDEN = '1';
  try {
    const argv = { $0: 'docs', _: [], config: path.join(REPO_ROOT, 'jest.config.ts'), reporters: [], silent: true };
    const { results } = await runCLI(argv as Parameters<typeof runCLI>[0], [REPO_ROOT]);
    const checks = new Map<string, CheckMeta[]>();
    for (const file of results.testResults) {
      const id = exerciseIdOf(file.testFilePath);
      if (file.testExecError) throw new Error(`specs/${id}.spec.ts could not be loaded: ${file.testExecError.message}`);
      checks.set(
        id,
        file.testResults.map((test) => {
          const meta = parseCheckTitle(test.title);
          if (!meta) throw new Error(`specs/${id}.spec.ts: "${test.title}" is not named as a check (see harness/titles.ts)`);
          return meta;
        }),
      );
    }
    return new Map([...checks].sort(([a], [b]) => a.localeCompare(b)));
  } finally {
    restore('GRADER_TARGET', saved.target);
    restore('GRADER_HIDDEN', saved.hidden);
    rmSync(temp, { recursive: true, force: true });
  }
}

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
