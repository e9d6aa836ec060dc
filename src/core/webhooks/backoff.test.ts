import { describe, expect, it } from 'vitest';
import { FIRST_RETRY_MS, MAX_RETRY_MS, retryDelayMs } from './backoff.ts';

describe('retryDelayMs', () => {
  it.each([
    [1, FIRST_RETRY_MS],
    [2, 2 * FIRST_RETRY_MS],
    [5, 16 * FIRST_RETRY_MS],
    [11, MAX_RETRY_MS],
    [500, MAX_RETRY_MS],
  ])('after %i failures the delay is at most %i ms (the ceiling at random → 1)', (failures, ceiling) => {
    expect(retryDelayMs(failures, () => 0.999_999_9)).toBe(ceiling - 1);
    expect(retryDelayMs(failures, () => 0.5)).toBe(Math.floor(ceiling / 2));
  });

  it('never retries sooner than a second, whatever the jitter draws', () => {
    expect(retryDelayMs(1, () => 0)).toBe(1_000);
  });
});
