/** How much of a submission is taken at most; beyond these it is not graded, with a message saying why. */
export interface SubmissionLimits {
  /** Files taken from the student's folder. */
  maxFiles: number;
  /** Bytes of those files, in all. */
  maxBytes: number;
  /** Entries an archive may hold in all, including the ones that are skipped (node_modules...). */
  maxArchiveEntries: number;
  /** Bytes an archive may expand to in all (a zip bomb stops here). */
  maxArchiveBytes: number;
}

export const DEFAULT_SUBMISSION_LIMITS: SubmissionLimits = {
  maxFiles: 500,
  maxBytes: 20 * 1024 * 1024,
  maxArchiveEntries: 20_000,
  maxArchiveBytes: 200 * 1024 * 1024,
};

/** Why a submission cannot be graded (bad archive, too big...): shown as its error, never a crash of the run. */
export class SubmissionError extends Error {
  override name = 'SubmissionError';
}

export const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(bytes < 1024 * 1024 ? 2 : 0)} MiB`;
