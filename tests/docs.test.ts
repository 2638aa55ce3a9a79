import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { BEGIN, END, checksSection, withChecksSection } from '../grader/docs/checks-section';
import { planDocs } from '../grader/docs/plan-docs';

const REPO = path.resolve(__dirname, '..');
const checks = [
  { id: 'uppercase', title: 'replies | uppercased', points: 2 },
  { id: 'secret-one', title: 'SECRET behaviour', points: 2, hidden: true },
  { id: 'secret-two', title: 'SECRET edge', points: 1, hidden: true },
];

describe('the generated "How it is checked" section', () => {
  const section = checksSection('udp-demo', checks);

  test('lists the visible checks with their points and counts the hidden ones without describing them', () => {
    expect(section).toContain('| replies \\| uppercased | `uppercase` | 2 |');
    expect(section).toContain('Plus 2 hidden checks worth 3 points');
    expect(section).toContain('**5 points** in all');
    expect(section).not.toMatch(/secret/i);
  });

  test('replaces only what is between the markers', () => {
    const doc = `# udp-demo\n\n## How it is checked\n\n${BEGIN}\nold list\n${END}\n\nafter\n`;
    const updated = withChecksSection(doc, section);
    expect(updated).toBe(`# udp-demo\n\n## How it is checked\n\n${BEGIN}\n${section}\n${END}\n\nafter\n`);
    expect(withChecksSection(updated, section)).toBe(updated);
    expect(() => withChecksSection('# no markers', section)).toThrow(/markers/);
  });

  test('planDocs finds outdated docs, specs without docs and docs without specs', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'docs-test-'));
    try {
      writeFileSync(path.join(dir, 'udp-demo.md'), `${BEGIN}\n${END}\n`);
      writeFileSync(path.join(dir, 'orphan.md'), `${BEGIN}\n${END}\n`);
      const plan = planDocs(new Map([['udp-demo', checks], ['no-doc', checks]]), dir);
      expect(plan.outdated.map((o) => path.basename(o.file))).toEqual(['udp-demo.md']);
      expect(plan.problems).toEqual([
        'specs/no-doc.spec.ts has no docs/exercises/no-doc.md',
        'docs/exercises/orphan.md has no spec specs/orphan.spec.ts',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test('every spec has a docs/exercises/ID.md whose checks section is up to date (npm run docs -- --check)', async () => {
  const env = { ...process.env };
  delete env.JEST_WORKER_ID;
  const run = promisify(execFile)(process.execPath, [require.resolve('tsx/cli'), path.join(REPO, 'scripts', 'docs.ts'), '--check'], { cwd: REPO, env });
  const { stdout } = await run.catch((error: { stdout: string; stderr: string }) => {
    throw new Error(`npm run docs -- --check failed (run npm run docs, and write the missing docs):\n${error.stdout}${error.stderr}`);
  });
  expect(stdout).toMatch(/docs: \d+ up to date, 0 out of date, 0 problems/);
}, 120_000);
