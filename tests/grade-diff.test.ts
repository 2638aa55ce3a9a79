/** `npm run grade -- diff OLD NEW`: which submissions' scores changed and which checks flipped between two runs. */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gradeAll } from '../grader/grade-run';
import { compareResults } from '../grader/regrade-diff';
import { diffHtml, diffMarkdown, diffText, flipsByCheck } from '../grader/report/diff';
import { fakeGrader, gradeOptions, submissionsFolder, writeProgram } from './helpers/fake-grader';
import { GRADING_STEP_LIMIT_MS } from './helpers/limits';
import { HOSTILE, notAttempted, submission, udpExercise } from './helpers/sample-results';

// Hang detectors only: the command-line tests start grade.ts, which a loaded selftest makes slow.
jest.setTimeout(GRADING_STEP_LIMIT_MS);

const REPO = path.resolve(__dirname, '..');
const TSX = path.join(REPO, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const RUNS = { before: 'grades-old', after: 'grades' };

const before = [
  submission('ann', [udpExercise()]),
  submission('ben', [udpExercise({ large: 'failed' })]),
  submission('cat', [udpExercise()]),
  submission('eve', [udpExercise({ uppercase: 'failed', large: 'failed' })]),
  submission('old', [udpExercise()]),
];
const after = [
  submission('ann', [udpExercise()]),
  submission('ben', [udpExercise()]),
  submission('cat', [udpExercise({ large: 'error' })], 'udp-upper-server large: the grader ran out of time'),
  submission('eve', [udpExercise({ large: 'failed', secret: 'failed' })]),
  submission('new', [udpExercise()]),
];

describe('comparing two runs', () => {
  const diff = compareResults(before, after);

  test('unchanged submissions are counted, changed ones listed with each check that changed', () => {
    expect(diff.unchanged).toBe(1);
    expect(diff.changed.map((c) => c.name)).toEqual(['ben', 'cat', 'eve', 'new', 'old']);
    const ben = diff.changed[0];
    expect([ben.before?.score, ben.after?.score]).toEqual([3, 5]);
    expect(ben.checks).toEqual([
      expect.objectContaining({ exercise: 'udp-upper-server', check: 'large', before: { status: 'failed', points: 0, maxPoints: 2 }, after: { status: 'passed', points: 2, maxPoints: 2 }, why: expect.stringMatching(/^large failed/) }),
    ]);
    const eve = diff.changed[2];
    expect(eve.checks.map((c) => `${c.check}: ${c.before?.status} -> ${c.after?.status}`)).toEqual(['uppercase: failed -> passed', 'secret: passed -> failed']);
  });

  test('a submission in one run only is new or gone, without its every check', () => {
    const [added, gone] = [diff.changed[3], diff.changed[4]];
    expect([added.before, added.after?.score, added.checks]).toEqual([undefined, 5, []]);
    expect([gone.before?.score, gone.after, gone.checks]).toEqual([5, undefined, []]);
  });

  test('checks only one run graded are named once and not compared', () => {
    const visibleOnly = after.map((r) => ({ ...r, exercises: r.exercises.map((e) => ({ ...e, checks: e.checks.filter((c) => !c.hidden) })) }));
    const other = compareResults(visibleOnly, after);
    expect(other.onlyAfter).toEqual({ exercises: [], checks: ['udp-upper-server/secret'] });
    expect(other.changed.flatMap((c) => c.checks)).toEqual([]);
    expect(diffText(other, RUNS)).toMatch(/only the new run graded \(not compared\): udp-upper-server\/secret\n\(a different spec version, or --hidden \/ --exercise differed between the runs: their points count in the totals\)/);
    const oneMore = compareResults(before, before.map((r) => ({ ...r, exercises: [...r.exercises, notAttempted()] })));
    expect([oneMore.onlyAfter, oneMore.changed.length]).toEqual([{ exercises: ['tcp-client'], checks: [] }, 0]);
    expect(diffText(oneMore, RUNS)).toContain('only the new run graded (not compared): tcp-client (every check)\n');
  });

  test('per check: how many submissions it flipped each way, and the points that moved', () => {
    expect(flipsByCheck(diff).map((f) => [f.check, f.nowPassing, f.nowFailing, f.other, f.points])).toEqual([
      ['large', 1, 1, 0, 0],
      ['secret', 0, 1, 0, -1],
      ['uppercase', 1, 0, 0, 2],
    ]);
  });

  test('the terminal table says who went up or down, and what to grade again first', () => {
    const text = diffText(diff, RUNS);
    expect(text).toContain('regrade diff: grades-old → grades\n5 of 6 submissions changed: 2 up (+3 points), 1 down (−2 points), 1 new, 1 gone; 1 unchanged\n');
    expect(text).toContain('not graded completely in the new run (grade them again before announcing): cat');
    expect(text).toMatch(/^ben {3,}3\/5 {3,}5\/5 {3,}\+2$/m);
    expect(text).toMatch(/^cat {3,}5\/5 {3,}3\/5 \(incomplete\) {2,}−2$/m);
    expect(text).toContain('    udp-upper-server large: failed 0/2 → passed 2/2: large failed: got <b>"bold"</b> & \'quotes\'  ```fence``` ]]>\n');
    expect(text).toContain('    udp-upper-server secret (hidden): passed 1/1 → failed 0/1: SECRET MESSAGE');
    expect(text).toMatch(/^new +— +5\/5 +new$/m);
    expect(text).toMatch(/^old +5\/5 +— +gone$/m);
  });

  test('Markdown and HTML carry the same, escaped, for staff', () => {
    const markdown = diffMarkdown(diff, RUNS);
    expect(markdown).toContain('| ben | 3/5 | 5/5 | +2 |');
    expect(markdown).toContain('| eve | `udp-upper-server` secret (hidden) | passed 1/1 | failed 0/1 | −1 | SECRET MESSAGE |');
    expect(markdown).toContain('_For staff: hidden checks are named._');
    expect(markdown).not.toContain('<b>');
    const html = diffHtml(diff, RUNS);
    expect(html).not.toContain(HOSTILE.slice(0, 20));
    expect(html).toContain('&lt;b&gt;&quot;bold&quot;&lt;/b&gt;');
    expect(html).toContain('<span class="tag">hidden</span>');
  });

  test('no change at all says so', () => {
    const same = compareResults(before, before);
    expect(diffText(same, RUNS)).toBe('regrade diff: grades-old → grades\n0 of 5 submissions changed: 0 up, 0 down; 5 unchanged\n');
  });
});

describe('npm run grade -- diff', () => {
  let work: string;
  let source: string;
  beforeAll(() => {
    work = mkdtempSync(path.join(tmpdir(), 'grade-diff-'));
    source = submissionsFolder({ ann: 'PASS', ben: 'FAIL large', cat: 'FAIL secret' });
  }, GRADING_STEP_LIMIT_MS);
  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
    rmSync(source, { recursive: true, force: true });
  }, GRADING_STEP_LIMIT_MS);

  function grade(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(process.execPath, [TSX, 'grade.ts', ...args], { cwd: REPO, env: { ...process.env, INIT_CWD: work } }, (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      );
    });
  }

  test('compares two graded folders and writes regrade.md, .html and .json into the new one', async () => {
    await gradeAll(gradeOptions(source, path.join(work, 'first'), fakeGrader()));
    writeProgram(source, 'ben', 'PASS');
    await gradeAll(gradeOptions(source, path.join(work, 'second'), fakeGrader()));
    const { code, stdout, stderr } = await grade('diff', 'first', 'second');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('regrade diff: first → second\n1 of 3 submissions changed: 1 up (+2 points), 0 down; 2 unchanged\n');
    expect(stdout).toContain('udp-upper-server large: failed 0/2 → passed 2/2');
    expect(stdout).toContain('written: second/regrade.md, second/regrade.html, second/regrade.json');
    const json = JSON.parse(readFileSync(path.join(work, 'second', 'regrade.json'), 'utf8'));
    expect(json).toMatchObject({ before: 'first', after: 'second', unchanged: 2, changed: [{ name: 'ben' }] });
    expect(readFileSync(path.join(work, 'second', 'regrade.md'), 'utf8')).toContain('| ben | 3/5 | 5/5 | +2 |');
  });

  test('--out puts the reports elsewhere', async () => {
    const { code } = await grade('diff', 'first', 'second', '--out', 'announce');
    expect(code).toBe(0);
    expect(existsSync(path.join(work, 'announce', 'regrade.html'))).toBe(true);
  });

  test('a folder without results, a missing one, or one folder only: a clear message', async () => {
    mkdirSync(path.join(work, 'empty'));
    const empty = await grade('diff', 'first', 'empty');
    expect([empty.code, empty.stderr]).toEqual([1, expect.stringMatching(/^grade: \S+\/empty: no graded submissions in it \(expected .*result\.json, as npm run grade writes them\)\n$/)]);
    const missing = await grade('diff', 'first', 'nowhere');
    expect([missing.code, missing.stderr]).toEqual([2, expect.stringMatching(/^grade: \S+\/nowhere: no such folder\n/)]);
    const one = await grade('diff', 'first');
    expect([one.code, one.stderr]).toEqual([2, expect.stringMatching(/^grade: diff compares two output folders: npm run grade -- diff OLD_OUT NEW_OUT\n/)]);
  });
});
