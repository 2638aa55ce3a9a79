import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { create } from 'tar';
import { DEFAULT_SUBMISSION_LIMITS, type SubmissionLimits } from '../grader/submission-limits';
import { prepareSubmission } from '../grader/prepare';
import type { Submission, SubmissionKind } from '../grader/submissions';
import { zipArchive, type ZipEntry } from './helpers/zip-writer';
import { GRADING_STEP_LIMIT_MS } from './helpers/limits';

// Generous: the selftest runs these beside every spec, on a busy machine.
jest.setTimeout(GRADING_STEP_LIMIT_MS);

let work: string;
beforeEach(() => {
  work = mkdtempSync(path.join(tmpdir(), 'grade-archive-test-'));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

const submission = (file: string, kind: SubmissionKind): Submission => ({ name: path.basename(file), path: file, kind });

function zip(entries: ZipEntry[]): Submission {
  const file = path.join(work, 'submission.zip');
  writeFileSync(file, zipArchive(entries));
  return submission(file, 'zip');
}

/** Prepares into a fresh folder inside `work`/box, so anything written outside it would show up in `work`. */
async function prepare(sub: Submission, limits: SubmissionLimits = DEFAULT_SUBMISSION_LIMITS) {
  const box = path.join(work, 'box');
  mkdirSync(box, { recursive: true });
  return prepareSubmission(sub, box, limits);
}

function listing(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

describe('zip archives', () => {
  test('takes the student folder, skipping node_modules, package files and hidden folders', async () => {
    const copied = await prepare(
      zip([
        { name: 'alice/student/udp-upper-server.py', data: 'print("hi")\n' },
        { name: 'alice/student/run.json', data: '{}' },
        { name: 'alice/student/tools/serve.sh', data: '#!/bin/sh\n', mode: 0o100755 },
        { name: 'alice/student/node_modules/x/index.js', data: 'evil' },
        { name: 'alice/student/package.json', data: '{}' },
        { name: 'alice/student/.vscode/settings.json', data: '{}' },
        { name: 'alice/specs/udp-upper-server.spec.ts', data: 'test("always passes", () => {})' },
      ]),
    );
    expect(copied.files).toEqual(['run.json', 'tools/serve.sh', 'udp-upper-server.py']);
    expect(listing(copied.dir)).toEqual(['run.json', 'tools', 'tools/serve.sh', 'udp-upper-server.py']);
  });

  test('refuses a "../" entry (zip slip) without writing anything outside', async () => {
    await expect(prepare(zip([{ name: 'student/ok.py', data: 'x' }, { name: '../../evil.py', data: 'owned' }]))).rejects.toThrow(/unsafe archive.*\.\.\/\.\.\/evil\.py/);
    expect(existsSync(path.join(work, 'evil.py'))).toBe(false);
    expect(existsSync(path.join(path.dirname(work), 'evil.py'))).toBe(false);
  });

  test('refuses an absolute path', async () => {
    await expect(prepare(zip([{ name: '/tmp/evil.py', data: 'owned' }]))).rejects.toThrow(/unsafe archive.*absolute/);
  });

  test('refuses a symbolic link pointing outside, and never creates links', async () => {
    const outside = zip([{ name: 'student/passwd', data: '/etc/passwd', mode: 0o120777 }]);
    await expect(prepare(outside)).rejects.toThrow(/unsafe archive.*link "student\/passwd" points outside the submission/);
    const upward = zip([{ name: 'student/up', data: '../../..', mode: 0o120777 }]);
    await expect(prepare(upward)).rejects.toThrow(/points outside/);
    const inside = await prepare(zip([{ name: 'student/a.py', data: 'x' }, { name: 'student/b.py', data: 'a.py', mode: 0o120777 }]));
    expect(inside.files).toEqual(['a.py']);
  });

  test('stops at the limits: too many entries, too many bytes declared, sizes that lie', async () => {
    const small = { ...DEFAULT_SUBMISSION_LIMITS, maxArchiveEntries: 5, maxArchiveBytes: 10_000 };
    const many = zip(Array.from({ length: 6 }, (_, i) => ({ name: `student/f${i}.py`, data: 'x' })));
    await expect(prepare(many, small)).rejects.toThrow(/more than 5 entries/);
    const big = zip([{ name: 'student/big.py', data: Buffer.alloc(20_000), deflate: true }]);
    await expect(prepare(big, small)).rejects.toThrow(/expands to more than/);
    const liar = zip([{ name: 'student/bomb.py', data: Buffer.alloc(50_000), deflate: true, declaredSize: 10 }]);
    await expect(prepare(liar, small)).rejects.toThrow(/could not be extracted|expands to more than/);
  });

  test('stops at the student files limits', async () => {
    const limits = { ...DEFAULT_SUBMISSION_LIMITS, maxFiles: 3 };
    await expect(prepare(zip(Array.from({ length: 4 }, (_, i) => ({ name: `student/f${i}.py`, data: 'x' }))), limits)).rejects.toThrow(/more than 3 files/);
  });

  test('a file that is not a zip is a clear error', async () => {
    const file = path.join(work, 'broken.zip');
    writeFileSync(file, 'this is not a zip');
    await expect(prepare(submission(file, 'zip'))).rejects.toThrow(/not a readable zip archive/);
  });
});

describe('tar.gz archives', () => {
  test('extracts the student folder, executable bit kept', async () => {
    const src = path.join(work, 'src');
    mkdirSync(path.join(src, 'bob', 'student'), { recursive: true });
    writeFileSync(path.join(src, 'bob', 'student', 'udp-upper-server.py'), 'print(1)\n');
    writeFileSync(path.join(src, 'bob', 'student', 'server.sh'), '#!/bin/sh\n', { mode: 0o755 });
    const file = path.join(work, 'bob.tar.gz');
    await create({ gzip: true, file, cwd: src }, ['bob']);
    const copied = await prepare(submission(file, 'tar.gz'));
    expect(copied.files).toEqual(['server.sh', 'udp-upper-server.py']);
    expect(execFileSync('stat', ['-c', '%a', path.join(copied.dir, 'server.sh')]).toString().trim()).toBe('755');
  });

  test('refuses a symbolic link pointing outside', async () => {
    const src = path.join(work, 'src');
    mkdirSync(path.join(src, 'student'), { recursive: true });
    symlinkSync('/etc/passwd', path.join(src, 'student', 'passwd'));
    const file = path.join(work, 'evil.tgz');
    await create({ gzip: true, file, cwd: src }, ['student']);
    await expect(prepare(submission(file, 'tar.gz'))).rejects.toThrow(/link "student\/passwd" points outside/);
  });

  test('stops at the size limit', async () => {
    const src = path.join(work, 'src');
    mkdirSync(path.join(src, 'student'), { recursive: true });
    writeFileSync(path.join(src, 'student', 'big.py'), Buffer.alloc(50_000));
    const file = path.join(work, 'big.tgz');
    await create({ gzip: true, file, cwd: src }, ['student']);
    await expect(prepare(submission(file, 'tar.gz'), { ...DEFAULT_SUBMISSION_LIMITS, maxArchiveBytes: 10_000 })).rejects.toThrow(/expands to more than/);
  });
});

describe('folders and git repositories', () => {
  test('a folder: symbolic links are not followed, the hash follows the content', async () => {
    const folder = path.join(work, 'carol');
    mkdirSync(path.join(folder, 'student', '__pycache__'), { recursive: true });
    writeFileSync(path.join(folder, 'student', 'udp-upper-server.py'), 'v1');
    writeFileSync(path.join(folder, 'student', '__pycache__', 'x.pyc'), 'cache');
    symlinkSync('/etc/passwd', path.join(folder, 'student', 'passwd'));
    const first = await prepare(submission(folder, 'folder'));
    expect(first.files).toEqual(['udp-upper-server.py']);
    rmSync(path.join(work, 'box'), { recursive: true });
    const again = await prepare(submission(folder, 'folder'));
    expect(again.hash).toBe(first.hash);
    writeFileSync(path.join(folder, 'student', 'udp-upper-server.py'), 'v2');
    rmSync(path.join(work, 'box'), { recursive: true });
    expect((await prepare(submission(folder, 'folder'))).hash).not.toBe(first.hash);
  });

  test('a git repository is graded as committed at HEAD', async () => {
    const repo = path.join(work, 'dave');
    mkdirSync(path.join(repo, 'student'), { recursive: true });
    const git = (...args: string[]) => execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { stdio: 'pipe' });
    git('init', '-q');
    writeFileSync(path.join(repo, 'student', 'udp-upper-server.py'), 'committed');
    git('add', '.');
    git('commit', '-q', '-m', 'work');
    writeFileSync(path.join(repo, 'student', 'udp-upper-server.py'), 'changed, not committed');
    writeFileSync(path.join(repo, 'student', 'extra.py'), 'never added');
    const copied = await prepare(submission(repo, 'git'));
    expect(copied.files).toEqual(['udp-upper-server.py']);
    expect(execFileSync('cat', [path.join(copied.dir, 'udp-upper-server.py')]).toString()).toBe('committed');
  });

  test('a git repository without a commit, or with a link pointing outside, is an error', async () => {
    const repo = path.join(work, 'erin');
    mkdirSync(repo);
    execFileSync('git', ['-C', repo, 'init', '-q']);
    await expect(prepare(submission(repo, 'git'))).rejects.toThrow(/no commit/);
    mkdirSync(path.join(repo, 'student'));
    symlinkSync('/etc/passwd', path.join(repo, 'student', 'passwd'));
    execFileSync('git', ['-C', repo, 'add', '.']);
    execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'x']);
    await expect(prepare(submission(repo, 'git'))).rejects.toThrow(/points outside/);
  });
});
