/**
 * An output folder of `npm run grade`, less what depends on when and how fast it was graded (times,
 * and the exchanges' timelines, whose times and ports differ from run to run): two runs that graded
 * the same compare equal.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export function comparableOutput(dir: string): Record<string, unknown> {
  const grades = JSON.parse(readFileSync(path.join(dir, 'grades.json'), 'utf8'));
  delete grades.lastGradedAt;
  for (const s of grades.submissions) {
    delete s.gradedAt;
    delete s.durationMs;
    for (const e of s.exercises) {
      for (const c of e.checks) {
        delete c.ms;
        delete c.timeline;
      }
    }
  }
  const untimed = (text: string) =>
    text
      .replace(/ (time|timestamp)="[^"]*"/g, '')
      .replace(/"execution_time": \d+/, '')
      .replace(/```mermaid\n[^]*?\n *```/g, '(timeline)');
  const perSubmission = Object.fromEntries(
    readdirSync(path.join(dir, 'submissions')).map((name) => [
      name,
      ['feedback.md', 'junit.xml'].map((f) => untimed(readFileSync(path.join(dir, 'submissions', name, f), 'utf8'))).concat(
        ['gradescope', 'prairielearn'].map((platform) => untimed(readFileSync(path.join(dir, platform, name, 'results.json'), 'utf8'))),
      ),
    ]),
  );
  return { grades, csv: readFileSync(path.join(dir, 'grades.csv'), 'utf8'), summary: readFileSync(path.join(dir, 'class-summary.md'), 'utf8'), perSubmission };
}
