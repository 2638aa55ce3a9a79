/**
 * jest's limits for tests that run a whole grading (tsx, a jest child, every spec it loads): hang
 * detectors, not measurements. The selftest runs them beside 4 workers of checks on a machine that may
 * have 2 cores, where booting a grading alone has taken minutes; how fast grading is belongs to
 * `npm run bench`, never to a test's limit.
 */
export const WHOLE_GRADING_LIMIT_MS = 600_000;
/** The same for a wait inside such a test (a process of the grading appearing, say). */
export const GRADING_STEP_LIMIT_MS = 300_000;
