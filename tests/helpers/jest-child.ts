/**
 * A real jest child over spec files written for a test (beside a student folder), with one reporter:
 * what the grader's reporters and results make of checks no real exercise has.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const REPO = path.resolve(__dirname, '..', '..');
const JEST = path.join(REPO, 'node_modules', 'jest', 'bin', 'jest.js');

/** `import` lines for a spec: the harness modules named, from this repository. */
export function harnessImports(modules: Record<string, string[]>): string {
  return Object.entries(modules)
    .map(([module, names]) => `import { ${names.join(', ')} } from ${JSON.stringify(path.join(REPO, 'specs', 'harness', module))};`)
    .join('\n');
}

export interface JestChild {
  specs: Record<string, string>;
  student: Record<string, string>;
  reporter: string;
  env?: Record<string, string>;
  args?: string[];
}

/** Runs jest in a new folder under `work` on `specs` (file name to source); its output, whatever its exit. */
export function runJestChild(work: string, child: JestChild): Promise<{ output: string; dir: string }> {
  const dir = mkdtempSync(path.join(work, 'jest-child-'));
  mkdirSync(path.join(dir, 'specs'));
  for (const [name, source] of Object.entries(child.specs)) writeFileSync(path.join(dir, 'specs', name), source);
  mkdirSync(path.join(dir, 'student'));
  for (const [name, source] of Object.entries(child.student)) writeFileSync(path.join(dir, 'student', name), source);
  // A TypeScript config, like jest.config.ts, so that jest can load the TypeScript reporters. A fixed id:
  // jest names its caches after the config's path, new for every child, and leaves them behind.
  const config = path.join(dir, 'jest.config.ts');
  writeFileSync(
    config,
    [
      '/** @jest-config-loader esbuild-register */',
      `require(${JSON.stringify(path.join(REPO, 'node_modules', 'esbuild-register', 'dist', 'node'))}).register();`,
      `const { baseProject } = require(${JSON.stringify(path.join(REPO, 'jest.config'))});`,
      `module.exports = { ...baseProject, id: 'jest-child', rootDir: ${JSON.stringify(REPO)}, roots: [${JSON.stringify(path.join(dir, 'specs'))}], testMatch: ['**/*.spec.ts'], reporters: [${JSON.stringify(child.reporter)}] };`,
    ].join('\n'),
  );
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [JEST, '--config', config, '--ci', ...(child.args ?? [])],
      { cwd: REPO, env: { ...process.env, GRADER_TARGET: path.join(dir, 'student'), NO_COLOR: '1', FORCE_COLOR: '0', ...child.env }, maxBuffer: 16 * 1024 * 1024 },
      (_error, stdout, stderr) => resolve({ output: `${stdout}${stderr}`, dir }),
    );
  });
}
