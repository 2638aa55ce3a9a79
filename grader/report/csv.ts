/**
 * grades.csv for an LMS gradebook import (Canvas, Moodle): a header row, then one row per submission
 * with its name, one column per exercise (points earned) and the total. RFC 4180 quoting; a name that
 * a spreadsheet would run as a formula is prefixed with an apostrophe.
 */
import type { SubmissionResult } from '../../specs/harness/results';
import { gradedExercises } from './json';

export function csvCell(value: string | number): string {
  if (typeof value === 'number') return String(value);
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function gradesCsv(results: SubmissionResult[]): string {
  const ids = gradedExercises(results).map((e) => e.id);
  const rows = [['submission', ...ids, 'total'].map(csvCell).join(',')];
  for (const result of results) {
    const scores = ids.map((id) => result.exercises.find((e) => e.id === id)?.score ?? 0);
    rows.push([csvCell(result.name), ...scores.map(csvCell), csvCell(result.score)].join(','));
  }
  return `${rows.join('\r\n')}\r\n`;
}
