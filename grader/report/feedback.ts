/**
 * The feedback a student can be sent, as Markdown: per exercise the score, each visible check and why
 * it failed. Hidden checks are only counted (how many, their points, the points earned): their
 * titles and messages never appear, so feedback cannot leak what they test.
 */
import type { CheckResult, ExerciseResult, SubmissionResult } from '../../specs/harness/results';
import { pointsLabel } from '../../specs/harness/titles';
import { notRunSummary, studentCapture, studentMessage, studentText, studentTimeline } from './student-view';
import { timelineMarkdown } from './timeline';


/** A fenced block that no backtick run inside the text can close early. */
export function codeBlock(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}text\n${text.replace(/\s+$/, '')}\n${fence}`;
}

/** Markdown's special characters in one line of prose (titles, reasons) shown as typed. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_[\]<>|~]/g, '\\$&').replace(/\r?\n/g, ' ');
}

const MARK: Record<CheckResult['status'], string> = {
  passed: '✅',
  failed: '❌',
  error: '⚠️',
  skipped: '⏭️',
  'not attempted': '➖',
};

function visibleCheck(check: CheckResult): string {
  const line = `- ${MARK[check.status]} ${escapeMarkdown(check.title)} — ${check.points}/${pointsLabel(check.maxPoints)}${check.status === 'passed' ? '' : ` (${check.status})`}`;
  const message = studentMessage(check);
  if (!message || check.status === 'passed') return line;
  const timeline = studentTimeline(check);
  const wire = timeline ? `\n  What happened on the wire:\n\n${timelineMarkdown(timeline).replace(/^/gm, '  ')}\n` : '';
  const capture = studentCapture(check);
  const packets = capture ? `\n  Packets, for Wireshark: [${capture.file}](${capture.file.split('/').map(encodeURIComponent).join('/')}) (${capture.words})\n` : '';
  return `${line}\n\n${codeBlock(message).replace(/^/gm, '  ')}\n${wire}${packets}`;
}

export function hiddenSummary(hidden: CheckResult[]): string {
  if (hidden.length === 0) return '';
  const earned = hidden.reduce((s, c) => s + c.points, 0);
  const max = hidden.reduce((s, c) => s + c.maxPoints, 0);
  const passed = hidden.filter((c) => c.status === 'passed').length;
  return `- 🔒 ${hidden.length} hidden check${hidden.length === 1 ? '' : 's'} (${pointsLabel(max)}): ${passed} passed, ${earned}/${pointsLabel(max)} earned`;
}

function exerciseSection(exercise: ExerciseResult): string {
  const lines = [`## ${exercise.id}: ${exercise.score}/${pointsLabel(exercise.max)}`, ''];
  if (!exercise.attempted) lines.push(`Not attempted: ${escapeMarkdown(exercise.reason ?? '')}`, '');
  else if (exercise.reason) lines.push('The checks could not run:', '', codeBlock(studentText(exercise.reason)), '');
  const visible = exercise.checks.filter((c) => !c.hidden);
  const notRun = exercise.attempted ? notRunSummary(exercise) : undefined;
  if (notRun) lines.push(`**${escapeMarkdown(notRun)}**`, '');
  if (exercise.attempted) lines.push(...visible.map(visibleCheck));
  const hidden = hiddenSummary(exercise.checks.filter((c) => c.hidden));
  if (hidden) lines.push(hidden);
  return lines.join('\n').replace(/\n+$/, '');
}

export function feedbackMarkdown(result: SubmissionResult): string {
  const lines = [`# Feedback: ${escapeMarkdown(result.name)}`, '', `**Total: ${result.score}/${pointsLabel(result.max)}**`, ''];
  if (result.error) lines.push('Your submission could not be graded completely:', '', codeBlock(studentText(result.error)), '');
  if (result.exercises.length > 1) {
    lines.push('| Exercise | Score |', '|---|---:|');
    for (const e of result.exercises) lines.push(`| ${e.id} | ${e.attempted ? `${e.score}/${e.max}` : `not attempted (0/${e.max})`} |`);
    lines.push('');
  }
  for (const exercise of result.exercises) lines.push(exerciseSection(exercise), '');
  lines.push(
    '---',
    '',
    'A check earns all its points or none. Run `npm test` in your copy of the course repository to see the visible checks on your machine.',
    '',
  );
  return lines.join('\n');
}
