/**
 * report.html: one self-contained page for the TA (no scripts, no external files): a histogram of
 * total scores and each exercise's pass rate as inline SVG, the hardest checks, a table of the
 * submissions, and per submission what failed and why (hidden checks included).
 */
import type { CheckResult, SubmissionResult } from '../../specs/harness/results';
import { pointsLabel } from '../../specs/harness/titles';
import { gradedExercises, type ExerciseSummary } from './json';
import { timelineSvg } from './timeline';
import { captureWords } from './student-view';

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const pct = (part: number, whole: number) => (whole > 0 ? (100 * part) / whole : 0);
const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));

function band(score: number, max: number, error?: string): string {
  if (error) return 'bad';
  if (max > 0 && score >= max) return 'full';
  return score > 0 ? 'part' : 'zero';
}

/** Totals as a percentage of the maximum, in bins 0–9 %, ..., 90–99 %, and 100 % on its own. */
export function histogramSvg(results: SubmissionResult[]): string {
  const bins = Array.from({ length: 11 }, () => 0);
  for (const r of results) bins[r.max > 0 ? Math.min(10, Math.floor(pct(r.score, r.max) / 10)) : 0] += 1;
  const [width, height, left, bottom, top] = [640, 230, 36, 40, 20];
  const plotH = height - bottom - top;
  const barW = (width - left - 10) / bins.length;
  const highest = Math.max(1, ...bins);
  const bars = bins.map((count, i) => {
    const h = (count / highest) * plotH;
    const x = left + i * barW;
    const y = top + plotH - h;
    const label = i === 10 ? '100' : `${i * 10}–${i * 10 + 9}`;
    return [
      `<rect x="${x + 3}" y="${y}" width="${barW - 6}" height="${h}" class="${i === 10 ? 'full' : 'bar'}"><title>${label} %: ${count}</title></rect>`,
      count ? `<text x="${x + barW / 2}" y="${y - 4}" text-anchor="middle" class="n">${count}</text>` : '',
      `<text x="${x + barW / 2}" y="${top + plotH + 16}" text-anchor="middle" class="tick">${label}</text>`,
    ].join('');
  });
  return `<svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="Histogram of total scores">
<line x1="${left}" y1="${top + plotH}" x2="${width - 10}" y2="${top + plotH}" class="axis"/>
${bars.join('\n')}
<text x="${left + (width - left) / 2}" y="${height - 4}" text-anchor="middle" class="tick">total score, % of the maximum</text>
<text x="12" y="${top + plotH / 2}" text-anchor="middle" class="tick" transform="rotate(-90 12 ${top + plotH / 2})">submissions</text>
</svg>`;
}

export interface Rate {
  id: string;
  full: number;
  attempted: number;
  meanScore: number;
  max: number;
}

export function exerciseRates(results: SubmissionResult[], exercises: ExerciseSummary[]): Rate[] {
  return exercises.map(({ id, max }) => {
    const rows = results.map((r) => r.exercises.find((e) => e.id === id)).filter((e) => e !== undefined);
    return {
      id,
      max,
      full: rows.filter((e) => e.max > 0 && e.score === e.max).length,
      attempted: rows.filter((e) => e.attempted).length,
      meanScore: rows.reduce((s, e) => s + e.score, 0) / Math.max(1, rows.length),
    };
  });
}

/** Per exercise, the share of submissions that pass all its checks. */
export function passRateSvg(results: SubmissionResult[], exercises: ExerciseSummary[]): string {
  const rates = exerciseRates(results, exercises);
  const [labelW, barMax, rowH] = [190, 300, 26];
  const width = labelW + barMax + 320;
  const height = rates.length * rowH + 30;
  const rows = rates.map((rate, i) => {
    const y = 10 + i * rowH;
    const share = pct(rate.full, results.length);
    return [
      `<text x="${labelW - 8}" y="${y + 15}" text-anchor="end" class="label">${escapeHtml(rate.id)}</text>`,
      `<rect x="${labelW}" y="${y + 3}" width="${barMax}" height="16" class="track"/>`,
      `<rect x="${labelW}" y="${y + 3}" width="${(share / 100) * barMax}" height="16" class="full"><title>${rate.full} of ${results.length} pass every check</title></rect>`,
      `<text x="${labelW + barMax + 8}" y="${y + 15}" class="tick">${Math.round(share)} % (${rate.full}/${results.length}) · mean ${fmt(rate.meanScore)}/${rate.max} · ${rate.attempted} attempted</text>`,
    ].join('');
  });
  return `<svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="Pass rate per exercise">
${rows.join('\n')}
<text x="${labelW}" y="${height - 4}" class="tick">share of submissions passing every check of the exercise</text>
</svg>`;
}

function hardestChecks(results: SubmissionResult[], count = 10): string {
  const stats = new Map<string, { exercise: string; check: CheckResult; passed: number; ran: number }>();
  for (const r of results) {
    for (const e of r.exercises) {
      if (!e.attempted) continue;
      for (const c of e.checks) {
        const key = `${e.id}\0${c.id}`;
        const s = stats.get(key) ?? { exercise: e.id, check: c, passed: 0, ran: 0 };
        s.ran += 1;
        if (c.status === 'passed') s.passed += 1;
        stats.set(key, s);
      }
    }
  }
  const hardest = [...stats.values()].filter((s) => s.passed < s.ran).sort((a, b) => a.passed / a.ran - b.passed / b.ran).slice(0, count);
  if (hardest.length === 0) return '<p>Every attempted check passed in every submission.</p>';
  const rows = hardest.map(
    (s) => `<tr><td>${escapeHtml(s.exercise)}</td><td>${escapeHtml(s.check.title)} <code>${escapeHtml(s.check.id)}</code>${s.check.hidden ? ' <span class="tag">hidden</span>' : ''}</td><td class="num">${s.passed}/${s.ran}</td></tr>`,
  );
  return `<table><thead><tr><th>exercise</th><th>check</th><th class="num">passed / attempted</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** Exercise ids break after their hyphens, so that a dozen columns fit. */
const breakable = (id: string) => escapeHtml(id).replace(/-/g, '-<wbr>');

function submissionTable(results: SubmissionResult[], exercises: ExerciseSummary[]): string {
  const max = Math.max(0, ...results.map((r) => r.max));
  const head = `<tr><th>submission</th><th class="num">total<br><small>/${max}</small></th><th>feedback</th>${exercises.map((e) => `<th class="num ex">${breakable(e.id)}<br><small>/${e.max}</small></th>`).join('')}</tr>`;
  const rows = results.map((r, i) => {
    const cells = exercises.map((x) => {
      const e = r.exercises.find((y) => y.id === x.id);
      if (!e) return '<td class="num">–</td>';
      return `<td class="num ${e.attempted ? band(e.score, e.max) : 'none'}">${e.attempted ? e.score : '–'}</td>`;
    });
    const name = encodeURIComponent(r.name);
    return `<tr><td class="name"><a href="#sub-${i}">${escapeHtml(r.name)}</a>${r.error ? ' <span class="tag bad">error</span>' : ''}</td><td class="num ${band(r.score, r.max, r.error)}"><b>${fmt(r.score)}</b></td><td><a href="submissions/${name}/feedback.md">feedback.md</a> <a href="submissions/${name}/feedback.html">.html</a></td>${cells.join('')}</tr>`;
  });
  return `<div class="scroll"><table class="grid"><thead>${head}</thead><tbody>${rows.join('\n')}</tbody></table></div><p><small>– not attempted. Scores in points; the details below include hidden checks (feedback.md does not).</small></p>`;
}

function exerciseList(ids: string[]): string {
  return ids.map((id) => `<b>${escapeHtml(id)}</b>`).join(', ');
}

/**
 * The exchange diagrams report.html holds inline, in bytes: past this the page would be slow to
 * open, and the rest are in each submission's feedback.html.
 */
const TIMELINES_BUDGET = 16 * 1024 * 1024;

/** A failing check's exchange, inline while the page's budget lasts. */
function exchange(check: CheckResult, name: string, budget: { left: number }): string {
  const packets = check.capture && check.status === 'failed'
    ? `<p><small>Packets, for Wireshark: <a href="submissions/${encodeURIComponent(name)}/${check.capture.file.split('/').map(encodeURIComponent).join('/')}">${escapeHtml(check.capture.file)}</a> (${escapeHtml(captureWords(check.capture))})</small></p>`
    : '';
  return drawing(check, name, budget) + packets;
}

function drawing(check: CheckResult, name: string, budget: { left: number }): string {
  if (!check.timeline || check.status !== 'failed') return '';
  const svg = timelineSvg(check.timeline);
  if (svg.length > budget.left) return `<p><small>The exchange is drawn in <a href="submissions/${encodeURIComponent(name)}/feedback.html">feedback.html</a>.</small></p>`;
  budget.left -= svg.length;
  return `<div class="wire">${svg}</div>`;
}

function submissionDetails(result: SubmissionResult, index: number, budget: { left: number }): string {
  const parts = [`<section id="sub-${index}"><h3>${escapeHtml(result.name)} <span class="score ${band(result.score, result.max, result.error)}">${fmt(result.score)}/${result.max}</span></h3>`];
  if (result.error) parts.push(`<p class="bad">Could not be graded completely:</p><pre>${escapeHtml(result.error)}</pre>`);
  const passing = result.exercises.filter((e) => e.attempted && !e.reason && e.score === e.max);
  const missing = result.exercises.filter((e) => !e.attempted);
  if (passing.length) parts.push(`<p class="full">All checks pass: ${exerciseList(passing.map((e) => e.id))}</p>`);
  if (missing.length) parts.push(`<p class="none">Not attempted: ${exerciseList(missing.map((e) => e.id))}</p>`);
  for (const e of result.exercises.filter((x) => x.attempted && !passing.includes(x))) {
    const failing = e.checks.filter((c) => c.status !== 'passed');
    parts.push(`<h4>${escapeHtml(e.id)} <span class="score ${band(e.score, e.max)}">${e.score}/${e.max}</span> <small>${failing.length} of ${e.checks.length} checks not passed</small></h4>`);
    if (e.reason && !result.error) parts.push(`<pre>${escapeHtml(e.reason)}</pre>`);
    for (const c of failing) {
      parts.push(`<details><summary>✗ ${escapeHtml(c.title)} <code>${escapeHtml(c.id)}</code> <small>${c.status}, ${pointsLabel(c.maxPoints)}${c.hidden ? ', hidden' : ''}</small></summary><pre>${escapeHtml(c.message ?? e.reason ?? c.status)}</pre>${exchange(c, result.name, budget)}</details>`);
    }
  }
  parts.push('<p><a href="#top">back to the table</a></p></section>');
  return parts.join('\n');
}

export const REPORT_STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;max-width:1280px;padding:0 16px;color:#1d2330;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #e3e6ec;padding-bottom:4px}
h3{font-size:15px;margin:22px 0 4px}h4{font-size:14px;margin:10px 0 4px;font-weight:600}
.stats{display:flex;gap:24px;flex-wrap:wrap;color:#4a5161}.stats b{color:#1d2330;font-size:16px}
.charts{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}
svg{max-width:100%;height:auto}svg text{font:12px system-ui,sans-serif;fill:#1d2330}svg .tick{fill:#4a5161}svg .n{font-weight:600}
svg .bar{fill:#6c8ebf}svg .full{fill:#3a9d5d}svg .track{fill:#eef0f4}svg .axis{stroke:#9aa1ae}
table{border-collapse:collapse;margin:6px 0}th,td{padding:4px 8px;border-bottom:1px solid #e3e6ec;text-align:left;vertical-align:top}
th{background:#f6f7f9;font-weight:600;vertical-align:bottom}th.ex{font-size:12px;min-width:56px;max-width:90px}.grid td.name{white-space:nowrap}.scroll{overflow-x:auto}.num{text-align:right;font-variant-numeric:tabular-nums}
td.full,.score.full{color:#1e7a3d}td.part,.score.part{color:#9a6700}td.zero,.score.zero,td.bad,.score.bad,.bad{color:#b42318}td.none,.score.none{color:#8a90a0}
.tag{font-size:11px;border:1px solid currentColor;border-radius:3px;padding:0 4px;color:#6b7280}.tag.bad{color:#b42318}
pre{background:#f6f7f9;border:1px solid #e3e6ec;border-radius:4px;padding:8px;overflow-x:auto;white-space:pre-wrap;word-break:break-word;font-size:12px;max-height:360px;overflow-y:auto}
table.side{table-layout:fixed;width:100%}table.side td{width:50%}.ln{color:#8a90a0;user-select:none}
.wire{overflow-x:auto;margin:4px 0 8px}details{margin:2px 0 2px 12px}summary{cursor:pointer}code{font-size:12px;color:#4a5161}small{color:#6b7280;font-weight:normal}
`;

/** `sections`: more of the page, after the rest (the similarity analysis, when it was run). */
export function reportHtml(results: SubmissionResult[], sections: string[] = []): string {
  const exercises = gradedExercises(results);
  const totals = results.map((r) => pct(r.score, r.max)).sort((a, b) => a - b);
  const mean = totals.reduce((s, t) => s + t, 0) / Math.max(1, totals.length);
  const median = totals.length ? (totals[Math.floor((totals.length - 1) / 2)] + totals[Math.ceil((totals.length - 1) / 2)]) / 2 : 0;
  const max = Math.max(0, ...results.map((r) => r.max));
  const errors = results.filter((r) => r.error).length;
  const last = results.map((r) => r.gradedAt).sort().at(-1) ?? '';
  const budget = { left: TIMELINES_BUDGET };
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Grades: ${results.length} submissions</title><style>${REPORT_STYLE}</style></head>
<body id="top">
<h1>Grades</h1>
<div class="stats"><span><b>${results.length}</b> submissions</span><span>maximum <b>${max}</b> points</span><span>mean <b>${Math.round(mean)} %</b></span><span>median <b>${Math.round(median)} %</b></span><span><b>${results.filter((r) => r.max > 0 && r.score >= r.max).length}</b> with full marks</span><span class="${errors ? 'bad' : ''}"><b>${errors}</b> could not be graded</span><span>last graded ${escapeHtml(last.replace('T', ' ').slice(0, 16))} UTC</span></div>
<div class="charts">
<div><h2>Total scores</h2>${histogramSvg(results)}</div>
<div><h2>Pass rate per exercise</h2>${passRateSvg(results, exercises)}</div>
</div>
<h2>Checks failed most often</h2>
${hardestChecks(results)}
<h2>Submissions</h2>
${submissionTable(results, exercises)}
<h2>What failed, per submission</h2>
${results.map((result, i) => submissionDetails(result, i, budget)).join('\n')}
${sections.join('\n')}
</body></html>
`;
}
