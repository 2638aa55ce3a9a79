/**
 * A submission's result as JUnit XML (one <testsuite> per exercise, one <testcase> per check), the
 * format CI systems and IDEs display. Everything the student's programs printed ends up in failure
 * messages, so all text is escaped and stripped of characters XML 1.0 cannot carry.
 */
import type { CheckResult, ExerciseResult, SubmissionResult } from '../../specs/harness/results';
import { checkTitle } from '../../specs/harness/titles';
import { studentMessage, studentText } from './student-view';

// XML 1.0 allows tab, newline, carriage return and everything from U+0020 except lone surrogates and U+FFFE/U+FFFF.
const NOT_XML = /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function xmlText(text: string): string {
  return text.replace(NOT_XML, '\uFFFD').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Attribute values also keep their quotes and line breaks. */
export function xmlAttr(text: string): string {
  return xmlText(text).replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}

function attrs(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(([key, value]) => ` ${key}="${xmlAttr(String(value))}"`)
    .join('');
}

const seconds = (ms: number | undefined) => ((ms ?? 0) / 1000).toFixed(3);

function counts(checks: CheckResult[]) {
  return {
    tests: checks.length,
    failures: checks.filter((c) => c.status === 'failed').length,
    errors: checks.filter((c) => c.status === 'error').length,
    skipped: checks.filter((c) => c.status === 'skipped' || c.status === 'not attempted').length,
  };
}

function testcase(exercise: ExerciseResult, check: CheckResult): string {
  const head = `    <testcase${attrs({ classname: exercise.id, name: checkTitle({ id: check.id, title: check.title, points: check.maxPoints, hidden: check.hidden }), time: seconds(check.ms) })}`;
  // Also a student's artifact in CI: an error of the grading says so plainly (grades.json keeps the detail).
  const message = check.status === 'error' ? (studentMessage(check) ?? studentText(exercise.reason ?? '')) : (check.message ?? exercise.reason ?? '');
  const firstLine = message.split('\n')[0];
  switch (check.status) {
    case 'passed':
      return `${head}/>`;
    case 'failed':
      return `${head}>\n      <failure${attrs({ message: firstLine, type: 'CheckFailure' })}>${xmlText(message)}</failure>\n    </testcase>`;
    case 'error':
      return `${head}>\n      <error${attrs({ message: firstLine, type: 'GradingError' })}>${xmlText(message)}</error>\n    </testcase>`;
    case 'not attempted':
      return `${head}>\n      <skipped${attrs({ message: `not attempted: ${exercise.reason ?? ''}` })}/>\n    </testcase>`;
    case 'skipped':
      return `${head}>\n      <skipped/>\n    </testcase>`;
  }
}

function testsuite(exercise: ExerciseResult, timestamp: string): string {
  const time = exercise.checks.reduce((sum, c) => sum + (c.ms ?? 0), 0);
  const open = `  <testsuite${attrs({ name: exercise.id, ...counts(exercise.checks), time: seconds(time), timestamp })}>`;
  const properties = [
    `      <property${attrs({ name: 'score', value: exercise.score })}/>`,
    `      <property${attrs({ name: 'max', value: exercise.max })}/>`,
    ...(exercise.reason ? [`      <property${attrs({ name: 'reason', value: studentText(exercise.reason) })}/>`] : []),
  ];
  return [open, '    <properties>', ...properties, '    </properties>', ...exercise.checks.map((c) => testcase(exercise, c)), '  </testsuite>'].join('\n');
}

export function junitXml(result: SubmissionResult): string {
  const checks = result.exercises.flatMap((e) => e.checks);
  const suites = result.exercises.map((e) => testsuite(e, result.gradedAt));
  if (result.error && checks.length === 0) {
    // Nothing could run: one erroring test case says why, so CI shows red with the reason.
    suites.push(
      `  <testsuite${attrs({ name: 'grading', tests: 1, failures: 0, errors: 1, skipped: 0, time: seconds(result.durationMs), timestamp: result.gradedAt })}>\n` +
        `    <testcase${attrs({ classname: 'grading', name: 'the submission could be graded', time: seconds(result.durationMs) })}>\n` +
        `      <error${attrs({ message: studentText(result.error).split('\n')[0], type: 'GradingError' })}>${xmlText(studentText(result.error))}</error>\n    </testcase>\n  </testsuite>`,
    );
  }
  const total = result.error && checks.length === 0 ? { tests: 1, failures: 0, errors: 1, skipped: 0 } : counts(checks);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attrs({ name: result.name, ...total, time: seconds(result.durationMs) })}>`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}
