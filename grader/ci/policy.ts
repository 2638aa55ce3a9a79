/**
 * When a CI grading run passes. By default it fails as soon as a visible check of an attempted
 * exercise fails; exercises not attempted yet do not fail it (students work through them one pull
 * request at a time). A minimum score can be required on top, or instead:
 *
 *   GRADER_MIN_SCORE / --min-score     points (`12`) or a share of the maximum (`60%`)
 *   GRADER_ALLOW_FAILING / --allow-failing   `true`: failing checks alone do not fail the run
 */
import type { ExerciseResult } from '../../specs/harness/results';
import { plural, studentView } from '../report/student-view';
import { formatPoints } from '../report/summary';

export interface Policy {
  /** Failing visible checks fail the run. */
  failOnFailingCheck: boolean;
  minScore?: { points: number } | { percent: number };
}

export interface Verdict {
  passed: boolean;
  /** One line per rule: what it requires and whether it held. */
  lines: string[];
}

export function parseMinScore(text: string | undefined): Policy['minScore'] {
  const value = text?.trim();
  if (!value) return undefined;
  const match = /^(\d+(?:\.\d+)?)(%?)$/.exec(value);
  if (!match) throw new Error(`minimum score "${value}": write points (12) or a percentage of the maximum (60%)`);
  return match[2] ? { percent: Number(match[1]) } : { points: Number(match[1]) };
}

export function parseBoolean(text: string | undefined, name: string): boolean | undefined {
  const value = text?.trim().toLowerCase();
  if (!value) return undefined;
  if (['1', 'true', 'yes'].includes(value)) return true;
  if (['0', 'false', 'no'].includes(value)) return false;
  throw new Error(`${name}="${text}": write true or false`);
}

export function policyFromEnv(env: NodeJS.ProcessEnv): Policy {
  return {
    failOnFailingCheck: !(parseBoolean(env.GRADER_ALLOW_FAILING, 'GRADER_ALLOW_FAILING') ?? false),
    minScore: parseMinScore(env.GRADER_MIN_SCORE),
  };
}

export function judge(exercises: ExerciseResult[], score: number, max: number, policy: Policy): Verdict {
  const lines: string[] = [];
  let passed = true;
  if (policy.failOnFailingCheck) {
    const failing = exercises.filter((e) => {
      const view = studentView(e);
      return view.failing.length > 0 || view.problem !== undefined;
    });
    const ok = failing.length === 0;
    passed &&= ok;
    lines.push(
      ok
        ? '✅ No visible check fails in the exercises attempted.'
        : `❌ Fails because ${plural(failing.length, 'exercise')} ${failing.length === 1 ? 'has' : 'have'} failing checks: ${failing.map((e) => e.id).join(', ')}.`,
    );
  }
  if (policy.minScore) {
    const required = 'points' in policy.minScore ? policy.minScore.points : (max * policy.minScore.percent) / 100;
    const wanted = 'points' in policy.minScore ? `${formatPoints(required)} points` : `${policy.minScore.percent}% of ${formatPoints(max)} = ${formatPoints(required)} points`;
    const ok = score >= required;
    passed &&= ok;
    lines.push(`${ok ? '✅' : '❌'} Minimum score ${wanted}: ${formatPoints(score)} ${ok ? 'reached' : 'not reached'}.`);
  }
  if (lines.length === 0) lines.push('ℹ️ Report only: this run does not fail on the grade.');
  return { passed, lines };
}
