/**
 * The report a student reads after `npm test`: jest's own output (per-file results, then its
 * "Tests:" summary), then per exercise the score and the failing checks, then the total. Colour only
 * on a terminal (FORCE_COLOR forces it, NO_COLOR turns it off). With GRADER_SUMMARY_FILE set (what
 * `npm test -- --summary FILE` does) it also writes the Markdown summary there.
 *
 * jest always puts its SummaryReporter after every configured reporter, so this reporter replaces
 * 'default' and drives jest's default reporters itself, to print the scores after them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DefaultReporter, SummaryReporter, VerboseReporter, type Reporter } from '@jest/reporters';
import type { AggregatedResult, Test, TestResult } from '@jest/test-result';
import { formatResultsErrors } from 'jest-message-util';
import { notRunSummary, studentMessage, studentTimeline, studentView } from './student-view';
import { timelineText } from './timeline';
import { traced } from '../../specs/harness/timeline-store';
import { formatPoints, summaryMarkdown } from './summary';
import { graderErrorMessage, graderErrorNotice, isStudentFailure } from '../../specs/harness/grader-error';
import { exerciseResults, stripAnsi, totals, type ExerciseResult } from '../../specs/harness/results';

const useColour = process.env.FORCE_COLOR ? process.env.FORCE_COLOR !== '0' : process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: number) => (text: string) => (useColour ? `\x1b[${code}m${text}\x1b[0m` : text);
const green = paint(32);
const red = paint(31);
const yellow = paint(33);
const dim = paint(2);
const bold = paint(1);

export function formatScores(exercises: ExerciseResult[]): string {
  const width = Math.max(10, ...exercises.map((e) => e.id.length));
  const indent = ' '.repeat(width + 12);
  const lines = [bold('Score by exercise')];
  for (const exercise of exercises) {
    const name = exercise.id.padEnd(width);
    const score = `${formatPoints(exercise.score).padStart(4)}/${formatPoints(exercise.max).padStart(3)}`;
    const view = studentView(exercise);
    switch (view.outcome) {
      case 'not attempted':
        lines.push(`  ${name}  ${dim(`   -/${formatPoints(exercise.max).padStart(3)}`)}  ${yellow('not attempted')}${dim(`: ${exercise.reason}`)}`);
        break;
      case 'passed':
        lines.push(`  ${name}  ${green(score)}  ${green('all checks pass')}${view.skipped ? dim(` (${view.skipped} skipped: this machine cannot run ${view.skipped === 1 ? 'it' : 'them'})`) : ''}`);
        break;
      case 'no checks':
        lines.push(`  ${name}  ${dim(score)}  ${dim('no checks ran')}`);
        break;
      case 'failed':
        if (view.problem) lines.push(`  ${name}  ${red(score)}  ${red(view.problem.split('\n')[0])}`);
        else lines.push(`  ${name}  ${red(score)}  ${view.failing.length + view.hiddenFailing} failing:`);
        if (!view.problem && notRunSummary(exercise)) lines.push(`${indent}${yellow(notRunSummary(exercise)!)}`);
        for (const check of view.failing) {
          const notice = check.status === 'error' ? studentMessage(check) : undefined;
          lines.push(`${indent}${red(check.status === 'error' ? '⚠' : '✗')} ${check.title} ${dim(`[${check.id}, ${formatPoints(check.maxPoints)}]`)}${notice ? yellow(`: ${notice}`) : ''}`);
        }
        if (view.hiddenFailing) lines.push(`${indent}${red('✗')} ${dim(`${view.hiddenFailing} hidden`)}`);
    }
  }
  const total = totals(exercises);
  lines.push(bold(`  ${'Total'.padEnd(width)}  ${formatPoints(total.score).padStart(4)}/${formatPoints(total.max).padStart(3)}`));
  return lines.join('\n');
}

/**
 * `npm test -- --trace ID`: every visible check of the traced exercises, its exchange as text.
 * Hidden checks never run in a student's npm test; were they on, they would not be shown.
 */
export function formatTraces(exercises: ExerciseResult[]): string {
  const out: string[] = [];
  for (const exercise of exercises.filter((e) => traced(e.id))) {
    for (const check of exercise.checks.filter((c) => !c.hidden && c.timeline)) {
      const mark = check.status === 'passed' ? green('✓') : red('✗');
      out.push(bold(`${mark} ${exercise.id}: ${check.title} [${check.id}]`), timelineText(check.timeline!), '');
    }
  }
  return out.length ? [bold('What each check did on the wire'), '', ...out].join('\n').trimEnd() : '';
}

export function writeSummaryFile(file: string, exercises: ExerciseResult[]): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileSync(file, summaryMarkdown({ ...totals(exercises), exercises }));
}

type Hooks = Required<Pick<Reporter, 'onRunStart' | 'onTestResult' | 'onTestStart' | 'onTestCaseResult' | 'onTestCaseStart' | 'onRunComplete'>>;

type GlobalConfig = ConstructorParameters<typeof DefaultReporter>[0];

/**
 * A check the grading failed on (grader-error.ts) shows the student one plain line, not jest's
 * failure with the grader's stack and paths: its failure messages are replaced, in place (so the
 * scores and a caller's results see the same), before jest's reporters print them.
 */
export function plainGraderErrors(result: TestResult, config: Test['context']['config'], globalConfig: GlobalConfig): void {
  if (result.testExecError) {
    // The spec itself could not run (a bug or a missing piece of the grader's): no stack for the student either.
    const notice = graderErrorNotice(`the checks could not run: ${stripAnsi(result.testExecError.message)}`).replace('on this check', 'on this exercise');
    result.failureMessage = `  ● Test suite failed to run\n\n    ${notice}\n`;
    return;
  }
  let changed = false;
  for (const test of result.testResults) {
    if (test.status !== 'failed') continue;
    const messages = test.failureMessages.map(stripAnsi);
    if (isStudentFailure(messages)) continue;
    test.failureMessages = [`GraderError: ${graderErrorNotice(graderErrorMessage(messages))}`];
    test.failureDetails = [];
    changed = true;
  }
  if (changed) result.failureMessage = formatResultsErrors(result.testResults, config, globalConfig, result.testFilePath);
}

export default class ScoreReporter implements Hooks {
  private readonly jestOutput: Reporter[];

  constructor(private readonly globalConfig: GlobalConfig) {
    this.jestOutput = [globalConfig.verbose ? new VerboseReporter(globalConfig) : new DefaultReporter(globalConfig), new SummaryReporter(globalConfig)];
  }

  async onRunStart(...args: Parameters<Hooks['onRunStart']>): Promise<void> {
    for (const reporter of this.jestOutput) await reporter.onRunStart?.(...args);
  }

  async onTestStart(...args: Parameters<Hooks['onTestStart']>): Promise<void> {
    for (const reporter of this.jestOutput) await (reporter.onTestFileStart ?? reporter.onTestStart)?.call(reporter, ...args);
  }

  async onTestCaseStart(...args: Parameters<Hooks['onTestCaseStart']>): Promise<void> {
    for (const reporter of this.jestOutput) await reporter.onTestCaseStart?.(...args);
  }

  async onTestCaseResult(...args: Parameters<Hooks['onTestCaseResult']>): Promise<void> {
    for (const reporter of this.jestOutput) await reporter.onTestCaseResult?.(...args);
  }

  async onTestResult(...args: Parameters<Hooks['onTestResult']>): Promise<void> {
    plainGraderErrors(args[1], args[0].context.config, this.globalConfig);
    for (const reporter of this.jestOutput) await (reporter.onTestFileResult ?? reporter.onTestResult)?.call(reporter, ...args);
  }

  async onRunComplete(...args: Parameters<Hooks['onRunComplete']>): Promise<void> {
    for (const reporter of this.jestOutput) await reporter.onRunComplete?.(...args);
    this.report(args[1]);
  }

  getLastError(): Error | undefined {
    return this.jestOutput.map((r) => r.getLastError?.()).find(Boolean) ?? undefined;
  }

  private report(results: AggregatedResult): void {
    const exercises = exerciseResults(results);
    if (exercises.length === 0) return;
    const traces = formatTraces(exercises);
    if (traces) process.stdout.write(`\n${traces}\n`);
    process.stdout.write(`\n${formatScores(exercises)}\n`);
    const untraced = exercises.filter((e) => !traced(e.id) && e.checks.some((c) => studentTimeline(c)));
    if (untraced.length) process.stdout.write(dim(`What a failing check did on the wire: npm test -- --trace ${untraced[0].id}\n`));
    const file = process.env.GRADER_SUMMARY_FILE;
    if (file) {
      writeSummaryFile(file, exercises);
      process.stdout.write(dim(`Markdown summary written to ${file}\n`));
    }
  }
}
