import path from 'node:path';
import { availableParallelism } from 'node:os';
import { idleCores } from '../grader/idle-cores';
import { parseCommand } from '../grader/cli/grade-args';

const REPO = path.resolve(__dirname, '..');
const parse = (...argv: string[]) => parseCommand(argv, REPO, '/somewhere');

test('defaults: the sample submissions, grades/ where the command was typed, every exercise', () => {
  const { jobs } = parse() as { jobs: number };
  expect(jobs).toBeGreaterThanOrEqual(1);
  expect(jobs).toBeLessThanOrEqual(availableParallelism());
  expect(parse()).toMatchObject({
    command: 'grade',
    source: path.join(REPO, 'fixtures', 'submissions'),
    out: '/somewhere/grades',
    hidden: false,
    exercises: [],
    jobs: expect.any(Number),
    timeoutMs: 600_000,
    force: false,
    unsafe: false,
  });
});

test('options', () => {
  const command = parse(REPO, '--hidden', '--exercise', 'udp-upper-server', '--exercise', 'udp-upper-server', '--jobs', '3', '--shard', '2/4', '--timeout', '30', '--force', '--out', 'x');
  expect(command).toMatchObject({ exercises: ['udp-upper-server'], jobs: 3, shard: { index: 2, count: 4 }, timeoutMs: 30_000, force: true, hidden: true, out: '/somewhere/x' });
});

test('merge and help', () => {
  expect(parse('merge', 'a', 'b', '--out', 'all')).toEqual({ command: 'merge', dirs: ['/somewhere/a', '/somewhere/b'], out: '/somewhere/all' });
  expect(parse('--help')).toEqual({ command: 'help' });
  expect(parse('-h')).toEqual({ command: 'help' });
});

test('mistakes are usage errors that say what is wrong', () => {
  expect(() => parse('--shard', '4/3')).toThrow(/--shard must be K\/N/);
  expect(() => parse('--jobs', '0')).toThrow(/--jobs must be a whole number/);
  expect(() => parse('--exercise', 'no-such-thing')).toThrow(/no such exercise: no-such-thing/);
  expect(() => parse('--colour')).toThrow(/Unknown option '--colour'/);
  expect(() => parse('merge')).toThrow(/merge needs the output folders/);
  expect(() => parse('/no/such/folder')).toThrow(/no such file or folder/);
});

test('the cores idle now are between none and all of them', () => {
  const idle = idleCores(100);
  expect(idle).toBeGreaterThanOrEqual(0);
  expect(idle).toBeLessThanOrEqual(availableParallelism());
});
