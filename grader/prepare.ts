/**
 * Turns a submission, whatever its kind, into a fresh folder holding only the files that are graded
 * (student-files.ts's rule), with their content hash. Anything wrong with it is a SubmissionError.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { exportGitHead } from './extract/git';
import { extractTarGz } from './extract/tar';
import { extractZip } from './extract/zip';
import { SubmissionError, type SubmissionLimits } from './submission-limits';
import { copyStudentFiles, locateStudentDir, type CopiedStudent } from './student-files';
import type { Submission } from './submissions';

async function unpack(submission: Submission, staging: string, limits: SubmissionLimits): Promise<string> {
  switch (submission.kind) {
    case 'folder':
      return submission.path;
    case 'git':
      await exportGitHead(submission.path, staging, limits);
      return staging;
    case 'zip':
      await extractZip(submission.path, staging, limits);
      return staging;
    case 'tar.gz':
      await extractTarGz(submission.path, staging, limits);
      return staging;
  }
}

/** Copies the graded files of `submission` into `workDir`/student. */
export async function prepareSubmission(submission: Submission, workDir: string, limits: SubmissionLimits): Promise<CopiedStudent> {
  const staging = path.join(workDir, 'unpacked');
  try {
    const root = await unpack(submission, staging, limits);
    return copyStudentFiles(locateStudentDir(root), path.join(workDir, 'student'), limits);
  } catch (error) {
    if (error instanceof SubmissionError) throw error;
    throw new SubmissionError(`the submission could not be read: ${(error as Error).message}`);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
