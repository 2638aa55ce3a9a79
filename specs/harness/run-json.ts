/**
 * student/run.json: for any language, the command that runs an exercise's program. One that cannot be
 * used says what is wrong with it and what a correct one looks like (a ManifestError): it is the
 * student's to fix, so every check it concerns fails with that message (exercise.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { exerciseIds } from './exercise-list';

const SHOWN = 'student/run.json';
const FILE_FIX =
  'Fix it: run.json must be one JSON object giving, for each exercise, its command and arguments as an array of strings, ' +
  'e.g. {"tcp-echo-server": ["./echo"], "udp-client": ["java", "UdpClient"]}. An exercise without an entry runs ID.py, ID.ts or ID.js.';

/** A run.json the program cannot be found from. */
export class ManifestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ManifestError';
  }
}

/** Where JSON.parse stopped, as an editor shows it (newer V8 says it itself). */
function withLineAndColumn(message: string, text: string): string {
  const at = /at position (\d+)$/.exec(message);
  if (!at) return message;
  const before = text.slice(0, Number(at[1])).split('\n');
  return `${message} (line ${before.length}, column ${before[before.length - 1].length + 1})`;
}

function whatItIs(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `the ${typeof value} ${String(value)}`;
}

/** What is wrong with an entry that is not a usable command. */
function entryProblem(entry: unknown): string {
  if (!Array.isArray(entry)) return whatItIs(entry);
  if (entry.length === 0) return 'an empty array';
  if (!entry.every((x) => typeof x === 'string')) return 'an array holding something that is not a string';
  return 'an array whose first string, the command, is empty';
}

function read(dir: string): Record<string, unknown> {
  const file = path.join(dir, 'run.json');
  if (!existsSync(file)) return {};
  let text: string;
  try {
    text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  } catch (error) {
    throw new ManifestError(`${SHOWN} could not be read (${(error as NodeJS.ErrnoException).code ?? 'unreadable'}).\n${FILE_FIX}`);
  }
  if (text.trim() === '') throw new ManifestError(`${SHOWN} is empty.\n${FILE_FIX}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ManifestError(`${SHOWN} is not valid JSON: ${withLineAndColumn((error as Error).message, text)}.\n${FILE_FIX}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ManifestError(`${SHOWN} must hold one JSON object, {...}, but it holds ${whatItIs(parsed)}.\n${FILE_FIX}`);
  }
  return parsed as Record<string, unknown>;
}

/** The command run.json gives for `exercise` (command first), if any; throws a ManifestError when it cannot be used. */
export function manifestCommand(exercise: string, dir: string): string[] | undefined {
  const entry = read(dir)[exercise];
  if (entry === undefined) return undefined;
  if (Array.isArray(entry) && entry.length > 0 && entry.every((x) => typeof x === 'string') && entry[0].trim() !== '') return entry;
  const example = typeof entry === 'string' && entry.trim() !== '' ? `[${entry.trim().split(/\s+/).map((word) => JSON.stringify(word)).join(', ')}]` : `["./${exercise}"]`;
  throw new ManifestError(
    `${SHOWN}: "${exercise}" must be the command and its arguments as an array of strings, but it is ${entryProblem(entry)}.\n` +
      `Fix it, e.g. "${exercise}": ${example}`,
  );
}

/** A note on run.json's keys that name no exercise (a misspelt entry leaves its exercise without a program), or ''. */
export function unknownEntriesNote(dir: string): string {
  const known = exerciseIds();
  const unknown = Object.keys(read(dir)).filter((key) => !known.includes(key));
  if (unknown.length === 0) return '';
  return ` (run.json's ${unknown.map((key) => `"${key}"`).join(', ')} ${unknown.length === 1 ? 'is' : 'are'} no exercise's name: check the spelling)`;
}
