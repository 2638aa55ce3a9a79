import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { gradesCsv } from '../grader/report/csv';
import { feedbackMarkdown } from '../grader/report/feedback';
import { gradescopeResults } from '../grader/report/gradescope';
import { reportHtml } from '../grader/report/html';
import { gradesJson, GRADES_SCHEMA } from '../grader/report/json';
import { junitXml } from '../grader/report/junit';
import { HOSTILE, notAttempted, submission, udpExercise } from './helpers/sample-results';

const partial = submission('alice', [notAttempted(), udpExercise({ large: 'failed', secret: 'failed' })]);
const crashed = submission('bob', [udpExercise({ uppercase: 'error', large: 'error', secret: 'error' })], 'grading stopped after 600 s, the time budget for one submission');

describe('JUnit XML', () => {
  const xml = junitXml(partial);

  test('is well-formed, without characters XML cannot carry', () => {
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml).not.toMatch(/[\x00-\x08\x0B\x0C\x0E-\x1F]/);
    expect(XMLValidator.validate(junitXml(crashed))).toBe(true);
    expect(XMLValidator.validate(junitXml(submission('x <&> "y"', [], 'bad archive: "../x" <oops>')))).toBe(true);
  });

  test('one testsuite per exercise, failures, skips and errors where they belong', () => {
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml);
    const suites = doc.testsuites.testsuite;
    expect(doc.testsuites).toMatchObject({ name: 'alice', tests: '4', failures: '2', errors: '0', skipped: '1' });
    expect(suites.map((s: { name: string }) => s.name)).toEqual(['tcp-client', 'udp-upper-server']);
    expect(suites[0].testcase.skipped.message).toMatch(/^not attempted: no tcp-client\.py/);
    const large = suites[1].testcase.find((t: { name: string }) => t.name.includes('[large, 2 pts]'));
    expect(large.failure.message).toContain('large failed: got <b>"bold"</b> & \'quotes\'');
    expect(large.failure['#text']).toContain('```fence```');
    const errors = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(junitXml(crashed)).testsuites;
    expect(errors).toMatchObject({ errors: '3', failures: '0' });
  });
});

describe('Gradescope results.json', () => {
  const results = gradescopeResults(partial);

  test('score and one test per check with name, score, max_score, status, output', () => {
    expect(results.score).toBe(partial.score);
    expect(results.tests).toHaveLength(4);
    for (const test of results.tests) {
      expect(Object.keys(test)).toEqual(expect.arrayContaining(['name', 'score', 'max_score', 'status', 'visibility']));
      expect(['passed', 'failed']).toContain(test.status);
    }
    expect(results.tests.reduce((s, t) => s + t.score, 0)).toBe(partial.score);
    const large = results.tests.find((t) => t.name === 'udp-upper-server: returns a 60000-byte datagram intact')!;
    expect(large).toMatchObject({ score: 0, max_score: 2, status: 'failed', visibility: 'visible' });
    expect(large.output).toContain('large failed');
  });

  test('hidden checks are shown only once grades are published', () => {
    expect(results.tests.find((t) => t.name.includes('SECRET TITLE'))!.visibility).toBe('after_published');
    expect(results.tests.filter((t) => t.visibility === 'after_published')).toHaveLength(1);
  });

  test('a submission that could not be graded says why', () => {
    expect(gradescopeResults(crashed).output).toMatch(/could not be graded completely: grading stopped after 600 s/);
  });
});

describe('grades.csv', () => {
  test('a header, one row per submission, one column per exercise plus the total', () => {
    const csv = gradesCsv([partial, crashed]);
    expect(csv.split('\r\n')).toEqual(['submission,tcp-client,udp-upper-server,total', 'alice,0,2,2', 'bob,0,0,0', '']);
  });

  test('quotes what needs quoting and defuses spreadsheet formulas', () => {
    const csv = gradesCsv([submission('smith, "jo"', [udpExercise()]), submission('=HYPERLINK("x")', [udpExercise()])]);
    expect(csv).toContain('"smith, ""jo""",5,5\r\n');
    expect(csv).toContain('"\'=HYPERLINK(""x"")",5,5\r\n');
  });
});

describe('feedback.md', () => {
  const markdown = feedbackMarkdown(partial);

  test('shows the visible failures with their message in an unbreakable fence', () => {
    expect(markdown).toContain('**Total: 2/6 pts**');
    expect(markdown).toContain('large failed');
    expect(markdown).toMatch(/````text\n\s*large failed: got <b>"bold"<\/b>/);
    expect(markdown).toContain('Not attempted: no tcp-client.py');
  });

  test('never shows a hidden check, only counts it', () => {
    expect(markdown).not.toContain('SECRET');
    expect(markdown).toContain('1 hidden check (1 pt): 0 passed, 0/1 pt earned');
  });

  test('says when the submission could not be graded', () => {
    expect(feedbackMarkdown(crashed)).toContain('could not be graded completely');
    expect(feedbackMarkdown(crashed)).not.toContain('SECRET');
  });
});

describe('grades.json and report.html', () => {
  test('grades.json has the schema, the grading table and every result', () => {
    const json = JSON.parse(gradesJson([partial, crashed]));
    expect(json.schema).toBe(GRADES_SCHEMA);
    expect(json.exercises.map((e: { id: string; max: number }) => [e.id, e.max])).toEqual([['tcp-client', 1], ['udp-upper-server', 5]]);
    expect(json.exercises[1].checks[2]).toEqual({ id: 'secret', title: 'SECRET TITLE of a hidden check', points: 1, hidden: true });
    expect(json.submissions.map((s: { name: string }) => s.name)).toEqual(['alice', 'bob']);
  });

  test('report.html is self-contained, escapes what it shows, links each feedback', () => {
    const html = reportHtml([partial, crashed, submission('<script>alert(1)</script>', [udpExercise()])]);
    expect(html).not.toMatch(/<script|src=|href="http/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html.match(/<svg/g)).toHaveLength(2);
    expect(html).toContain('href="submissions/alice/feedback.md"');
    expect(html).not.toContain(HOSTILE.slice(0, 8));
  });
});
