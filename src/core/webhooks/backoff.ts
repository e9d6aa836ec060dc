// When a failing endpoint is tried again: exponential backoff with full jitter (AWS architecture blog's "full
// jitter"), so many endpoints that failed together do not come back together.

export const FIRST_RETRY_MS = 5_000;
export const MAX_RETRY_MS = 3_600_000;
const MIN_RETRY_MS = 1_000;

/** The delay before attempt `failures + 1`, after `failures` consecutive failures (≥ 1). */
export function retryDelayMs(failures: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.min(Math.max(failures - 1, 0), 20));
  return Math.max(MIN_RETRY_MS, Math.floor(random() * ceiling));
}
