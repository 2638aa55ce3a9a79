/**
 * docs/architecture.md's diagram is the import rule: every import from one layer into another follows
 * one of its arrows, every source file belongs to a layer, and no files import each other in a cycle.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const REPO = path.resolve(__dirname, '..');
const DOC = path.join(REPO, 'docs', 'architecture.md');
const SOURCE = /\.(ts|js|cjs|mjs)$/;
/** Programs the grader starts (never loads), and what is not the project's code. */
const NOT_LAYERED = ['node_modules', '.git', 'fixtures', 'reference', 'student', 'coverage', 'tools'];

/** Which layer a file (relative to the repository) is in, by the folders the doc's table names. */
function layerOf(file: string): string | undefined {
  if (file.startsWith('specs/harness/')) return 'harness';
  if (file.startsWith('specs/')) return 'specs';
  if (file.startsWith('grader/')) return 'grader';
  if (file.startsWith('tests/')) return 'tests';
  if (file.startsWith('scripts/') || file.startsWith('bench/') || file === 'grade.ts' || file === 'jest.config.ts') return 'frontends';
  return undefined;
}

function diagram(): { nodes: Set<string>; arrows: Set<string> } {
  const text = readFileSync(DOC, 'utf8');
  const block = /```mermaid\n([\s\S]*?)```/.exec(text)?.[1] ?? '';
  const nodes = new Set([...block.matchAll(/^\s*(\w+)\[/gm)].map((m) => m[1]));
  const arrows = new Set([...block.matchAll(/^\s*(\w+)\s*-->\s*(\w+)\s*$/gm)].map((m) => `${m[1]} --> ${m[2]}`));
  return { nodes, arrows };
}

function sourceFiles(dir = REPO): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    const relative = path.relative(REPO, full).split(path.sep).join('/');
    if (NOT_LAYERED.includes(relative) || name.startsWith('.')) continue;
    if (statSync(full).isDirectory()) found.push(...sourceFiles(full));
    else if (SOURCE.test(name) && !name.endsWith('.d.ts')) found.push(relative);
  }
  return found;
}

/** The project files a file loads at run time (type-only imports load nothing). */
function importsOf(file: string, known: Set<string>): string[] {
  const text = readFileSync(path.join(REPO, file), 'utf8');
  const specifiers = [
    ...[...text.matchAll(/^(?:import|export)\s+(?!type\s)[^;]*?from\s*['"](\.[^'"]+)['"]/gm)].map((m) => m[1]),
    ...[...text.matchAll(/(?:require|import)\(\s*['"](\.[^'"]+)['"]\s*\)/g)].map((m) => m[1]),
    ...[...text.matchAll(/^import\s+['"](\.[^'"]+)['"]/gm)].map((m) => m[1]),
  ];
  const resolved: string[] = [];
  for (const specifier of specifiers) {
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
    const hit = [target, `${target}.ts`, `${target}/index.ts`, `${target}.js`].find((candidate) => known.has(candidate) || (candidate === target && existsSync(path.join(REPO, target)) && statSync(path.join(REPO, target)).isFile()));
    if (hit) resolved.push(hit);
  }
  return resolved;
}

const files = sourceFiles();
const known = new Set(files);
const graph = new Map(files.map((file) => [file, importsOf(file, known)]));

test('the diagram names every layer, and every source file is in one', () => {
  const { nodes } = diagram();
  expect([...nodes].sort()).toEqual(['frontends', 'grader', 'harness', 'specs', 'tests']);
  expect(files.filter((file) => !layerOf(file))).toEqual([]);
});

test('every import across layers follows an arrow of the diagram', () => {
  const { arrows } = diagram();
  const against: string[] = [];
  for (const [file, targets] of graph) {
    for (const target of targets) {
      const [from, to] = [layerOf(file), layerOf(target)];
      if (from && to && from !== to && !arrows.has(`${from} --> ${to}`)) against.push(`${file} imports ${target} (${from} --> ${to} is not drawn)`);
    }
  }
  expect(against).toEqual([]);
});

test('no files import each other in a cycle', () => {
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (file: string, trail: string[]) => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'open') {
      cycles.push([...trail.slice(trail.indexOf(file)), file].join(' -> '));
      return;
    }
    state.set(file, 'open');
    for (const target of graph.get(file) ?? []) visit(target, [...trail, file]);
    state.set(file, 'done');
  };
  for (const file of files) visit(file, []);
  expect(cycles).toEqual([]);
});

test('the checker sees imports: harness files are imported by the specs', () => {
  // A parser that found nothing would pass the rules above vacuously.
  const crossing = [...graph].filter(([file, targets]) => layerOf(file) === 'specs' && targets.some((t) => layerOf(t) === 'harness'));
  expect(crossing.length).toBeGreaterThan(10);
});
