import type { CheckResult, ExerciseResult } from '../specs/harness/results';
import { escapeData, escapeProperty, exerciseAnnotations, workflowCommand } from '../grader/report/annotations';
import { summaryMarkdown } from '../grader/report/summary';
import { feedbackMarkdown } from '../grader/report/feedback';
import { notRunSummary } from '../grader/report/student-view';
import { formatScores } from '../grader/report/score-reporter';
import { judge, parseMinScore, policyFromEnv } from '../grader/ci/policy';

const check = (id: string, status: CheckResult['status'], extra: Partial<CheckResult> = {}): CheckResult => ({
  id,
  title: `the ${id} check`,
  points: status === 'passed' ? (extra.maxPoints ?? 1) : 0,
  maxPoints: 1,
  hidden: false,
  status,
  ...extra,
});

const exercise = (id: string, checks: CheckResult[], extra: Partial<ExerciseResult> = {}): ExerciseResult => ({
  id,
  attempted: true,
  score: checks.reduce((s, c) => s + c.points, 0),
  max: checks.reduce((s, c) => s + c.maxPoints, 0),
  checks,
  ...extra,
});

const SECRET = 'the secret hidden title';
const sample: ExerciseResult[] = [
  exercise('udp-client', [
    check('prints-reply', 'passed'),
    check('retransmits', 'failed', { message: 'No second datagram came.\n  did:      dropped the first\n  hint:     send again after 1 s' }),
    check('secret', 'failed', { hidden: true, title: SECRET, message: 'SECRET MESSAGE' }),
  ]),
  exercise('udp-upper-server', [check('uppercase', 'passed'), check('large', 'passed')]),
  exercise('tcp-client', [check('connects', 'not attempted')], { attempted: false, reason: 'no tcp-client.py' }),
];
const totals = { score: 3, max: 6 };

describe('GitHub workflow command escaping', () => {
  test('message data escapes %, CR and LF, in that order', () => {
    expect(escapeData('100% done\r\nnext %0A')).toBe('100%25 done%0D%0Anext %250A');
  });

  test('properties also escape : and ,', () => {
    expect(escapeProperty('a: b, c%\n')).toBe('a%3A b%2C c%25%0A');
  });

  test('a command with file, line and title', () => {
    const line = workflowCommand({ level: 'error', file: 'student/a,b.py', line: 1, title: 'x: 1/2', message: 'two\nlines' });
    expect(line).toBe('::error file=student/a%2Cb.py,line=1,title=x%3A 1/2::two%0Alines');
  });
});

describe('annotations', () => {
  const annotations = exerciseAnnotations(sample, (id) => `student/${id}.py`);

  test('one per failing exercise, on its file, with the failing checks and hints', () => {
    expect(annotations).toHaveLength(1);
    expect(annotations[0]).toMatchObject({ level: 'error', file: 'student/udp-client.py', line: 1 });
    expect(annotations[0].title).toBe('udp-client: 1/3 points, 1 check fails, 1 hidden check fails');
    expect(annotations[0].message).toContain('✗ the retransmits check [retransmits, 1 pt]');
    expect(annotations[0].message).toContain('No second datagram came.');
    expect(annotations[0].message).toContain('hint: send again after 1 s');
  });

  test('never describe a hidden check', () => {
    expect(JSON.stringify(annotations)).not.toMatch(/secret/i);
  });

  test('at most 10, the rest named in the last', () => {
    const many = Array.from({ length: 12 }, (_, i) => exercise(`ex-${i}`, [check('a', 'failed', { message: 'm' })]));
    const capped = exerciseAnnotations(many, () => undefined);
    expect(capped).toHaveLength(10);
    expect(capped[9].title).toBe('3 more exercises fail');
    expect(capped[9].message).toContain('ex-11');
  });
});

describe('Markdown summary', () => {
  const markdown = summaryMarkdown({ ...totals, exercises: sample }, { verdict: ['❌ the verdict'] });

  test('a table of exercises with score / max and a total', () => {
    expect(markdown).toContain('## Autograder: 3 / 6 points');
    expect(markdown).toContain('| `udp-client` | 1 / 3 | ❌ 1 check fails, 1 hidden check fails |');
    expect(markdown).toContain('| `udp-upper-server` | 2 / 2 | ✅ all 2 checks pass |');
    expect(markdown).toContain('| `tcp-client` | – / 1 | ⏭️ not attempted |');
    expect(markdown).toContain('| **total** | **3 / 6** | |');
    expect(markdown).toContain('❌ the verdict');
  });

  test('each failing check with its message and hint; hidden ones only counted', () => {
    expect(markdown).toContain('### ❌ udp-client: 1 / 3');
    expect(markdown).toContain('**✗ the retransmits check** (`retransmits`, 1 point)<br>💡 send again after 1 s');
    expect(markdown).toContain('```text\nNo second datagram came.');
    expect(markdown).toContain('1 hidden check also failed');
    expect(markdown).not.toMatch(/secret/i);
    expect(markdown).not.toContain('### ❌ udp-upper-server');
  });

  test('not attempted because of an untouched starter says so', () => {
    const starter = exercise('e', [check('a', 'not attempted')], { attempted: false, reason: 'only the untouched starter e.py (remove the line)' });
    expect(summaryMarkdown({ score: 0, max: 1, exercises: [starter] })).toContain('| `e` | – / 1 | ⏭️ not attempted: only the untouched starter e.py (remove the line) |');
  });

  test('a check this machine cannot run is counted as skipped, not as failing', () => {
    const md = summaryMarkdown({ score: 1, max: 2, exercises: [exercise('e', [check('a', 'passed'), check('b', 'skipped')])] });
    expect(md).toContain('| `e` | 1 / 2 | ✅ 1 check passes, 1 skipped (this machine cannot run it) |');
  });

  test("stays under GitHub's 1 MiB limit for a step summary", () => {
    const huge = Array.from({ length: 200 }, (_, i) => check(`c${i}`, 'failed', { message: 'x'.repeat(20_000) }));
    const md = summaryMarkdown({ score: 0, max: 200, exercises: [exercise('e', huge)] });
    expect(Buffer.byteLength(md)).toBeLessThanOrEqual(1024 * 1024);
    expect(md).toContain('the summary is cut here');
  });

  test('long output is folded in <details>, and backticks in it cannot break the fence', () => {
    const long = `First line <b>\n${'x\n'.repeat(30)}\`\`\`\nafter`;
    const md = summaryMarkdown({ score: 0, max: 1, exercises: [exercise('e', [check('c', 'failed', { message: long })])] });
    expect(md).toContain('<details><summary>First line &lt;b&gt;</summary>');
    expect(md).toContain('````text\nFirst line <b>');
    expect(md).toContain('</details>');
  });
});

describe('pass/fail policy', () => {
  test('by default a failing visible check fails the run; hidden ones and not attempted do not', () => {
    expect(judge(sample, 3, 6, policyFromEnv({})).passed).toBe(false);
    const onlyHidden = [exercise('e', [check('a', 'passed'), check('h', 'failed', { hidden: true })]), sample[2]];
    expect(judge(onlyHidden, 1, 3, policyFromEnv({})).passed).toBe(true);
  });

  test('a minimum score, in points or percent', () => {
    expect(parseMinScore('12')).toEqual({ points: 12 });
    expect(parseMinScore(' 60% ')).toEqual({ percent: 60 });
    expect(parseMinScore('')).toBeUndefined();
    expect(() => parseMinScore('lots')).toThrow(/points/);
    const scoreOnly = policyFromEnv({ GRADER_ALLOW_FAILING: 'true', GRADER_MIN_SCORE: '50%' });
    expect(judge(sample, 3, 6, scoreOnly)).toEqual({ passed: true, lines: ['✅ Minimum score 50% of 6 = 3 points: 3 reached.'] });
    expect(judge(sample, 2, 6, scoreOnly).passed).toBe(false);
  });

  test('report only', () => {
    expect(judge(sample, 0, 6, policyFromEnv({ GRADER_ALLOW_FAILING: '1' })).passed).toBe(true);
    expect(() => policyFromEnv({ GRADER_ALLOW_FAILING: 'maybe' })).toThrow(/true or false/);
  });
});

describe('checks not run because another found the root cause (student-view.ts)', () => {
  const notRun = (id: string) => ({
    id,
    title: `check ${id}`,
    points: 0,
    maxPoints: 1,
    hidden: false,
    status: 'failed' as const,
    message: 'Not run: in the check "replies to a datagram" [uppercase] the program did not start as a server; fix that first.\n  there: udp-upper-server.py sits idle',
  });
  const exercise = (rootHidden: boolean) => ({
    id: 'udp-upper-server',
    attempted: true,
    score: 0,
    max: 4,
    checks: [{ ...notRun('uppercase'), hidden: rootHidden, message: 'udp-upper-server.py sits idle (for 2 s) without listening' }, notRun('a'), notRun('b'), notRun('c')],
  });

  test('are said once, with the root cause, in the feedback, the CI summary and the terminal', () => {
    const line = '3 checks not run: in the check "replies to a datagram" the program did not start as a server; fix this first.';
    expect(notRunSummary(exercise(false))).toBe(line);
    const result = { name: 'x', score: 0, max: 4, exercises: [exercise(false)], gradedAt: '', durationMs: 0 };
    expect(feedbackMarkdown(result)).toContain(`**${line}**`);
    expect(summaryMarkdown(result)).toContain('3 checks not run');
    expect(formatScores([exercise(false)])).toContain(line);
  });

  test('never name a hidden root check', () => {
    expect(notRunSummary(exercise(true))).toBe('3 checks not run: in a hidden check the program did not start as a server; fix this first.');
  });
});
