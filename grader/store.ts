/**
 * The output folder. Per submission (written as soon as it is graded, fingerprint last, so an
 * interrupted write is graded again next time):
 *   submissions/NAME/result.json, feedback.md, feedback.html, junit.xml, grader.log, fingerprint.json
 *   gradescope/NAME/results.json, prairielearn/NAME/results.json
 * The reports among them (feedback.md and .html, junit.xml, the results.json files) are made again from result.json
 * whenever a run keeps a stored result. For all of them (written at the end of a run): grades.json,
 * grades.csv, class-summary.md, report.html (with the similarity analysis of similarity.json, when --similarity made one).
 * grading-table.json keeps the checks read from the specs, for runs with the same specs and options.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ExerciseResult, SubmissionResult } from '../specs/harness/results';
import type { Fingerprint } from './fingerprint';
import { classSummaryMarkdown } from './report/class-summary';
import { gradesCsv } from './report/csv';
import { feedbackMarkdown } from './report/feedback';
import { feedbackHtml } from './report/feedback-html';
import { gradescopeJson } from './report/gradescope';
import { reportHtml } from './report/html';
import { gradesJson } from './report/json';
import { junitXml } from './report/junit';
import { prairielearnJson } from './report/prairielearn';
import { similarityCsv, similaritySection } from './report/similarity';
import type { SimilarityReport } from './similarity';

export interface Stored {
  result: SubmissionResult;
  fingerprint?: Fingerprint;
  log?: string;
  /** grade --capture's pcap files, by their path in the submission's folder (capture.ts). */
  captures?: { file: string; bytes: Buffer }[];
}

export function writeAtomically(file: string, content: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, content);
  renameSync(temp, file);
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

export class OutputDir {
  constructor(readonly root: string) {}

  submissionDir(name: string): string {
    return path.join(this.root, 'submissions', name);
  }

  /** Names of the submissions that have a stored result. */
  storedNames(): string[] {
    const dir = path.join(this.root, 'submissions');
    if (!existsSync(dir)) return [];
    return readdirSync(dir).filter((name) => existsSync(path.join(dir, name, 'result.json'))).sort();
  }

  read(name: string): Stored | undefined {
    const dir = this.submissionDir(name);
    const result = readJson<SubmissionResult>(path.join(dir, 'result.json'));
    if (!result) return undefined;
    const log = existsSync(path.join(dir, 'grader.log')) ? readFileSync(path.join(dir, 'grader.log'), 'utf8') : undefined;
    return { result, fingerprint: readJson<Fingerprint>(path.join(dir, 'fingerprint.json')), log };
  }

  saveSubmission({ result, fingerprint, log, captures = [] }: Stored): void {
    const dir = this.submissionDir(result.name);
    // Until the new fingerprint is written, the stored result counts as stale.
    rmSync(path.join(dir, 'fingerprint.json'), { force: true });
    // An earlier grading's captures belong to its result, not this one.
    rmSync(path.join(dir, 'captures'), { recursive: true, force: true });
    for (const capture of captures) {
      mkdirSync(path.dirname(path.join(dir, capture.file)), { recursive: true });
      writeFileSync(path.join(dir, capture.file), capture.bytes);
    }
    writeAtomically(path.join(dir, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
    this.render(result);
    if (log !== undefined) writeAtomically(path.join(dir, 'grader.log'), log);
    if (fingerprint) writeAtomically(path.join(dir, 'fingerprint.json'), `${JSON.stringify(fingerprint)}\n`);
  }

  /** A submission's reports, made from its result: again on every run, so that they always come from the current renderers. */
  render(result: SubmissionResult): void {
    const dir = this.submissionDir(result.name);
    writeAtomically(path.join(dir, 'feedback.md'), feedbackMarkdown(result));
    writeAtomically(path.join(dir, 'feedback.html'), feedbackHtml(result));
    writeAtomically(path.join(dir, 'junit.xml'), junitXml(result));
    writeAtomically(path.join(this.root, 'gradescope', result.name, 'results.json'), gradescopeJson(result));
    writeAtomically(path.join(this.root, 'prairielearn', result.name, 'results.json'), prairielearnJson(result));
  }

  /** The grading table read for these specs and options, if an earlier run stored it. */
  readTable(grader: string): ExerciseResult[] | undefined {
    const stored = readJson<{ grader: string; table: ExerciseResult[] }>(path.join(this.root, 'grading-table.json'));
    return stored?.grader === grader ? stored.table : undefined;
  }

  saveTable(grader: string, table: ExerciseResult[]): void {
    writeAtomically(path.join(this.root, 'grading-table.json'), `${JSON.stringify({ grader, table })}\n`);
  }

  saveSummary(results: SubmissionResult[]): void {
    writeAtomically(path.join(this.root, 'grades.json'), gradesJson(results));
    writeAtomically(path.join(this.root, 'grades.csv'), gradesCsv(results));
    writeAtomically(path.join(this.root, 'class-summary.md'), classSummaryMarkdown(results));
    const similarity = readJson<SimilarityReport>(path.join(this.root, 'similarity.json'));
    writeAtomically(path.join(this.root, 'report.html'), reportHtml(results, similarity ? [similaritySection(similarity)] : []));
  }

  /** similarity.json and similarity.csv; report.html shows it from the next saveSummary on. */
  saveSimilarity(report: SimilarityReport): void {
    writeAtomically(path.join(this.root, 'similarity.json'), `${JSON.stringify(report, null, 2)}\n`);
    writeAtomically(path.join(this.root, 'similarity.csv'), similarityCsv(report));
  }
}
