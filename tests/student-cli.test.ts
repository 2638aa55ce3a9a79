import { ALL, changedExercises } from '../grader/cli/changed-exercises';
import { parseExerciseIds, specPathPattern } from '../grader/cli/exercises';
import { parseTestArgs } from '../grader/cli/test-args';

const known = ['tcp-client', 'udp-client', 'udp-upper-server'];

describe('npm test arguments', () => {
  test('exercise IDs and --summary are ours, the rest goes to jest', () => {
    expect(parseTestArgs(['udp-client', '--summary', 'x.md', '--verbose', 'tcp-client'], known)).toEqual({
      exercises: ['udp-client', 'tcp-client'],
      summaryFile: 'x.md',
      traced: [],
      jestArgs: ['--verbose'],
    });
    expect(parseTestArgs(['--summary=out/s.md', '--exercise', 'udp-client,tcp-client'], known)).toMatchObject({
      exercises: ['udp-client', 'tcp-client'],
      summaryFile: 'out/s.md',
    });
  });

  test("a jest option's value is not taken for an exercise", () => {
    expect(parseTestArgs(['-t', 'ipv6', 'udp-client', '--maxWorkers', '2'], known)).toEqual({
      exercises: ['udp-client'],
      summaryFile: undefined,
      traced: [],
      jestArgs: ['-t', 'ipv6', '--maxWorkers', '2'],
    });
  });

  test('a mistyped exercise is reported with the list of exercises', () => {
    expect(() => parseTestArgs(['udp-clinet'], known)).toThrow('no exercise called "udp-clinet". The exercises are: tcp-client, udp-client, udp-upper-server');
    expect(() => parseTestArgs(['--summary'], known)).toThrow(/needs a file name/);
  });

  test('--trace ID selects the exercise and asks for its timeline', () => {
    expect(parseTestArgs(['--trace', 'udp-client', 'tcp-client'], known)).toMatchObject({
      exercises: ['udp-client', 'tcp-client'],
      traced: ['udp-client'],
    });
    expect(parseTestArgs(['--trace=tcp-client,udp-client'], known)).toMatchObject({
      exercises: ['tcp-client', 'udp-client'],
      traced: ['tcp-client', 'udp-client'],
    });
    expect(() => parseTestArgs(['--trace'], known)).toThrow(/--trace needs an exercise/);
    expect(() => parseTestArgs(['--trace', 'udp-clinet'], known)).toThrow(/no exercise called "udp-clinet"/);
  });

  test('paths and patterns still reach jest', () => {
    expect(parseTestArgs(['specs/udp-client.spec.ts'], known).jestArgs).toEqual(['specs/udp-client.spec.ts']);
  });

  test('the path pattern selects exactly the exercises named', () => {
    const pattern = new RegExp(specPathPattern(parseExerciseIds(['exercise/udp-client'], known)));
    expect(pattern.test('/repo/specs/udp-client.spec.ts')).toBe(true);
    expect(pattern.test('/repo/specs/tcp-udp-client.spec.ts')).toBe(false);
    expect(pattern.test('/repo/specs/udp-client.spec.ts.bak')).toBe(false);
  });
});

describe('what a change in student/ re-grades', () => {
  test.each([
    ['udp-client.py', ['udp-client']],
    ['udp-client.ts', ['udp-client']],
    ['run.json', [ALL]],
    ['helpers/net.py', [ALL]],
    ['notes.txt', [ALL]],
    ['.udp-client.py.swp', []],
    ['udp-client.py~', []],
    ['4913', []],
    ['__pycache__/udp-client.cpython-311.pyc', []],
  ])('%s', (file, affected) => {
    expect(changedExercises(file, known)).toEqual(affected);
  });
});
