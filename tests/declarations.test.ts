/**
 * What the specs declare (grader/declarations.ts) is what the grading table and the docs are made
 * of: it must be what jest registers and reports when the checks run, and a spec that cannot be read
 * must say which and why.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { readDeclarations } from '../specs/harness/declarations';
import { readGradingTable } from '../grader/grading-table';
import { exerciseIds } from '../specs/harness/exercise-list';
import { matchCheck } from '../specs/harness/titles';

const REPO = path.resolve(__dirname, '..');
const EXERCISE = path.join(REPO, 'specs', 'harness', 'exercise');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'declarations-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A specs folder holding `files` (name -> source). */
function specs(name: string, files: Record<string, string>): string {
  const folder = path.join(dir, name);
  mkdirSync(folder);
  for (const [file, source] of Object.entries(files)) writeFileSync(path.join(folder, file), source);
  return folder;
}

test('the checks jest registers when it runs the specs are the ones declared, in order, hidden ones included', async () => {
  const empty = path.join(dir, 'empty-student');
  mkdirSync(empty);
  const env: NodeJS.ProcessEnv = { ...process.env, GRADER_TARGET: empty, GRADER_HIDDEN: '1', FORCE_COLOR: '0' };
  delete env.JEST_WORKER_ID;
  const jest = require.resolve('jest/bin/jest');
  const output = path.join(dir, 'jest.json');
  // Every check is "not attempted" (an empty folder): jest exits 0, and its report is the file.
  await promisify(execFile)(process.execPath, [jest, '--config', path.join(REPO, 'jest.config.ts'), '--json', '--outputFile', output, '--silent', '--testMatch', '**/specs/*.spec.ts'], { cwd: REPO, env, maxBuffer: 64 * 1024 * 1024 });
  const ran = JSON.parse(readFileSync(output, 'utf8')) as { testResults: { name: string; assertionResults: { title: string }[] }[] };
  const registered = new Map(ran.testResults.map((file) => [path.basename(file.name, '.spec.ts'), file.assertionResults.map((r) => r.title)]));
  const declared = readDeclarations();
  expect([...declared.keys()]).toEqual(exerciseIds());
  // Each registered test is its declared check, named as the declaration names it (not attempted here).
  for (const [id, checks] of declared) expect({ id, checks: registered.get(id)?.map((title) => matchCheck(title, checks)?.meta) }).toEqual({ id, checks });
}, 180_000);

test('the grading table leaves hidden checks out unless asked, and counts the points', () => {
  const all = readGradingTable({ exercises: ['udp-upper-server'], hidden: true });
  const visible = readGradingTable({ exercises: ['udp-upper-server'], hidden: false });
  expect(all.map((e) => e.id)).toEqual(['udp-upper-server']);
  expect(all[0].checks.some((c) => c.hidden)).toBe(true);
  expect(visible[0].checks.some((c) => c.hidden)).toBe(false);
  expect(visible[0].max).toBe(visible[0].checks.reduce((sum, c) => sum + c.maxPoints, 0));
  expect(all[0].max).toBeGreaterThan(visible[0].max);
});

test('reading declarations twice in one process gives the same checks', () => {
  expect(readDeclarations(['udp-echo-server'])).toEqual(readDeclarations(['udp-echo-server']));
});

test.each([
  ['a spec that throws', `throw new Error('oops');\n`, /specs\/bad\.spec\.ts could not be loaded: oops/],
  ['a spec for another id', `require(${JSON.stringify(EXERCISE)}).exercise('other', ({ check }) => check({ id: 'a', points: 1, title: 't' }, async () => undefined));\n`, /specs\/bad\.spec\.ts declares no exercise\('bad', \.\.\.\)/],
  ['a spec without checks', `require(${JSON.stringify(EXERCISE)}).exercise('bad', () => undefined);\n`, /specs\/bad\.spec\.ts declares no checks/],
  ['a check id twice', `require(${JSON.stringify(EXERCISE)}).exercise('bad', ({ check }) => { check({ id: 'a', points: 1, title: 't' }, async () => undefined); check({ id: 'a', points: 1, title: 'u' }, async () => undefined); });\n`, /could not be loaded: the check id "a" is declared twice/],
  ['a check requiring one declared after it', `require(${JSON.stringify(EXERCISE)}).exercise('bad', ({ check }) => { check({ id: 'b', points: 1, title: 't', requires: ['a'] }, async () => undefined); check({ id: 'a', points: 1, title: 'u' }, async () => undefined); });\n`, /the check "b" requires "a", which is not a check declared before it/],
])('%s is refused, naming the spec', (name, source, message) => {
  const folder = specs(name.replace(/\W+/g, '-'), { 'bad.spec.ts': source });
  expect(() => readDeclarations(['bad'], folder)).toThrow(message);
});
