/**
 * Issue 15: the cache of built TypeScript programs belongs to the user who grades. Its folder is
 * trusted only when it is a real folder, owned by this user and open to nobody else; a cached file
 * is run only when it is ours and intact. Whatever another user planted where the cache would be (a
 * folder of theirs, a world-writable one, a symbolic link), grading is right and the planted file
 * never runs.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runSubmission } from '../grader/run-submission';
import { trustedFolder } from '../specs/harness/private-dir';

type ProgramModule = typeof import('../specs/harness/program');

const REPO = path.resolve(__dirname, '..');
const SAMPLE = path.join(REPO, 'fixtures', 'submissions', 'good-typescript', 'student', 'netutil.ts');
const isRoot = process.getuid?.() === 0;
const OTHER_USER = 65534; // nobody
const rootOnly = isRoot ? test : test.skip;

const work = mkdtempSync(path.join(tmpdir(), 'build-cache-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A fresh program.ts (it picks its folder once per instance), with this environment while it works. */
function withProgram<T>(env: Record<string, string | undefined>, use: (program: ProgramModule) => T, mockEsbuild?: () => object): T {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  const set = (values: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  set(env);
  try {
    let program: ProgramModule | undefined;
    jest.isolateModules(() => {
      if (mockEsbuild) jest.doMock('esbuild', mockEsbuild);
      program = require('../specs/harness/program');
    });
    return use(program!);
  } finally {
    set(saved);
  }
}

function studentCopy(): string {
  const dir = mkdtempSync(path.join(work, 'student-'));
  cpSync(SAMPLE, path.join(dir, 'netutil.ts'));
  return dir;
}

/** A built file that looks right (even its trailer: anyone can compute it) but writes `marker` when it runs. */
function plantedProgram(program: ProgramModule, source: string, marker: string): { name: string; content: string } {
  const key = program.buildKey(source, readFileSync(source));
  const body = `require('fs').writeFileSync(${JSON.stringify(marker)}, 'the planted program ran');\nconsole.log('16777216');\n`;
  const sha = require('node:crypto').createHash('sha256').update(body).digest('hex');
  const inputs = { [path.resolve(source)]: require('node:crypto').createHash('sha256').update(readFileSync(source)).digest('hex') };
  return { name: program.builtFileName(source, key), content: `${body}//# socket-grader-build ${JSON.stringify({ key, sha256: sha, inputs })}\n` };
}

function runBuilt(file: string, ...args: string[]): string {
  return spawnSync(process.execPath, [file, ...args], { encoding: 'utf8' }).stdout.trim();
}

type Hostile = 'owned by another user' | 'world-writable' | 'a symbolic link';

/** Makes `<base>/socket-grader/build` hostile, with a planted program at the name the build would use. */
function plantCache(base: string, how: Hostile, planted: { name: string; content: string }): void {
  const cache = path.join(base, 'socket-grader', 'build');
  rmSync(cache, { recursive: true, force: true });
  mkdirSync(path.dirname(cache), { recursive: true, mode: 0o700 });
  let folder = cache;
  if (how === 'a symbolic link') {
    folder = mkdtempSync(path.join(work, 'attacker-'));
    symlinkSync(folder, cache);
  } else {
    mkdirSync(cache);
  }
  chmodSync(folder, 0o777);
  writeFileSync(path.join(folder, planted.name), planted.content, { mode: 0o644 });
  if (how === 'owned by another user') {
    chmodSync(folder, 0o755);
    chownSync(path.join(folder, planted.name), OTHER_USER, OTHER_USER);
    chownSync(folder, OTHER_USER, OTHER_USER);
  }
}

const HOSTILE: Hostile[] = isRoot ? ['owned by another user', 'world-writable', 'a symbolic link'] : ['world-writable', 'a symbolic link'];

describe('which folders are trusted', () => {
  test('a private folder of ours is; a link, a world-writable folder, one under a world-writable folder are not', () => {
    const mine = mkdtempSync(path.join(work, 'mine-'));
    expect(trustedFolder(mine)).toEqual({ dir: realpathSync(mine) });
    const link = path.join(work, 'link');
    symlinkSync(mine, link);
    expect(trustedFolder(link)).toEqual({ reason: `${link} is a symbolic link` });
    const open = mkdtempSync(path.join(work, 'open-'));
    chmodSync(open, 0o777);
    expect(trustedFolder(open)).toEqual({ reason: expect.stringMatching(/is writable by other users \(mode 777\)/) });
    const inside = path.join(open, 'inside');
    mkdirSync(inside, { mode: 0o700 });
    expect(trustedFolder(inside)).toEqual({ reason: expect.stringMatching(/above .* is writable by other users/) });
  });

  rootOnly("another user's folder is not", () => {
    const theirs = mkdtempSync(path.join(work, 'theirs-'));
    chownSync(theirs, OTHER_USER, OTHER_USER);
    expect(trustedFolder(theirs)).toEqual({ reason: expect.stringMatching(new RegExp(`belongs to user ${OTHER_USER}`)) });
  });
});

describe('building a TypeScript program', () => {
  test.each(HOSTILE)('where the cache folder is %s: built elsewhere, privately; the planted file never runs', (how) => {
    const base = mkdtempSync(path.join(work, 'xdg-'));
    const source = path.join(studentCopy(), 'netutil.ts');
    const marker = path.join(work, `planted-ran-${how.replace(/\W/g, '-')}`);
    withProgram({ XDG_CACHE_HOME: base, GRADER_BUILD_CACHE: undefined }, (program) => {
      plantCache(base, how, plantedProgram(program, source, marker));
      const built = program.buildTypeScript(source);
      if (!('file' in built)) throw new Error(built.error);
      expect(built.file.startsWith(base)).toBe(false);
      expect(realpathSync(built.file).startsWith(realpathSync(work))).toBe(false);
      expect(statSync(path.dirname(built.file)).mode & 0o077).toBe(0);
      expect(runBuilt(built.file, 'htonl', '1')).toBe('16777216');
      expect(program.isBuiltProgram(built.file)).toBe(true);
    });
    expect(existsSync(marker)).toBe(false);
  });

  test('in our own cache: a changed, linked or foreign file is built again, never run; an intact one is reused', () => {
    const base = mkdtempSync(path.join(work, 'xdg-'));
    const source = path.join(studentCopy(), 'netutil.ts');
    const marker = path.join(work, 'tampered-ran');
    withProgram({ XDG_CACHE_HOME: base, GRADER_BUILD_CACHE: undefined }, (program) => {
      const first = program.buildTypeScript(source) as { file: string };
      expect(path.dirname(first.file)).toBe(realpathSync(path.join(base, 'socket-grader', 'build')));
      const good = readFileSync(first.file, 'utf8');
      expect(good.trimEnd().split('\n').at(-1)).toMatch(/^\/\/# socket-grader-build \{"key":"[0-9a-f]{64}","sha256":"[0-9a-f]{64}","inputs":\{/);

      const stamp = statSync(first.file).ino;
      expect(program.buildTypeScript(source)).toEqual(first); // reused: same file, not rewritten
      expect(statSync(first.file).ino).toBe(stamp);

      const planted = plantedProgram(program, source, marker);
      writeFileSync(first.file, planted.content.replace(/"sha256":"[0-9a-f]+"/, '"sha256":"0"')); // the hash does not match
      expect(program.buildTypeScript(source)).toEqual(first);
      expect(readFileSync(first.file, 'utf8')).toBe(good);

      const elsewhere = path.join(work, 'elsewhere.cjs');
      writeFileSync(elsewhere, planted.content);
      rmSync(first.file);
      symlinkSync(elsewhere, first.file); // a link at the name: never followed
      expect(program.buildTypeScript(source)).toEqual(first);
      expect(readFileSync(first.file, 'utf8')).toBe(good);
      expect(readFileSync(elsewhere, 'utf8')).toBe(planted.content);

      if (isRoot) {
        writeFileSync(first.file, planted.content); // a valid trailer, but another user's file
        chownSync(first.file, OTHER_USER, OTHER_USER);
        expect(program.buildTypeScript(source)).toEqual(first);
        expect(readFileSync(first.file, 'utf8')).toBe(good);
      }
      expect(runBuilt(first.file, 'htonl', '1')).toBe('16777216');
    });
    expect(existsSync(marker)).toBe(false);
  });

  test('a change in a module the program imports builds it again', () => {
    const base = mkdtempSync(path.join(work, 'xdg-'));
    const dir = mkdtempSync(path.join(work, 'imports-'));
    writeFileSync(path.join(dir, 'main.ts'), "import { word } from './word';\nconsole.log(word);\n");
    writeFileSync(path.join(dir, 'word.ts'), "export const word = 'first';\n");
    withProgram({ XDG_CACHE_HOME: base, GRADER_BUILD_CACHE: undefined }, (program) => {
      const built = program.buildTypeScript(path.join(dir, 'main.ts')) as { file: string };
      expect(runBuilt(built.file)).toBe('first');
      writeFileSync(path.join(dir, 'word.ts'), "export const word = 'second';\n");
      expect(runBuilt((program.buildTypeScript(path.join(dir, 'main.ts')) as { file: string }).file)).toBe('second');
    });
  });

  test("a compile error is the student's (file, line, column); esbuild that cannot run is the grader's", () => {
    const base = mkdtempSync(path.join(work, 'xdg-'));
    const dir = mkdtempSync(path.join(work, 'errors-'));
    writeFileSync(path.join(dir, 'netutil.ts'), 'const x: number = ;\n');
    withProgram({ XDG_CACHE_HOME: base, GRADER_BUILD_CACHE: undefined }, (program) => {
      expect(program.findProgram('netutil', dir)).toMatchObject({ buildError: 'TypeScript did not compile:\nnetutil.ts:1:18: Unexpected ";"' });
    });
    cpSync(SAMPLE, path.join(dir, 'netutil.ts'));
    // What esbuild throws when its binary cannot run (ESBUILD_BINARY_PATH=/bin/false): no message about the source.
    const broken = () => ({
      ...jest.requireActual('esbuild'),
      buildSync: () => {
        throw new Error('The service was stopped: write EPIPE');
      },
    });
    withProgram({ XDG_CACHE_HOME: base, GRADER_BUILD_CACHE: undefined }, (program) => {
      const found = program.findProgram('netutil', dir);
      expect(found).toMatchObject({ attempted: true, graderError: 'esbuild failed: The service was stopped: write EPIPE' });
      expect(found).not.toHaveProperty('buildError');
    }, broken);
    const unsafe = mkdtempSync(path.join(work, 'unsafe-'));
    chmodSync(unsafe, 0o777);
    withProgram({ GRADER_BUILD_CACHE: unsafe }, (program) => {
      expect(program.findProgram('netutil', dir)).toMatchObject({ graderError: expect.stringMatching(/^the build folder GRADER_BUILD_CACHE=.* cannot be used: .* is writable by other users/) });
    });
  });
});

describe('grading a TypeScript sample where the cache folder is hostile', () => {
  test(`${HOSTILE.join(', ')}: every netutil check passes, the planted program never runs`, async () => {
    const base = mkdtempSync(path.join(work, 'xdg-'));
    const student = studentCopy();
    const saved = process.env.XDG_CACHE_HOME;
    try {
      for (const how of HOSTILE) {
        const marker = path.join(work, `graded-planted-ran-${how.replace(/\W/g, '-')}`);
        withProgram({ GRADER_BUILD_CACHE: undefined }, (program) => plantCache(base, how, plantedProgram(program, path.join(student, 'netutil.ts'), marker)));
        process.env.XDG_CACHE_HOME = base; // the jest child's user cache folder
        const outcome = await runSubmission({ studentDir: student, exercises: ['netutil'], hidden: true, timeoutMs: 120_000, isolation: { wrap: (command, args) => ({ command, args }) } });
        expect({ how, error: outcome.error }).toEqual({ how, error: undefined });
        const [netutil] = outcome.exercises;
        expect({ how, statuses: [...new Set(netutil.checks.map((c) => c.status))], score: netutil.score }).toEqual({ how, statuses: ['passed'], score: netutil.max });
        expect({ how, planted: existsSync(marker) }).toEqual({ how, planted: false });
      }
    } finally {
      if (saved === undefined) delete process.env.XDG_CACHE_HOME;
      else process.env.XDG_CACHE_HOME = saved;
    }
  }, 300_000);
});
