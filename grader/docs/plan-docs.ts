/**
 * What `npm run docs` has to do: for every exercise's doc, its text with the generated checks
 * section brought up to date, and every disagreement between specs and docs (a spec with no doc, a
 * doc with no spec, a doc without the markers).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { CheckMeta } from '../../specs/harness/titles';
import { checksSection, withChecksSection } from './checks-section';

export interface DocPlan {
  /** Docs whose generated section differs from what the specs say, with their new text. */
  outdated: { file: string; text: string }[];
  upToDate: string[];
  problems: string[];
}

export function planDocs(checks: Map<string, CheckMeta[]>, docsDir: string): DocPlan {
  const plan: DocPlan = { outdated: [], upToDate: [], problems: [] };
  const shown = (file: string) => path.join('docs', 'exercises', path.basename(file));
  for (const [exercise, exerciseChecks] of checks) {
    const file = path.join(docsDir, `${exercise}.md`);
    if (!existsSync(file)) {
      plan.problems.push(`specs/${exercise}.spec.ts has no ${shown(file)}`);
      continue;
    }
    const current = readFileSync(file, 'utf8');
    try {
      const text = withChecksSection(current, checksSection(exercise, exerciseChecks));
      if (text === current) plan.upToDate.push(file);
      else plan.outdated.push({ file, text });
    } catch (error) {
      plan.problems.push(`${shown(file)} ${(error as Error).message}`);
    }
  }
  const docs = existsSync(docsDir) ? readdirSync(docsDir).filter((f) => f.endsWith('.md')) : [];
  for (const doc of docs.sort()) {
    if (!checks.has(doc.slice(0, -'.md'.length))) plan.problems.push(`${shown(doc)} has no spec specs/${doc.replace(/\.md$/, '.spec.ts')}`);
  }
  return plan;
}
