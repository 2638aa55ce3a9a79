/**
 * The similarity analysis (similarity.ts) for the TA: similarity.csv, and the section of report.html
 * with the most similar pairs per exercise and, for the flagged ones, the shared fragments side by side.
 */
import type { ExerciseSimilarity, SharedLines, SimilarityReport, SimilarPair } from '../similarity';
import { csvCell } from './csv';
import { escapeHtml } from './html';

/** Pairs shown per exercise and language in report.html (similarity.json keeps more). */
const SHOWN_PAIRS = 10;

const percent = (share: number) => `${Math.round(share * 100)} %`;

export function similarityCsv(report: SimilarityReport): string {
  const rows = [['exercise', 'language', 'left', 'right', 'similarity', 'longest_fragment', 'flagged'].join(',')];
  for (const group of report.exercises) {
    for (const pair of group.pairs) rows.push([group.exercise, group.language, pair.left, pair.right, pair.similarity.toFixed(3), pair.longest, pair.flagged ? 'yes' : 'no'].map(csvCell).join(','));
  }
  return `${rows.join('\r\n')}\r\n`;
}

/** The flagged pairs over every exercise, most similar first: for the terminal. */
export function flaggedPairs(report: SimilarityReport): string[] {
  return report.exercises
    .flatMap((group) => group.pairs.filter((p) => p.flagged).map((pair) => ({ group, pair })))
    .sort((a, b) => b.pair.similarity - a.pair.similarity)
    .map(({ group, pair }) => `${group.exercise} (${group.language}): ${pair.left} and ${pair.right}, ${percent(pair.similarity)} alike`);
}

function code(side: SharedLines): string {
  const width = String(side.to).length;
  const lines = side.lines.map((line, i) => `<span class="ln">${String(side.from + i).padStart(width)}</span> ${escapeHtml(line)}`);
  if (side.cut) lines.push(`<span class="ln">${' '.repeat(width)}</span> … ${side.cut} more lines`);
  return `<pre>${lines.join('\n')}</pre>`;
}

function fragments(pair: SimilarPair): string {
  if (pair.fragments.length === 0) return '';
  const rows = pair.fragments
    .map((f) => `<tr><td>${escapeHtml(pair.left)}, lines ${f.left.from}–${f.left.to}${code(f.left)}</td><td>${escapeHtml(pair.right)}, lines ${f.right.from}–${f.right.to}${code(f.right)}</td></tr>`)
    .join('\n');
  return `<details${pair.flagged ? ' open' : ''}><summary>shared fragments of ${escapeHtml(pair.left)} and ${escapeHtml(pair.right)}</summary><table class="side">${rows}</table></details>`;
}

function exerciseSection(group: ExerciseSimilarity): string {
  const pairs = group.pairs.filter((p) => p.similarity > 0).slice(0, SHOWN_PAIRS);
  const head = `<h3>${escapeHtml(group.exercise)} <small>${group.language}, ${group.programs} programs${group.starterLeftOut ? ', starter left out' : ', no starter found to leave out'}</small></h3>`;
  if (pairs.length === 0) return `${head}<p>${group.programs < 2 ? 'Fewer than two programs: nothing to compare.' : 'No two programs share any fragment.'}</p>`;
  const rows = pairs
    .map((p) => `<tr><td>${escapeHtml(p.left)}</td><td>${escapeHtml(p.right)}</td><td class="num${p.flagged ? ' bad' : ''}"><b>${percent(p.similarity)}</b>${p.flagged ? ' <span class="tag bad">flagged</span>' : ''}</td><td class="num">${p.longest}</td></tr>${p.flagged ? `<tr><td colspan="4">${fragments(p)}</td></tr>` : ''}`)
    .join('\n');
  return `${head}<table><tr><th>submission</th><th>submission</th><th class="num">similarity</th><th class="num">longest shared fragment</th></tr>\n${rows}\n</table>`;
}

export function similaritySection(report: SimilarityReport): string {
  const flagged = report.exercises.reduce((n, g) => n + g.pairs.filter((p) => p.flagged).length, 0);
  return `<h2 id="similarity">Similar programs</h2>
<p>Analysed with <a href="https://dolos.ugent.be/">Dolos</a> on ${escapeHtml(report.analysedAt.replace('T', ' ').slice(0, 16))} UTC over ${report.submissions} submissions: <b>${flagged}</b> pairs at ${percent(report.flagAt)} or more are flagged. Each exercise's program is compared with the same exercise's in the same language; the starter's code is left out. A similar pair is a reason to look, not proof: read the shared fragments.${report.unreadable.length ? ` Not analysed (could not be read): ${escapeHtml(report.unreadable.join(', '))}.` : ''}</p>
${report.exercises.map(exerciseSection).join('\n')}`;
}
