/**
 * `npm test -- [EXERCISE...] [--trace EXERCISE] [--summary FILE] [jest options]`: takes out our own arguments and
 * leaves jest's untouched. jest rejects flags it does not know, so ours never reach it.
 */
import { yargsOptions } from 'jest-cli';
import { looksLikeExerciseId, parseExerciseIds } from './exercises';

export interface TestArgs {
  exercises: string[];
  summaryFile?: string;
  /** Exercises whose every check's timeline is printed (they are among `exercises` too). */
  traced: string[];
  jestArgs: string[];
}

/** jest options that take a value, by every name they go by (so that value is not read as an exercise). */
const TAKES_VALUE = new Set(
  Object.entries(yargsOptions).flatMap(([name, option]) => {
    const { type, alias } = option as { type?: string; alias?: string | string[] };
    if (type === 'boolean' || type === undefined) return [];
    return [name, ...(alias === undefined ? [] : [alias].flat())].map((n) => (n.length === 1 ? `-${n}` : `--${n}`));
  }),
);

export function parseTestArgs(argv: string[], known?: string[]): TestArgs {
  const words: string[] = [];
  const jestArgs: string[] = [];
  let summaryFile: string | undefined;
  const traced: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--summary' || arg.startsWith('--summary=')) {
      summaryFile = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
      if (!summaryFile) throw new Error('--summary needs a file name: npm test -- --summary report.md');
    } else if (arg === '--exercise' || arg.startsWith('--exercise=')) {
      const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
      if (!value) throw new Error('--exercise needs an exercise ID');
      words.push(value);
    } else if (arg === '--trace' || arg.startsWith('--trace=')) {
      const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
      if (!value || value.startsWith('-')) throw new Error('--trace needs an exercise ID: npm test -- --trace udp-client');
      words.push(value);
      traced.push(value);
    } else if (TAKES_VALUE.has(arg)) {
      jestArgs.push(arg, ...argv.slice(i + 1, i + 2));
      i += 1;
    } else if (!arg.startsWith('-') && looksLikeExerciseId(arg)) {
      words.push(arg);
    } else {
      jestArgs.push(arg);
    }
  }
  return { exercises: parseExerciseIds(words, known), summaryFile, traced: parseExerciseIds(traced, known), jestArgs };
}
