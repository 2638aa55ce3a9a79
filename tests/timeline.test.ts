/**
 * The exchange timeline: what the harness records for a check, how it is bounded, the three drawings
 * of it (terminal text, Mermaid for GitHub's Markdown, inline SVG), and that students only ever see a
 * visible failing check's.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CheckResult, ExerciseResult } from '../specs/harness/results';
import { MAX_EVENTS, Timeline, bytesOf, currentTimeline, withTimeline, type TimelineEvent, type TimelineRecord } from '../specs/harness/timeline';
import { feedbackMarkdown } from '../grader/report/feedback';
import { feedbackHtml } from '../grader/report/feedback-html';
import { reportHtml } from '../grader/report/html';
import { gradesJson } from '../grader/report/json';
import { summaryMarkdown } from '../grader/report/summary';
import { headOf, timelineMermaid, timelineSvg, timelineText } from '../grader/report/timeline';
import { HOSTILE, submission, udpExercise } from './helpers/sample-results';
import { WHOLE_GRADING_LIMIT_MS } from './helpers/limits';

const REPO = path.resolve(__dirname, '..');

/** A UDP client that sends its datagram at 0, 1, 2, 3 and 4 s and then gives up: one try too many. */
function fiveTries(): TimelineRecord {
  const events: TimelineEvent[] = [
    { ms: 1, kind: 'listen', from: 'grader', text: 'listening on UDP 127.0.0.1:40000' },
    { ms: 5, kind: 'start', from: 'program', text: 'started: python3 udp-client.py 127.0.0.1 40000 hello' },
    ...[0, 1, 2, 3, 4].map((s): TimelineEvent => ({ ms: 50 + s * 1000, kind: 'receive', from: 'program', to: 'grader', via: 'UDP 127.0.0.1:51000 → :40000', ...bytesOf('hello') })),
    { ms: 5060, kind: 'exit', from: 'program', text: 'exited with code 1' },
  ];
  return { events, cut: 0 };
}

describe('recording', () => {
  test('each check records into its own timeline, through its awaits', async () => {
    const [a, b] = [new Timeline(), new Timeline()];
    const step = async (name: string) => {
      await new Promise((resolve) => setImmediate(resolve));
      currentTimeline()?.add({ kind: 'send', from: 'grader', to: 'program', text: name });
    };
    await Promise.all([withTimeline(a, () => step('a')), withTimeline(b, () => step('b'))]);
    expect(a.record().events.map((e) => e.text)).toEqual(['a']);
    expect(b.record().events.map((e) => e.text)).toEqual(['b']);
    expect(currentTimeline()).toBeUndefined();
  });

  test('a check judging an observation another check made shows that one, with its own events in its time', async () => {
    const [maker, judge] = [new Timeline(), new Timeline()];
    maker.add({ kind: 'start', from: 'program', text: 'started' });
    judge.follow(maker);
    maker.add({ kind: 'exit', from: 'program', text: 'exited with code 1' });
    judge.add({ kind: 'wait', from: 'grader', text: 'judged' });
    const record = judge.record();
    expect(record.startedAt).toBe(maker.record().startedAt);
    expect(record.events.map((e) => e.text)).toEqual(['started', 'exited with code 1', 'judged']);
    expect(new Timeline().empty).toBe(true);
    const follower = new Timeline();
    follower.follow(maker);
    expect(follower.empty).toBe(false);
  });

  test('past its size a timeline keeps the first and the last events and counts the rest', () => {
    const timeline = new Timeline();
    for (let i = 0; i < 250; i++) timeline.add({ kind: 'send', from: 'grader', to: 'program', text: `#${i}`, ...bytesOf(Buffer.alloc(4096)) });
    const record = timeline.record();
    expect(record.events).toHaveLength(MAX_EVENTS);
    expect(record.cut).toBe(250 - MAX_EVENTS);
    expect(record.events[0].text).toBe('#0');
    expect(record.events.at(-1)!.text).toBe('#249');
    expect(record.events[record.cutAt! - 1].text).toBe(`#${record.cutAt! - 1}`);
    expect(record.events[record.cutAt!].text).toBe(`#${record.cutAt! + record.cut}`);
    // Only the first bytes of each send are kept.
    expect(record.events.every((e) => e.size === 4096 && e.head!.length === 32)).toBe(true);
    const notice = '… 150 more events not shown (a timeline keeps the first and the last ones) …';
    expect(timelineText(record)).toContain(notice);
    expect(timelineMermaid(record)).toContain('150 more events not shown');
    expect(timelineSvg(record)).toContain(notice);
  });
});

describe('drawings', () => {
  test('the terminal text shows the five sends a second apart, and the exit', () => {
    const text = timelineText(fiveTries());
    expect(text.match(/grader ← program {2}UDP 127\.0\.0\.1:51000 → :40000 {2}5 bytes {2}"hello"/g)).toHaveLength(5);
    expect(text.match(/⋮ 1\.0 s later/g)).toHaveLength(5);
    expect(text).toMatch(/5\.060 s {2}program {11}exited with code 1/);
  });

  test('first bytes are quoted when printable and hex otherwise, with … when there were more', () => {
    expect(headOf({ ms: 0, kind: 'send', from: 'grader', ...bytesOf('hi\n') })).toBe('"hi\\n"');
    expect(headOf({ ms: 0, kind: 'send', from: 'grader', ...bytesOf(Buffer.from('000000036162630000', 'hex')) })).toBe('00 00 00 03 61 62 63 00 00');
    expect(headOf({ ms: 0, kind: 'send', from: 'grader', ...bytesOf('x'.repeat(40)) })).toBe(`"${'x'.repeat(16)}"…`);
  });

  test('Mermaid: a sequenceDiagram whose labels hold none of its syntax characters', () => {
    const record = fiveTries();
    record.events.push({ ms: 5100, kind: 'reset', from: 'program', to: 'grader', via: 'TCP :1', text: 'a: b; c # d <e> "f" & {g} %h' });
    const mermaid = timelineMermaid(record);
    const lines = mermaid.split('\n');
    expect(lines.slice(0, 3)).toEqual(['sequenceDiagram', '  participant G as grader (the tests)', '  participant P as your program']);
    expect(lines.filter((l) => l.startsWith('  P->>G: '))).toHaveLength(5);
    expect(lines.filter((l) => l.startsWith('  P-xG: '))).toHaveLength(1);
    for (const line of lines.slice(3)) {
      const label = line.slice(line.indexOf(': ') + 2);
      // Entity codes (#58;) are Mermaid's own escapes; nothing else of its syntax remains.
      expect(label.replace(/#\d+;/g, '')).not.toMatch(/[:;#<>"&{}%]/);
    }
  });

  test('SVG: both lifelines, an arrow per datagram, the gaps marked, text escaped', () => {
    const record = fiveTries();
    record.events.push({ ms: 5100, kind: 'send', from: 'grader', to: 'program', text: HOSTILE });
    const svg = timelineSvg(record);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('grader (the tests)');
    expect(svg).toContain('your program');
    expect(svg.match(/<line x1="690" y1="\d+" x2="158"/g)).toHaveLength(5);
    expect(svg.match(/⋮ 1\.0 s</g)).toHaveLength(5);
    expect(svg).not.toContain('<b>');
    expect(svg).toContain('&lt;b&gt;');
    // Everything between tags is text: no element but the drawing's own.
    expect(new Set(svg.match(/<([a-z]+)/g))).toEqual(new Set(['<svg', '<style', '<rect', '<text', '<line', '<g', '<title', '<circle', '<path']));
  });
});

describe('who sees a timeline', () => {
  const withTimelines = (exercise: ExerciseResult): ExerciseResult => ({
    ...exercise,
    checks: exercise.checks.map((c): CheckResult => (c.status === 'failed' ? { ...c, timeline: { events: [{ ms: 1, kind: 'send', from: 'grader', to: 'program', text: `WIRE OF ${c.id}` }], cut: 0 } } : c)),
  });
  const result = submission('alice', [withTimelines(udpExercise({ large: 'failed', secret: 'failed' }))]);

  test("feedback.md draws a visible failing check's exchange in Mermaid, never a hidden one's", () => {
    const md = feedbackMarkdown(result);
    expect(md).toContain('What happened on the wire:');
    expect(md).toMatch(/```mermaid\n\s*sequenceDiagram\n[^`]*WIRE OF large/);
    expect(md).not.toContain('WIRE OF secret');
    expect(md.match(/```mermaid/g)).toHaveLength(1);
  });

  test("feedback.html draws it as SVG, never a hidden one's; report.html, the TA's, draws both", () => {
    const html = feedbackHtml(result);
    expect(html).toContain('<svg');
    expect(html).toContain('WIRE OF large');
    expect(html).not.toContain('WIRE OF secret');
    expect(html).not.toContain('SECRET');
    const report = reportHtml([result]);
    expect(report).toContain('WIRE OF large');
    expect(report).toContain('WIRE OF secret');
  });

  test("the CI job summary folds a visible failing check's Mermaid into <details>, never a hidden one's", () => {
    const summary = summaryMarkdown(result);
    expect(summary).toMatch(/<details><summary>What happened on the wire<\/summary>\s*```mermaid\n\s*sequenceDiagram\n[^`]*WIRE OF large/);
    expect(summary).not.toContain('WIRE OF secret');
  });

  test('grades.json leaves the timelines in each result.json', () => {
    expect(gradesJson([result])).not.toContain('WIRE OF');
  });
});

describe('recorded by the real specs', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'timeline-test-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  /** The checks named, graded by the real specs on `student` with the results reporter. */
  function grade(student: Record<string, string>, checks: string[], trace: string): Promise<Map<string, CheckResult>> {
    const dir = mkdtempSync(path.join(work, 'run-'));
    mkdirSync(path.join(dir, 'student'));
    for (const [name, source] of Object.entries(student)) copyFileSync(path.join(REPO, source), path.join(dir, 'student', name));
    const resultsFile = path.join(dir, 'results.json');
    const specs = [...new Set(Object.keys(student).map((name) => `specs/${name.replace(/\.py$/, '')}.spec.ts`))];
    const args = [path.join(REPO, 'node_modules', 'jest', 'bin', 'jest.js'), '--ci', '--reporters', path.join(REPO, 'grader', 'results-reporter.ts'), '-t', `\\[(${checks.join('|')}),`, ...specs];
    const env = { ...process.env, GRADER_TARGET: path.join(dir, 'student'), GRADER_RESULTS_FILE: resultsFile, GRADER_TIMELINE_DIR: path.join(dir, 'timelines'), GRADER_TRACE: trace, NO_COLOR: '1' };
    return new Promise((resolve, reject) => {
      execFile(process.execPath, args, { cwd: REPO, env, maxBuffer: 16 * 1024 * 1024 }, (_error, stdout, stderr) => {
        try {
          const exercises = JSON.parse(readFileSync(resultsFile, 'utf8')) as ExerciseResult[];
          resolve(new Map(exercises.flatMap((e) => e.checks.map((c) => [`${e.id}/${c.id}`, c] as const))));
        } catch (error) {
          reject(new Error(`no results (${String(error)}):\n${stdout}${stderr}`));
        }
      });
    });
  }

  test(
    'a failing check carries its exchange; a passing one only when its exercise is traced',
    async () => {
      const checks = await grade(
        { 'udp-client.py': 'fixtures/submissions/partial/student/udp-client.py', 'tcp-framed-server.py': 'fixtures/broken/tcp-framed-server/little-endian-length.py' },
        ['four-tries', 'prints-reply', 'network-byte-order', 'port-in-use'],
        'udp-client',
      );
      const fourTries = checks.get('udp-client/four-tries')!;
      expect(fourTries.status).toBe('failed');
      const datagrams = fourTries.timeline!.events.filter((e) => e.kind === 'receive' && e.from === 'program');
      expect(datagrams).toHaveLength(5);
      expect(datagrams.every((e) => e.size === 17 && e.via!.startsWith('UDP 127.0.0.1:'))).toBe(true);
      expect(fourTries.timeline!.events.map((e) => e.kind)).toEqual(expect.arrayContaining(['listen', 'start', 'exit']));

      expect(checks.get('udp-client/prints-reply')).toMatchObject({ status: 'passed', timeline: expect.anything() });

      const byteOrder = checks.get('tcp-framed-server/network-byte-order')!;
      expect(byteOrder.status).toBe('failed');
      const kinds = byteOrder.timeline!.events.map((e) => `${e.from}:${e.kind}`);
      expect(kinds.slice(0, 4)).toEqual(['program:start', 'program:listening', 'grader:connect', 'grader:send']);
      expect(byteOrder.timeline!.events[3].head).toBe('00000003616263');
      expect(kinds).toContain('program:reset');
      expect(kinds.at(-1)).toBe('program:stopped');

      expect(checks.get('tcp-framed-server/port-in-use')).toMatchObject({ status: 'passed' });
      expect(checks.get('tcp-framed-server/port-in-use')!.timeline).toBeUndefined();
    },
    WHOLE_GRADING_LIMIT_MS,
  );
});
