/**
 * jest's transform (specs/harness/typescript-transform.js): a cache key that does not load TypeScript
 * and does not change with what a jest project grades, and ts-jest's output when a file is compiled.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const REPO = path.resolve(__dirname, '..');
const TRANSFORM = path.join(REPO, 'specs', 'harness', 'typescript-transform.js');

/** Runs `body` in a fresh node process (outside jest's module registry) and returns what it printed as JSON. */
function inFreshNode(body: string): unknown {
  const script = `const t = require(${JSON.stringify(TRANSFORM)}).createTransformer({ tsconfig: '<rootDir>/tsconfig.json' });
const options = (globals, extra = {}) => ({ config: { rootDir: ${JSON.stringify(REPO)}, globals }, configString: JSON.stringify(globals), instrument: false, supportsStaticESM: false, ...extra });
const loadedTypeScript = () => Object.keys(require.cache).some((file) => file.includes('/node_modules/typescript/lib/'));
${body}`;
  // stderr kept, not inherited: ts-jest warns there about a tsconfig without esModuleInterop.
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
}

describe('the TypeScript transform', () => {
  test('computes a cache key without loading TypeScript, the same for projects that grade different folders', () => {
    const result = inFreshNode(`
const a = t.getCacheKey('const x: number = 1;', '/r/a.ts', options({ GRADER_TARGET: '/one' }));
const b = t.getCacheKey('const x: number = 1;', '/r/a.ts', options({ GRADER_TARGET: '/two' }));
console.log(JSON.stringify({ same: a === b, loaded: loadedTypeScript() }));`);
    expect(result).toEqual({ same: true, loaded: false });
  });

  test('gives another key when the source, the file, or ES module output changes', () => {
    const keys = inFreshNode(`
console.log(JSON.stringify([
  t.getCacheKey('const x = 1;', '/r/a.ts', options({})),
  t.getCacheKey('const x = 2;', '/r/a.ts', options({})),
  t.getCacheKey('const x = 1;', '/r/b.ts', options({})),
  t.getCacheKey('const x = 1;', '/r/a.ts', options({}, { supportsStaticESM: true })),
]));`) as string[];
    expect(new Set(keys).size).toBe(4);
  });

  test("leaves the key to ts-jest when the output could depend on more than one file's text (no isolatedModules)", () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'transform-'));
    try {
      writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true } }));
      const result = inFreshNode(`
try { t.getCacheKey('const x = 1;', '/r/a.ts', { ...options({}), config: { rootDir: ${JSON.stringify(dir)}, globals: {} } }); } catch {}
console.log(JSON.stringify({ loaded: loadedTypeScript() }));`);
      expect(result).toEqual({ loaded: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('compiles with ts-jest when asked to (loading TypeScript only then)', () => {
    const result = inFreshNode(`
const before = loadedTypeScript();
const { code } = t.process('export const x: number = 1;\\n', ${JSON.stringify(path.join(REPO, 'specs', 'example.ts'))}, {
  config: { rootDir: ${JSON.stringify(REPO)}, cwd: ${JSON.stringify(REPO)}, globals: {}, testMatch: [], testRegex: [], moduleFileExtensions: ['ts', 'js'], extensionsToTreatAsEsm: [] },
  configString: '{}', cacheFS: new Map(), instrument: false, supportsStaticESM: false, transformerConfig: {},
});
console.log(JSON.stringify({ before, after: loadedTypeScript(), commonjs: code.includes('exports.x = 1'), typed: code.includes(': number') }));`);
    expect(result).toEqual({ before: false, after: true, commonjs: true, typed: false });
  });
});
