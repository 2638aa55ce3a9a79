import pRetry from 'p-retry';

/** Resolves true once `condition` holds (checked every `everyMs`), false once `ms` have passed without it. */
export async function waitUntil(condition: () => boolean, ms: number, everyMs = 20): Promise<boolean> {
  try {
    await pRetry(
      () => {
        if (!condition()) throw new Error('not yet');
      },
      { retries: Number.POSITIVE_INFINITY, factor: 1, minTimeout: everyMs, maxTimeout: everyMs, maxRetryTime: ms },
    );
    return true;
  } catch {
    return condition();
  }
}
