/**
 * docs/examples/grade-class.yml, the class-grading workflow for GitHub Actions: valid against the
 * workflow schema, and its own steps (fetch, grade a shard, merge), run here as the runner would for
 * 3 shards over the samples, give what one unsharded run gives. GitHub's artifact transport between
 * the jobs is the one part stood in for (a copy into shards/NAME, as download-artifact lays them out).
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { validateWorkflow } from '@action-validator/core';
import { create as createTar } from 'tar';
import { parse } from 'yaml';
import { comparableOutput } from './helpers/output-compare';
import { GRADING_STEP_LIMIT_MS } from './helpers/limits';

const REPO = path.resolve(__dirname, '..');
const FILE = 'docs/examples/grade-class.yml';
const source = readFileSync(path.join(REPO, FILE), 'utf8');
const workflow = parse(source) as { jobs: Record<string, { steps: { name: string; run?: string; uses?: string; with?: Record<string, unknown> }[]; strategy?: unknown }> };
const step = (job: string, name: string) => {
  const found = workflow.jobs[job].steps.find((s) => s.name === name);
  if (!found?.run) throw new Error(`${FILE}: no step "${name}" with a run script in job ${job}`);
  return found.run;
};

/** A step's script as the runner runs it (bash -e), in `cwd`, with the step's env as the expressions would give it. */
function runStep(script: string, cwd: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], { cwd, env: { ...process.env, CI: 'true', ...env }, maxBuffer: 32 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** The runner's checkout: the repository's top-level entries, linked (grade.ts finds its own files through them). */
function checkout(prefix: string): string {
  const work = mkdtempSync(path.join(tmpdir(), prefix));
  for (const entry of readdirSync(REPO)) if (!['.git', 'grades', '.selftest'].includes(entry)) symlinkSync(path.join(REPO, entry), path.join(work, entry));
  return work;
}

test('is a valid workflow (action-validator), and the validator catches a broken one', () => {
  expect(validateWorkflow(source).errors).toEqual([]);
  expect(validateWorkflow(source.replace('runs-on:', 'runs_on:')).errors.length).toBeGreaterThan(0);
});

test('the plan job turns the number of shards into the matrix, and refuses a bad one', async () => {
  const work = mkdtempSync(path.join(tmpdir(), 'grade-class-plan-'));
  try {
    const output = path.join(work, 'github-output');
    const planned = await runStep(step('plan', 'The matrix from the input'), work, { SHARDS: '3', GITHUB_OUTPUT: output });
    expect([planned.code, readFileSync(output, 'utf8')]).toEqual([0, 'shards=[1,2,3]\n']);
    const refused = await runStep(step('plan', 'The matrix from the input'), work, { SHARDS: '0', GITHUB_OUTPUT: output });
    expect([refused.code, refused.stdout]).toEqual([1, '::error::shards must be a whole number from 1 to 64 (got 0)\n']);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}, GRADING_STEP_LIMIT_MS);

test('fetching from an organisation without a token says what is missing', async () => {
  const work = checkout('grade-class-fetch-');
  try {
    const fetched = await runStep(step('grade', 'Fetch the submissions'), work, { SOURCE: 'org:my-course/udp-lab', GH_TOKEN: '' });
    expect([fetched.code, fetched.stderr]).toEqual([1, expect.stringContaining('GH_TOKEN must be a token that can read the repositories of my-course')]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}, GRADING_STEP_LIMIT_MS);

describe('run locally, 3 shards over the samples', () => {
  let work: string;
  beforeAll(() => {
    work = checkout('grade-class-');
  }, GRADING_STEP_LIMIT_MS);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  test('fetch, grade each shard, merge: the same grades as one unsharded run, and the class summary on the run page', async () => {
    // A class archive, as a release asset would be: one folder holding the submissions.
    const staging = path.join(work, 'staging');
    cpSync(path.join(REPO, 'fixtures', 'submissions'), path.join(staging, 'class-2026'), { recursive: true });
    const archive = path.join(work, 'class.tar.gz');
    await createTar({ gzip: true, file: archive, cwd: staging }, ['class-2026']);
    const fetched = await runStep(step('grade', 'Fetch the submissions'), work, { SOURCE: `file://${archive}`, GH_TOKEN: '' });
    expect([fetched.code, fetched.stderr]).toEqual([0, '']);
    expect(readdirSync(path.join(work, 'submissions')).sort()).toEqual(readdirSync(path.join(REPO, 'fixtures', 'submissions')).sort());

    const env = { SHARDS: '3', HIDDEN: '--hidden', EXERCISES: 'udp-upper-server' };
    for (const index of [0, 1, 2]) {
      const graded = await runStep(step('grade', 'Grade this shard'), work, { ...env, SHARD: String(index) });
      expect([graded.code, graded.stdout]).toEqual([0, expect.stringContaining(`shard ${index + 1}/3: 1 of 3 submissions`)]);
      cpSync(path.join(work, `grades-shard-${index + 1}`), path.join(work, 'shards', `grades-shard-${index + 1}`), { recursive: true });
    }
    const summary = path.join(work, 'step-summary.md');
    const merged = await runStep(step('merge', 'Merge'), work, { GITHUB_STEP_SUMMARY: summary });
    expect([merged.code, merged.stdout]).toEqual([0, expect.stringContaining('merged 3 submissions from 3 folders into grades/')]);
    expect(readFileSync(summary, 'utf8')).toMatch(/^## Grades: 3 submissions\n[\s\S]*\| `udp-upper-server` \| /);

    const whole = await runStep('npm run grade -- submissions --hidden --exercise udp-upper-server --out whole', work, {});
    expect(whole.code).toBe(0);
    expect(comparableOutput(path.join(work, 'grades'))).toEqual(comparableOutput(path.join(work, 'whole')));
  }, 5 * GRADING_STEP_LIMIT_MS);
});
