/**
 * feedback.html: what feedback.md says, as a page of its own (no scripts, no external files) with
 * each failing visible check's exchange drawn as a sequence diagram. The same rules as feedback.md:
 * hidden checks are only counted.
 */
import type { CheckResult, ExerciseResult, SubmissionResult } from '../../specs/harness/results';
import { pointsLabel } from '../../specs/harness/titles';
import { hiddenSummary } from './feedback';
import { escapeHtml, REPORT_STYLE } from './html';
import { notRunSummary, studentCapture, studentMessage, studentText, studentTimeline } from './student-view';
import { timelineSvg } from './timeline';

const encodePath = (file: string) => file.split('/').map(encodeURIComponent).join('/');

/** Plain symbols, coloured by CSS: an emoji font is not on every machine that opens the page. */
const MARK: Record<CheckResult['status'], string> = {
  passed: '<span class="mark pass">✓</span>',
  failed: '<span class="mark fail">✗</span>',
  error: '<span class="mark error">!</span>',
  skipped: '<span class="mark">–</span>',
  'not attempted': '<span class="mark">–</span>',
};

function visibleCheck(check: CheckResult): string {
  const line = `<li>${MARK[check.status]} ${escapeHtml(check.title)} <code>${escapeHtml(check.id)}</code> — ${check.points}/${pointsLabel(check.maxPoints)}${check.status === 'passed' ? '' : ` (${check.status})`}`;
  const message = studentMessage(check);
  if (!message || check.status === 'passed') return `${line}</li>`;
  const timeline = studentTimeline(check);
  const wire = timeline ? `<p class="wire-title">What happened on the wire:</p><div class="wire">${timelineSvg(timeline)}</div>` : '';
  const capture = studentCapture(check);
  const packets = capture ? `<p class="wire-title">Packets, for Wireshark: <a href="${escapeHtml(encodePath(capture.file))}">${escapeHtml(capture.file)}</a> (${escapeHtml(capture.words)})</p>` : '';
  return `${line}<pre>${escapeHtml(message)}</pre>${wire}${packets}</li>`;
}

function exerciseSection(exercise: ExerciseResult): string {
  const parts = [`<h2>${escapeHtml(exercise.id)}: ${exercise.score}/${pointsLabel(exercise.max)}</h2>`];
  if (!exercise.attempted) parts.push(`<p>Not attempted: ${escapeHtml(exercise.reason ?? '')}</p>`);
  else if (exercise.reason) parts.push(`<p>The checks could not run:</p><pre>${escapeHtml(studentText(exercise.reason))}</pre>`);
  const notRun = exercise.attempted ? notRunSummary(exercise) : undefined;
  if (notRun) parts.push(`<p><b>${escapeHtml(notRun)}</b></p>`);
  const items = exercise.attempted ? exercise.checks.filter((c) => !c.hidden).map(visibleCheck) : [];
  const hidden = hiddenSummary(exercise.checks.filter((c) => c.hidden)).replace(/^- /, '');
  if (hidden) items.push(`<li>${escapeHtml(hidden)}</li>`);
  if (items.length) parts.push(`<ul class="checks">${items.join('\n')}</ul>`);
  return parts.join('\n');
}

export function feedbackHtml(result: SubmissionResult): string {
  const parts = [`<h1>Feedback: ${escapeHtml(result.name)}</h1>`, `<p><b>Total: ${result.score}/${pointsLabel(result.max)}</b></p>`];
  if (result.error) parts.push(`<p>Your submission could not be graded completely:</p><pre>${escapeHtml(studentText(result.error))}</pre>`);
  parts.push(...result.exercises.map(exerciseSection));
  parts.push('<hr><p><small>A check earns all its points or none. Run <code>npm test</code> in your copy of the course repository to see the visible checks on your machine; <code>npm test -- --trace ID</code> prints every check\'s exchange.</small></p>');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Feedback: ${escapeHtml(result.name)}</title><style>${REPORT_STYLE}ul.checks{list-style:none;padding-left:8px}ul.checks li{margin:4px 0}.wire-title{margin:4px 0 0;color:#4a5161}.mark{display:inline-block;width:1.2em;font-weight:bold;color:#6b7280}.mark.pass{color:#1a7f37}.mark.fail{color:#cf222e}.mark.error{color:#9a6700}</style></head>
<body>
${parts.join('\n')}
</body></html>
`;
}
