/**
 * The regrade diff (regrade-diff.ts) for the TA: a table in the terminal, and regrade.md /
 * regrade.html / regrade.json. Staff-only: hidden checks are named (and tagged as hidden).
 */
import type { CheckChange, RegradeDiff, SubmissionChange } from '../regrade-diff';
import { escapeMarkdown } from './feedback';
import { escapeHtml, REPORT_STYLE } from './html';
import { formatPoints } from './summary';

export interface DiffRuns {
  /** The two output folders as the TA named them. */
  before: string;
  after: string;
}

type Outcome = NonNullable<CheckChange['before']>;

function delta(change: SubmissionChange): number | undefined {
  return change.before && change.after ? change.after.score - change.before.score : undefined;
}

function signed(points: number): string {
  return points > 0 ? `+${formatPoints(points)}` : points < 0 ? `−${formatPoints(-points)}` : '±0';
}

function total(side: SubmissionChange['before']): string {
  return side ? `${formatPoints(side.score)}/${formatPoints(side.max)}${side.error ? ' (incomplete)' : ''}` : '—';
}

function changeLabel(change: SubmissionChange): string {
  if (!change.before) return 'new';
  if (!change.after) return 'gone';
  return signed(delta(change)!);
}

function outcome(side: Outcome | undefined): string {
  return side ? `${side.status} ${formatPoints(side.points)}/${formatPoints(side.maxPoints)}` : 'not graded';
}

function checkName(change: CheckChange): string {
  return `${change.exercise} ${change.check}${change.hidden ? ' (hidden)' : ''}`;
}

function checkDelta(change: CheckChange): number {
  return (change.after?.points ?? 0) - (change.before?.points ?? 0);
}

/** Per check over the class: how many submissions it flipped each way and the points that moved. */
export interface CheckFlips {
  exercise: string;
  check: string;
  title: string;
  hidden: boolean;
  nowPassing: number;
  nowFailing: number;
  other: number;
  points: number;
}

export function flipsByCheck(diff: RegradeDiff): CheckFlips[] {
  const byKey = new Map<string, CheckFlips>();
  for (const change of diff.changed.flatMap((s) => s.checks)) {
    const key = `${change.exercise}/${change.check}`;
    const flips = byKey.get(key) ?? { exercise: change.exercise, check: change.check, title: change.title, hidden: change.hidden, nowPassing: 0, nowFailing: 0, other: 0, points: 0 };
    const [was, is] = [change.before?.status === 'passed', change.after?.status === 'passed'];
    if (!was && is) flips.nowPassing += 1;
    else if (was && !is) flips.nowFailing += 1;
    else flips.other += 1;
    flips.points += checkDelta(change);
    byKey.set(key, flips);
  }
  return [...byKey.values()].sort((a, b) => b.nowPassing + b.nowFailing + b.other - (a.nowPassing + a.nowFailing + a.other) || `${a.exercise}/${a.check}`.localeCompare(`${b.exercise}/${b.check}`));
}

/** "3 of 8 submissions changed: 2 up (+4), 1 down (−2); 5 unchanged", and what the TA must do first. */
export function diffHeadline(diff: RegradeDiff): string[] {
  const count = diff.changed.length + diff.unchanged;
  const up = diff.changed.filter((c) => (delta(c) ?? 0) > 0);
  const down = diff.changed.filter((c) => (delta(c) ?? 0) < 0);
  const sum = (changes: SubmissionChange[]) => changes.reduce((s, c) => s + (delta(c) ?? 0), 0);
  const parts = [`${up.length} up${up.length ? ` (${signed(sum(up))} points)` : ''}`, `${down.length} down${down.length ? ` (${signed(sum(down))} points)` : ''}`];
  const added = diff.changed.filter((c) => !c.before).length;
  const gone = diff.changed.filter((c) => !c.after).length;
  if (added) parts.push(`${added} new`);
  if (gone) parts.push(`${gone} gone`);
  const lines = [`${diff.changed.length} of ${count} submissions changed: ${parts.join(', ')}; ${diff.unchanged} unchanged`];
  const incomplete = diff.changed.filter((c) => c.after?.error).map((c) => c.name);
  if (incomplete.length) lines.push(`not graded completely in the new run (grade them again before announcing): ${incomplete.join(', ')}`);
  const only = [onlyLine('old', diff.onlyBefore), onlyLine('new', diff.onlyAfter)].filter((line) => line !== undefined);
  if (only.length) lines.push(...only, '(a different spec version, or --hidden / --exercise differed between the runs: their points count in the totals)');
  return lines;
}

function onlyLine(run: string, only: RegradeDiff['onlyBefore']): string | undefined {
  const named = [...only.exercises.map((e) => `${e} (every check)`), ...only.checks];
  return named.length ? `only the ${run} run graded (not compared): ${named.join(', ')}` : undefined;
}

function pad(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => [...(r[i] ?? '')].length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell + ' '.repeat(widths[i] - [...cell].length))).join('  ').trimEnd());
}

export function diffText(diff: RegradeDiff, runs: DiffRuns): string {
  const out = [`regrade diff: ${runs.before} → ${runs.after}`, ...diffHeadline(diff)];
  if (diff.changed.length) {
    out.push('');
    const rows = [['submission', 'before', 'after', 'change']];
    for (const change of diff.changed) rows.push([change.name, total(change.before), total(change.after), changeLabel(change)]);
    const [header, ...body] = pad(rows);
    out.push(header);
    for (const [i, change] of diff.changed.entries()) {
      out.push(body[i]);
      for (const check of change.checks) out.push(`    ${checkName(check)}: ${outcome(check.before)} → ${outcome(check.after)}${check.why ? `: ${check.why}` : ''}`);
      if (change.after?.error) out.push(`    not graded completely: ${change.after.error.split('\n')[0]}`);
    }
  }
  const flips = flipsByCheck(diff);
  if (flips.length) {
    out.push('', 'checks that flipped:');
    const rows = [['check', 'now passing', 'now failing', 'other', 'points']];
    for (const f of flips) rows.push([`${f.exercise} ${f.check}${f.hidden ? ' (hidden)' : ''}`, String(f.nowPassing), String(f.nowFailing), String(f.other), signed(f.points)]);
    out.push(...pad(rows).map((line) => `  ${line}`));
  }
  return `${out.join('\n')}\n`;
}

export function diffMarkdown(diff: RegradeDiff, runs: DiffRuns): string {
  const md = (text: string) => escapeMarkdown(text);
  const out = [`## Regrade: ${md(runs.before)} → ${md(runs.after)}`, '', ...diffHeadline(diff).map((line) => `${md(line)}  `), '', '_For staff: hidden checks are named._', ''];
  if (diff.changed.length) {
    out.push('| submission | before | after | change |', '|---|---:|---:|---:|');
    for (const c of diff.changed) out.push(`| ${md(c.name)} | ${total(c.before)} | ${total(c.after)} | ${changeLabel(c)} |`);
    out.push('');
    const rows = diff.changed.flatMap((c) => c.checks.map((check) => ({ name: c.name, check })));
    if (rows.length) {
      out.push('### Checks that changed', '', '| submission | check | before | after | points | why |', '|---|---|---|---|---:|---|');
      for (const { name, check } of rows) out.push(`| ${md(name)} | \`${check.exercise}\` ${md(check.check)}${check.hidden ? ' (hidden)' : ''} | ${outcome(check.before)} | ${outcome(check.after)} | ${signed(checkDelta(check))} | ${md(check.why ?? '')} |`);
      out.push('');
    }
  }
  const flips = flipsByCheck(diff);
  if (flips.length) {
    out.push('### Per check', '', '| check | now passing | now failing | other | points |', '|---|---:|---:|---:|---:|');
    for (const f of flips) out.push(`| \`${f.exercise}\` ${md(f.check)}${f.hidden ? ' (hidden)' : ''}: ${md(f.title)} | ${f.nowPassing} | ${f.nowFailing} | ${f.other} | ${signed(f.points)} |`);
    out.push('');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

export function diffHtml(diff: RegradeDiff, runs: DiffRuns): string {
  const h = escapeHtml;
  const tone = (c: SubmissionChange) => (!c.before || !c.after ? 'none' : (delta(c) ?? 0) > 0 ? 'full' : (delta(c) ?? 0) < 0 ? 'zero' : 'part');
  const hidden = (yes: boolean) => (yes ? ' <span class="tag">hidden</span>' : '');
  const submissions = diff.changed
    .map((c) => {
      const checks = c.checks
        .map((check) => `<tr><td></td><td colspan="3"><code>${h(check.exercise)}</code> ${h(check.check)}${hidden(check.hidden)}: ${h(outcome(check.before))} → <b>${h(outcome(check.after))}</b>${check.why ? `<br><small>${h(check.why)}</small>` : ''}</td><td class="num">${h(signed(checkDelta(check)))}</td></tr>`)
        .join('');
      const incomplete = c.after?.error ? `<tr><td></td><td colspan="4" class="bad">not graded completely: ${h(c.after.error.split('\n')[0])}</td></tr>` : '';
      return `<tr><td><b>${h(c.name)}</b></td><td class="num">${h(total(c.before))}</td><td class="num">${h(total(c.after))}</td><td></td><td class="num ${tone(c)}"><b>${h(changeLabel(c))}</b></td></tr>${checks}${incomplete}`;
    })
    .join('\n');
  const flips = flipsByCheck(diff)
    .map((f) => `<tr><td><code>${h(f.exercise)}</code> ${h(f.check)}${hidden(f.hidden)}<br><small>${h(f.title)}</small></td><td class="num">${f.nowPassing}</td><td class="num">${f.nowFailing}</td><td class="num">${f.other}</td><td class="num">${h(signed(f.points))}</td></tr>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Regrade: ${h(runs.before)} → ${h(runs.after)}</title><style>${REPORT_STYLE}</style></head>
<body>
<h1>Regrade: ${h(runs.before)} → ${h(runs.after)}</h1>
${diffHeadline(diff).map((line) => `<p>${h(line)}</p>`).join('\n')}
<p><small>For staff: hidden checks are named.</small></p>
${submissions ? `<h2>Submissions that changed</h2>\n<table><tr><th>submission</th><th class="num">before</th><th class="num">after</th><th></th><th class="num">change</th></tr>\n${submissions}\n</table>` : ''}
${flips ? `<h2>Checks that flipped</h2>\n<table><tr><th>check</th><th class="num">now passing</th><th class="num">now failing</th><th class="num">other</th><th class="num">points</th></tr>\n${flips}\n</table>` : ''}
</body></html>
`;
}
