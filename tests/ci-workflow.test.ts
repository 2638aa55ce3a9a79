import { readFileSync } from 'node:fs';
import path from 'node:path';
import { validateWorkflow } from '@action-validator/core';
import { parse } from 'yaml';

const REPO = path.resolve(__dirname, '..');
const read = (file: string) => readFileSync(path.join(REPO, file), 'utf8');

interface Step {
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
}

describe('.github/workflows/autograde.yml', () => {
  const source = read('.github/workflows/autograde.yml');
  const workflow = parse(source);
  const steps: Step[] = Object.values(workflow.jobs as Record<string, { steps: Step[] }>).flatMap((job) => job.steps);
  const action = (name: string) => steps.find((s) => s.uses?.startsWith(`${name}@`));

  test('is a valid workflow (action-validator, against the GitHub workflow schema)', () => {
    expect(validateWorkflow(source).errors).toEqual([]);
  });

  test('the validator does catch a broken workflow', () => {
    expect(validateWorkflow(source.replace('runs-on:', 'runs_on:')).errors.length).toBeGreaterThan(0);
  });

  test('runs on pull requests and pushes', () => {
    expect(Object.keys(workflow.on)).toEqual(expect.arrayContaining(['pull_request', 'push']));
  });

  test('sets up Node 20+ with the npm cache, and Python', () => {
    expect(Number(action('actions/setup-node')?.with?.['node-version'])).toBeGreaterThanOrEqual(20);
    expect(action('actions/setup-node')?.with?.cache).toBe('npm');
    expect(action('actions/setup-python')).toBeDefined();
    expect(steps.some((s) => s.run?.startsWith('npm ci'))).toBe(true);
  });

  test('grades with the ci-grade script, which exists', () => {
    const grade = steps.find((s) => s.run?.includes('npm run ci-grade'));
    expect(grade?.run).toContain('--out grades');
    expect(JSON.parse(read('package.json')).scripts['ci-grade']).toBeDefined();
  });

  test('uploads the grade files even when grading fails', () => {
    const upload = action('actions/upload-artifact');
    expect(upload?.if).toBe('always()');
    expect(upload?.with?.path).toBe('grades/');
  });
});

describe('docs/examples/gitlab-ci.yml', () => {
  const pipeline = parse(read('docs/examples/gitlab-ci.yml'));

  test('grades with ci-grade and hands GitLab the JUnit report', () => {
    expect(pipeline.autograde.script.join('\n')).toContain('npm run ci-grade -- --out grades');
    expect(pipeline.autograde.artifacts.reports.junit).toBe('grades/junit.xml');
    expect(pipeline.autograde.artifacts.when).toBe('always');
  });
});
