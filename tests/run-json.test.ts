/**
 * A student/run.json that cannot be used tells the student what is wrong with it and how to fix it:
 * every check it concerns fails with that one message, the exercise says it once, the totals keep
 * their maximum, and nothing of the harness (stack, code frame, paths) shows.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findProgram } from '../specs/harness/program';
import type { ExerciseResult } from '../specs/harness/results';

const REPO = path.resolve(__dirname, '..');
const JEST = path.join(REPO, 'node_modules', 'jest', 'bin', 'jest.js');
const STACK_FRAME = /^\s+at \S/m;
const FILE_FIX = 'Fix it: run.json must be one JSON object giving, for each exercise, its command and arguments as an array of strings, e.g. {"tcp-echo-server": ["./echo"]';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'run-json-test-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const withRunJson = (text: string) => {
  writeFileSync(path.join(dir, 'run.json'), text);
  return () => findProgram('netutil', dir);
};

describe('what is wrong with run.json, and how to fix it', () => {
  test.each([
    ['invalid JSON, with where', '{"netutil": ["./netutil"],\n}', /^student\/run\.json is not valid JSON: .* \(line 2, column 1\)\.\n/],
    ['null', 'null', /^student\/run\.json must hold one JSON object, \{\.\.\.\}, but it holds null\.\n/],
    ['an array', '["./netutil"]', /^student\/run\.json must hold one JSON object, \{\.\.\.\}, but it holds an array\.\n/],
    ['a string', '"./netutil"', /^student\/run\.json must hold one JSON object, \{\.\.\.\}, but it holds the string "\.\/netutil"\.\n/],
    ['nothing', '  \n', /^student\/run\.json is empty\.\n/],
  ])('%s: the file, the problem, an example of a correct file', (_what, text, problem) => {
    const find = withRunJson(text);
    expect(find).toThrow(problem);
    expect(find).toThrow(FILE_FIX);
  });

  test.each([
    ['a string', '"python3 netutil.py"', 'it is the string "python3 netutil.py".\nFix it, e.g. "netutil": ["python3", "netutil.py"]'],
    ['an empty array', '[]', 'it is an empty array.\nFix it, e.g. "netutil": ["./netutil"]'],
    ['a number in the array', '["./netutil", 2]', 'it is an array holding something that is not a string.\nFix it, e.g. "netutil": ["./netutil"]'],
    ['an empty command', '[""]', 'it is an array whose first string, the command, is empty.\nFix it, e.g. "netutil": ["./netutil"]'],
    ['an object', '{"command": "./netutil"}', 'it is an object.\nFix it, e.g. "netutil": ["./netutil"]'],
  ])('an entry that is %s: the entry, what it is, a correct entry', (_what, entry, said) => {
    const find = withRunJson(`{"netutil": ${entry}}`);
    expect(find).toThrow(`student/run.json: "netutil" must be the command and its arguments as an array of strings, but ${said}`);
  });

  test('a correct entry runs, also after a byte-order mark; a misspelt key is pointed out where its exercise has no program', () => {
    withRunJson('\uFEFF{"netutil": ["./netutil", "-v"], "tcp-clinet": ["./client"]}');
    expect(findProgram('netutil', dir)).toMatchObject({ attempted: true, command: './netutil', args: ['-v'] });
    expect(findProgram('tcp-client', dir)).toMatchObject({
      attempted: false,
      reason: 'no tcp-client.py, tcp-client.ts, tcp-client.js and no "tcp-client" entry in run.json (run.json\'s "tcp-clinet" is no exercise\'s name: check the spelling)',
    });
  });
});

function gradeWithJest(target: string, resultsFile: string): Promise<string> {
  const reporters = [path.join(REPO, 'grader', 'report', 'score-reporter.ts'), path.join(REPO, 'grader', 'results-reporter.ts')];
  const args = [JEST, '--config', path.join(REPO, 'jest.config.ts'), '--ci', ...reporters.flatMap((r) => ['--reporters', r]), '--testPathPatterns', 'specs/(netutil|udp-client)\\.spec\\.ts$'];
  const env = { ...process.env, GRADER_TARGET: target, GRADER_RESULTS_FILE: resultsFile, NO_COLOR: '1', FORCE_COLOR: '0' };
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: REPO, env, maxBuffer: 16 * 1024 * 1024 }, (_error, stdout, stderr) => resolve(`${stdout}${stderr}`));
  });
}

describe('in a real jest run, as `npm test` and grade.ts run it', () => {
  test.each([
    ['not valid JSON', '{"netutil": ["python3", "netutil.py"],', /^student\/run\.json is not valid JSON: /],
    ['null (it crashed the specs: "Total 0/0")', 'null', /^student\/run\.json must hold one JSON object/],
  ])('run.json %s: every check of every exercise fails with its one message', async (_what, text, problem) => {
    writeFileSync(path.join(dir, 'run.json'), text);
    const resultsFile = path.join(dir, 'results.json');
    const output = await gradeWithJest(dir, resultsFile);
    if (process.env.SHOW_OUTPUT) console.log(output);

    const exercises: ExerciseResult[] = JSON.parse(readFileSync(resultsFile, 'utf8'));
    expect(exercises.map((e) => e.id)).toEqual(['netutil', 'udp-client']);
    for (const exercise of exercises) {
      expect(exercise).toMatchObject({ attempted: true, score: 0, reason: expect.stringMatching(problem) });
      expect(exercise.reason).toContain(FILE_FIX);
      expect(exercise.checks.length).toBeGreaterThan(0);
      for (const check of exercise.checks.filter((c) => !c.hidden)) expect(check).toMatchObject({ status: 'failed', points: 0, message: exercise.reason });
      expect(output).toMatch(new RegExp(`\\n  ${exercise.id}\\s+0/\\s*${exercise.max}  student/run\\.json`));
    }
    const max = exercises.reduce((sum, e) => sum + e.max, 0);
    expect(max).toBeGreaterThan(0);
    expect(output).toMatch(new RegExp(`\\n  Total\\s+0/\\s*${max}\\n`));
    expect(output).not.toMatch(STACK_FRAME);
    expect(output).not.toContain(path.join(REPO, 'specs', 'harness'));
    expect(output).not.toMatch(/Test suite failed to run|the grader failed/);
  }, 90_000);
});
