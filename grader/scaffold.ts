/**
 * A new exercise from the templates in templates/new-exercise/KIND/ (a TCP or UDP server, a TCP
 * client, a command-line tool): a spec with its first checks (a server's include the shared
 * port-in-use check), a reference, Python and TypeScript starters, the two good samples'
 * solutions, labelled broken programs failing each check, a docs page and the README's contract row.
 * What it makes passes the selftest as it is, so a course starts from a green exercise and changes
 * the contract from there.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const TEMPLATES = path.join('templates', 'new-exercise');
const ID_PATTERN = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const PLACEHOLDER = /__ID__/g;
/** Where each template goes (ID is the exercise's id); any other .py/.ts template is a broken program. */
const DESTINATIONS: Record<string, string[]> = {
  'spec.ts.tmpl': ['specs/ID.spec.ts'],
  'reference.ts.tmpl': ['reference/ID.ts', 'fixtures/submissions/good-typescript/student/ID.ts'],
  'starter.py.tmpl': ['student/ID.py'],
  'starter.ts.tmpl': ['student/ID.ts'],
  'good.py.tmpl': ['fixtures/submissions/good-python/student/ID.py'],
  'doc.md.tmpl': ['docs/exercises/ID.md'],
};
const README_ROW = 'readme-row.md.tmpl';
/** A row of the README's exercise table: | [`ID`](docs/exercises/ID.md) | ... */
const EXERCISE_ROW = /^\| \[`[a-z0-9-]+`\]\(docs\/exercises\/[a-z0-9-]+\.md\) \|/;

export class ScaffoldError extends Error {}

export function exerciseKinds(root: string): string[] {
  const dir = path.join(root, TEMPLATES);
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

/** Creates exercise `id` of `kind` in the repository at `root`; the files it wrote (README.md last). */
export function scaffoldExercise(root: string, id: string, kind: string): string[] {
  if (!ID_PATTERN.test(id)) throw new ScaffoldError(`"${id}" is not an exercise id: lower-case letters and digits in words joined by "-", e.g. udp-time-server`);
  const kinds = exerciseKinds(root);
  if (!kinds.includes(kind)) throw new ScaffoldError(`there is no kind "${kind}": one of ${kinds.join(', ')} (templates in ${TEMPLATES}/)`);
  const templates = path.join(root, TEMPLATES, kind);
  const files = new Map<string, string>();
  for (const name of readdirSync(templates).sort((a, b) => a.localeCompare(b))) {
    if (name === README_ROW) continue;
    const destinations = DESTINATIONS[name] ?? (/\.(py|ts)\.tmpl$/.test(name) ? [`fixtures/broken/ID/${name.replace(/\.tmpl$/, '')}`] : []);
    if (destinations.length === 0) throw new ScaffoldError(`${TEMPLATES}/${kind}/${name}: not a template this knows where to put`);
    const text = readFileSync(path.join(templates, name), 'utf8').replace(PLACEHOLDER, id);
    for (const destination of destinations) files.set(destination.replace('ID', id), text);
  }
  const taken = [...files.keys(), `fixtures/broken/${id}`].filter((file) => existsSync(path.join(root, file)));
  if (taken.length) {
    const named = taken.length > 3 ? `${taken.slice(0, 3).join(', ')} and ${taken.length - 3} more` : taken.join(', ');
    throw new ScaffoldError(`exercise ${id} exists already (${named}): choose another id, or remove those first`);
  }
  const readme = withRow(readFileSync(path.join(root, 'README.md'), 'utf8'), readFileSync(path.join(templates, README_ROW), 'utf8').replace(PLACEHOLDER, id).trimEnd());

  for (const [file, text] of files) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text, { flag: 'wx' });
  }
  writeFileSync(path.join(root, 'README.md'), readme);
  return [...files.keys(), 'README.md'];
}

/** README.md with `row` after the last row of its exercise table. */
function withRow(readme: string, row: string): string {
  const lines = readme.split('\n');
  const last = lines.map((line) => EXERCISE_ROW.test(line)).lastIndexOf(true);
  if (last < 0) throw new ScaffoldError('README.md has no exercise table (rows like | [`ID`](docs/exercises/ID.md) | ARGS | behaviour |) to add the new row to');
  lines.splice(last + 1, 0, row);
  return lines.join('\n');
}
