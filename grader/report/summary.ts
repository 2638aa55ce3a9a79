/**
 * The Markdown summary of a graded submission, as GitHub shows it on a workflow run's page
 * ($GITHUB_STEP_SUMMARY) and `npm test -- --summary FILE` writes it: a table of exercises with
 * score / max, then each failing check with its message (long ones folded in <details>).
 */
import type { CheckResult, ExerciseResult, SubmissionResult } from '../../specs/harness/results';
import { codeBlock } from './feedback';
import { describeFailures, hintOf, notRunSummary, plural, studentMessage, studentTimeline, studentView, type StudentView } from './student-view';
import { timelineMarkdown } from './timeline';

export interface SummaryOptions {
  /** Heading; default "Autograder". */
  title?: string;
  /** Lines about the pass/fail policy, shown under the table. */
  verdict?: string[];
}

/** Messages longer than this many lines or characters are folded. */
const SHORT_LINES = 8;
const SHORT_CHARS = 800;
/** One message never takes more than this (the whole summary must stay under GitHub's 1 MiB). */
const MAX_MESSAGE_CHARS = 12_000;

export function summaryMarkdown(result: Pick<SubmissionResult, 'score' | 'max' | 'exercises'>, options: SummaryOptions = {}): string {
  const views = result.exercises.map((exercise) => ({ exercise, view: studentView(exercise) }));
  const out = [`## ${options.title ?? 'Autograder'}: ${formatPoints(result.score)} / ${formatPoints(result.max)} points`, ''];
  out.push('| exercise | score | result |', '|---|---:|---|');
  for (const { exercise, view } of views) out.push(`| \`${exercise.id}\` | ${scoreCell(exercise)} | ${resultCell(exercise, view)} |`);
  out.push(`| **total** | **${formatPoints(result.score)} / ${formatPoints(result.max)}** | |`, '');
  if (options.verdict?.length) out.push(...options.verdict, '');
  for (const { exercise, view } of views) {
    if (view.outcome !== 'failed') continue;
    out.push(`### ❌ ${exercise.id}: ${formatPoints(exercise.score)} / ${formatPoints(exercise.max)}`, '');
    if (view.problem) out.push(...messageBlock('The checks could not run', view.problem), '');
    const notRun = notRunSummary(exercise);
    if (notRun) out.push(`**${escapeInline(notRun)}**`, '');
    for (const check of view.failing) out.push(...failingCheck(check));
    if (view.hiddenFailing) out.push(`${plural(view.hiddenFailing, 'hidden check')} also failed (hidden checks are not described).`, '');
  }
  return withinLimit(`${out.join('\n').trimEnd()}\n`);
}

/** GitHub drops a step summary over 1 MiB whole: past that, the end is cut (result.json keeps everything). */
const MAX_SUMMARY_BYTES = 1000 * 1024;

function withinLimit(markdown: string): string {
  if (Buffer.byteLength(markdown) <= MAX_SUMMARY_BYTES) return markdown;
  const note = '\n\n… the summary is cut here, at GitHub\'s size limit: every message is in result.json in the grade files.\n';
  return Buffer.from(markdown).subarray(0, MAX_SUMMARY_BYTES - 1024).toString('utf8').replace(/\uFFFD$/, '') + note;
}

function scoreCell(exercise: ExerciseResult): string {
  return exercise.attempted ? `${formatPoints(exercise.score)} / ${formatPoints(exercise.max)}` : `– / ${formatPoints(exercise.max)}`;
}

function resultCell(exercise: ExerciseResult, view: StudentView): string {
  switch (view.outcome) {
    case 'passed':
      return view.skipped
        ? `✅ ${plural(exercise.checks.length - view.skipped, 'check')} ${exercise.checks.length - view.skipped === 1 ? 'passes' : 'pass'}, ${view.skipped} skipped (this machine cannot run ${view.skipped === 1 ? 'it' : 'them'})`
        : `✅ all ${plural(exercise.checks.length, 'check')} pass`;
    case 'failed':
      return `❌ ${describeFailures(view)}`;
    case 'not attempted':
      // "no ID.py, ID.ts, ..." says nothing the row does not; other reasons (an untouched starter) help.
      return exercise.reason && !exercise.reason.startsWith('no ') ? `⏭️ not attempted: ${escapeCell(exercise.reason)}` : '⏭️ not attempted';
    case 'no checks':
      return 'no checks ran';
  }
}

function failingCheck(check: CheckResult): string[] {
  const heading = `**✗ ${escapeInline(check.title)}** (\`${check.id}\`, ${plural(check.maxPoints, 'point')})`;
  const message = studentMessage(check) ?? (check.status === 'error' ? 'The check could not run.' : 'No message.');
  const hint = hintOf(message);
  const timeline = studentTimeline(check);
  const wire = timeline ? ['', '<details><summary>What happened on the wire</summary>', '', timelineMarkdown(timeline), '', '</details>'] : [];
  return [...messageBlock(hint ? `${heading}<br>💡 ${escapeInline(hint)}` : heading, message), ...wire, ''];
}

/** A short message right under its heading; a long one folded, its first line as the fold's title. */
function messageBlock(heading: string, rawMessage: string): string[] {
  const message = truncate(rawMessage.trimEnd(), MAX_MESSAGE_CHARS);
  const lines = message.split('\n');
  if (lines.length <= SHORT_LINES && message.length <= SHORT_CHARS) return [heading, '', codeBlock(message)];
  return [heading, '', `<details><summary>${escapeHtml(truncate(lines[0], 200))}</summary>`, '', codeBlock(message), '', '</details>'];
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}\n… (${text.length - max} more characters cut)`;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escapeInline(text: string): string {
  return escapeHtml(text).replace(/([\\`*_[\]|])/g, '\\$1');
}

function escapeCell(text: string): string {
  return escapeHtml(text).replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function formatPoints(points: number): string {
  return Number.isInteger(points) ? String(points) : points.toFixed(1);
}
