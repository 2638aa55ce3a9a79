/**
 * A stand-in for the jest child, for tests of the grading run itself (resume, shards, merge): a
 * submission's udp-upper-server.py says how it fares ("FAIL large,secret" fails those checks, "ERROR
 * large" makes the grading fail on that one, anything else passes them all). No process is started.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ExerciseResult } from '../../specs/harness/results';
import type { GradeOptions } from '../../grader/grade-run';
import { DEFAULT_SUBMISSION_LIMITS } from '../../grader/submission-limits';
import { plainProgress } from '../../grader/progress';
import type { JestOutcome, JestRun } from '../../grader/run-submission';
import { findSubmissions } from '../../grader/submissions';
import { udpExercise } from './sample-results';

/** The grading table the stand-in's submissions are graded against (GradeOptions.table). */
const TABLE: ExerciseResult = {
  ...udpExercise(),
  attempted: false,
  reason: 'no udp-upper-server.py',
  score: 0,
  checks: udpExercise().checks.map((c) => ({ ...c, status: 'not attempted', points: 0, message: undefined })),
};

export interface FakeGrader {
  run: (run: JestRun) => Promise<JestOutcome>;
  /** The programs graded, in order. */
  graded: string[];
}

export function fakeGrader(onRun?: (program: string) => void): FakeGrader {
  const graded: string[] = [];
  return {
    graded,
    run: async ({ studentDir }) => {
      const file = path.join(studentDir, 'udp-upper-server.py');
      const program = readFileSync(file, 'utf8');
      graded.push(program);
      onRun?.(program);
      const failing = /FAIL (\S+)/.exec(program)?.[1].split(',') ?? [];
      const erroring = /ERROR (\S+)/.exec(program)?.[1].split(',') ?? [];
      const overrides = Object.fromEntries([...failing.map((id) => [id, 'failed']), ...erroring.map((id) => [id, 'error'])]);
      return { exercises: [udpExercise(overrides)], log: `graded ${program}`, durationMs: 5 };
    },
  };
}

/** A folder of submissions: name -> the content of its student/udp-upper-server.py. */
export function submissionsFolder(programs: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'grade-submissions-'));
  for (const [name, program] of Object.entries(programs)) writeProgram(root, name, program);
  return root;
}

export function writeProgram(root: string, name: string, program: string): void {
  mkdirSync(path.join(root, name, 'student'), { recursive: true });
  writeFileSync(path.join(root, name, 'student', 'udp-upper-server.py'), program);
}

export function gradeOptions(source: string, out: string, fake: FakeGrader, more: Partial<GradeOptions> = {}): GradeOptions {
  return {
    submissions: findSubmissions(source).submissions,
    out,
    exercises: ['udp-upper-server'],
    hidden: true,
    jobs: 2,
    force: false,
    timeoutMs: 60_000,
    limits: DEFAULT_SUBMISSION_LIMITS,
    isolation: { wrap: (command, args) => ({ command, args }) },
    progress: plainProgress(() => undefined),
    run: fake.run,
    table: [TABLE],
    ...more,
  };
}
