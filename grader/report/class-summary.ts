/**
 * class-summary.md: the class at a glance in Markdown, for a CI job's summary page
 * ($GITHUB_STEP_SUMMARY) or a message to the course staff: totals, each exercise's pass rate and mean,
 * and the submissions that could not be graded completely. Names no student's result but those.
 */
import type { SubmissionResult } from '../../specs/harness/results';
import { escapeMarkdown } from './feedback';
import { exerciseRates } from './html';
import { gradedExercises } from './json';
import { formatPoints } from './summary';

const percent = (part: number, whole: number) => `${whole > 0 ? Math.round((100 * part) / whole) : 0} %`;

export function classSummaryMarkdown(results: SubmissionResult[]): string {
  const totals = results.map((r) => (r.max > 0 ? r.score / r.max : 0)).sort((a, b) => a - b);
  const mean = totals.reduce((s, t) => s + t, 0) / Math.max(1, totals.length);
  const median = totals.length ? (totals[Math.floor((totals.length - 1) / 2)] + totals[Math.ceil((totals.length - 1) / 2)]) / 2 : 0;
  const max = Math.max(0, ...results.map((r) => r.max));
  const full = results.filter((r) => r.max > 0 && r.score >= r.max).length;
  const incomplete = results.filter((r) => r.error);
  const out = [
    `## Grades: ${results.length} submissions`,
    '',
    `maximum **${formatPoints(max)}** points · mean **${Math.round(mean * 100)} %** · median **${Math.round(median * 100)} %** · **${full}** with full marks · **${incomplete.length}** not graded completely`,
    '',
    '| exercise | pass every check | mean | attempted |',
    '|---|---:|---:|---:|',
  ];
  for (const rate of exerciseRates(results, gradedExercises(results))) {
    out.push(`| \`${rate.id}\` | ${percent(rate.full, results.length)} (${rate.full}) | ${formatPoints(Math.round(rate.meanScore * 10) / 10)} / ${formatPoints(rate.max)} | ${rate.attempted} |`);
  }
  if (incomplete.length) {
    out.push('', `**Not graded completely** (they are graded again by the next run): ${incomplete.map((r) => escapeMarkdown(r.name)).join(', ')}`);
  }
  out.push('', 'Everything per submission is in the grades artifact: report.html, grades.csv, grades.json, submissions/NAME/feedback.md.');
  return `${out.join('\n')}\n`;
}
