/** Hand-made results with everything a writer must cope with: hidden checks, errors, hostile text. */
import type { ExerciseResult, SubmissionResult } from '../../specs/harness/results';

export const HOSTILE = 'got <b>"bold"</b> & \'quotes\' \x00\x1b[31m ```fence``` ]]>';

export function udpExercise(overrides: Partial<Record<'uppercase' | 'large' | 'secret', 'passed' | 'failed' | 'error'>> = {}): ExerciseResult {
  const checks = [
    { id: 'uppercase', title: 'replies with the datagram uppercased', maxPoints: 2, hidden: false },
    { id: 'large', title: 'returns a 60000-byte datagram intact', maxPoints: 2, hidden: false },
    { id: 'secret', title: 'SECRET TITLE of a hidden check', maxPoints: 1, hidden: true },
  ].map((c) => {
    const status = overrides[c.id as keyof typeof overrides] ?? 'passed';
    return { ...c, status, points: status === 'passed' ? c.maxPoints : 0, message: status === 'passed' ? undefined : c.hidden ? 'SECRET MESSAGE' : `${c.id} failed: ${HOSTILE}`, ms: 12 };
  });
  return { id: 'udp-upper-server', attempted: true, score: checks.reduce((s, c) => s + c.points, 0), max: 5, checks };
}

export function notAttempted(id = 'tcp-client'): ExerciseResult {
  return {
    id,
    attempted: false,
    reason: `no ${id}.py, ${id}.ts, ${id}.js and no "${id}" entry in run.json`,
    score: 0,
    max: 1,
    checks: [{ id: 'connects', title: 'connects', maxPoints: 1, points: 0, hidden: false, status: 'not attempted' }],
  };
}

export function submission(name: string, exercises: ExerciseResult[], error?: string): SubmissionResult {
  return {
    name,
    score: exercises.reduce((s, e) => s + e.score, 0),
    max: exercises.reduce((s, e) => s + e.max, 0),
    exercises,
    ...(error ? { error } : {}),
    gradedAt: '2025-01-01T00:00:00.000Z',
    durationMs: 1234,
  };
}
