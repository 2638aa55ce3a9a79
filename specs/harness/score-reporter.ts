/**
 * The report a student reads after jest's own output: per exercise the score and the failing checks,
 * then the total. Colour only on a terminal (and never with NO_COLOR).
 */
import type { AggregatedResult } from '@jest/test-result';
import { exerciseResults, type ExerciseResult } from './results';

const useColour = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: number) => (text: string) => (useColour ? `\x1b[${code}m${text}\x1b[0m` : text);
const green = paint(32);
const red = paint(31);
const dim = paint(2);
const bold = paint(1);

export function formatScores(exercises: ExerciseResult[]): string {
  const width = Math.max(10, ...exercises.map((e) => e.id.length));
  const lines = [bold('Score by exercise')];
  for (const exercise of exercises) {
    const name = exercise.id.padEnd(width);
    if (!exercise.attempted) {
      lines.push(`  ${name}  ${dim(`   -/${String(exercise.max).padStart(3)}`)}  ${dim(`not attempted: ${exercise.reason}`)}`);
      continue;
    }
    const score = `${String(exercise.score).padStart(4)}/${String(exercise.max).padStart(3)}`;
    const failing = exercise.checks.filter((c) => c.status === 'failed' || c.status === 'error');
    if (exercise.reason) lines.push(`  ${name}  ${red(score)}  ${red(exercise.reason.split('\n')[0])}`);
    else if (failing.length === 0) lines.push(`  ${name}  ${green(score)}  ${green('all checks pass')}`);
    else {
      lines.push(`  ${name}  ${red(score)}  ${failing.length} failing:`);
      for (const check of failing) lines.push(`  ${' '.repeat(width)}            ${red('✗')} ${check.title} ${dim(`[${check.id}, ${check.maxPoints}]`)}`);
    }
  }
  const score = exercises.reduce((s, e) => s + e.score, 0);
  const max = exercises.reduce((s, e) => s + e.max, 0);
  lines.push(bold(`  ${'Total'.padEnd(width)}  ${String(score).padStart(4)}/${String(max).padStart(3)}`));
  return lines.join('\n');
}

export default class ScoreReporter {
  onRunComplete(_contexts: unknown, results: AggregatedResult): void {
    const exercises = exerciseResults(results);
    if (exercises.length === 0) return;
    process.stdout.write(`\n${formatScores(exercises)}\n`);
  }
}
