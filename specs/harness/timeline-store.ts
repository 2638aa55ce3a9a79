/**
 * How a check's timeline gets from the jest worker that ran it to the reporters: a JSON file per
 * check in the folder GRADER_TIMELINE_DIR names (set by the front end that wants timelines: npm test,
 * grade.ts), written before the check's result is reported. Kept for failed checks, and for every
 * check of the exercises GRADER_TRACE names (`npm test -- --trace ID`). Without the folder nothing
 * is written.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TimelineRecord } from './timeline';

export const TIMELINE_DIR_ENV = 'GRADER_TIMELINE_DIR';
export const TRACE_ENV = 'GRADER_TRACE';
/** A timeline file larger than this was not written by the harness (MAX_EVENTS bounds it well below). */
const MAX_FILE_BYTES = 1024 * 1024;
const SLUG = /^[a-z0-9][a-z0-9._-]*$/i;

function fileOf(exercise: string, check: string): string | undefined {
  const dir = process.env[TIMELINE_DIR_ENV];
  if (!dir || !SLUG.test(exercise) || !SLUG.test(check)) return undefined;
  return path.join(dir, `${exercise}--${check}.json`);
}

/** Whether every check of `exercise` keeps its timeline, passed or not. */
export function traced(exercise: string): boolean {
  return (process.env[TRACE_ENV] ?? '').split(',').includes(exercise);
}

export function saveTimeline(exercise: string, check: string, record: TimelineRecord): void {
  const file = fileOf(exercise, check);
  if (!file) return;
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(record));
}

export function readTimeline(exercise: string, check: string): TimelineRecord | undefined {
  const file = fileOf(exercise, check);
  if (!file || !existsSync(file) || statSync(file).size > MAX_FILE_BYTES) return undefined;
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as TimelineRecord;
    return Array.isArray(parsed.events) ? parsed : undefined;
  } catch {
    return undefined;
  }
}
