/**
 * GitHub annotations for a graded submission: one `::error` workflow command per failing exercise,
 * on the student's file, so it shows on the pull request's diff. Escaping follows GitHub's rules for
 * workflow commands (the same as @actions/core): in the message %, \r and \n; in a property also : and ,.
 */
import type { ExerciseResult } from '../../specs/harness/results';
import { describeFailures, headline, hintOf, studentMessage, studentView } from './student-view';
import { formatPoints } from './summary';

/** Kept well under GitHub's size limit; the full messages are in the step summary. */
const MAX_MESSAGE_CHARS = 4000;

export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export interface Annotation {
  level: 'error' | 'warning' | 'notice';
  /** Relative to the repository root (GITHUB_WORKSPACE); none for a problem that has no file. */
  file?: string;
  line?: number;
  title: string;
  message: string;
}

export function workflowCommand(annotation: Annotation): string {
  const properties = [
    annotation.file !== undefined ? `file=${escapeProperty(annotation.file)}` : undefined,
    annotation.line !== undefined ? `line=${annotation.line}` : undefined,
    `title=${escapeProperty(annotation.title)}`,
  ].filter(Boolean);
  return `::${annotation.level} ${properties.join(',')}::${escapeData(annotation.message)}`;
}

/**
 * One annotation per failing exercise. `fileOf` gives the student's file for an exercise (relative
 * to the repository root), or undefined when there is none to point at.
 */
export function exerciseAnnotations(exercises: ExerciseResult[], fileOf: (exerciseId: string) => string | undefined): Annotation[] {
  const annotations: Annotation[] = [];
  for (const exercise of exercises) {
    const view = studentView(exercise);
    if (view.outcome !== 'failed') continue;
    const lines: string[] = [];
    if (view.problem) lines.push(view.problem);
    for (const check of view.failing) {
      lines.push(`✗ ${check.title} [${check.id}, ${formatPoints(check.maxPoints)} pt]`);
      const message = studentMessage(check);
      const hint = hintOf(message);
      lines.push(`    ${headline(message)}`, ...(hint ? [`    hint: ${hint}`] : []));
    }
    if (view.hiddenFailing) lines.push(`✗ ${view.hiddenFailing} hidden check(s) (not described)`);
    const file = fileOf(exercise.id);
    annotations.push({
      level: 'error',
      file,
      line: file === undefined ? undefined : 1,
      title: `${exercise.id}: ${formatPoints(exercise.score)}/${formatPoints(exercise.max)} points, ${describeFailures(view)}`,
      message: cut(lines.join('\n'), MAX_MESSAGE_CHARS),
    });
  }
  return capped(annotations);
}

/** GitHub shows at most 10 error annotations per step: past that, the rest are named in one more. */
const MAX_ANNOTATIONS = 10;

function capped(annotations: Annotation[]): Annotation[] {
  if (annotations.length <= MAX_ANNOTATIONS) return annotations;
  const kept = annotations.slice(0, MAX_ANNOTATIONS - 1);
  const rest = annotations.slice(MAX_ANNOTATIONS - 1);
  return [
    ...kept,
    { level: 'error', title: `${rest.length} more exercises fail`, message: `${rest.map((a) => a.title).join('\n')}\nSee the run's summary for their failing checks.` },
  ];
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
