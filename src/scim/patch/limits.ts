// PATCH request limits (security-test-plan M8): one request cannot hold a transaction or the store for long.

export interface PatchLimits {
  /** Operations in one PATCH request (over the limit → 400 invalidValue). */
  readonly maxOperations: number;
  /** Group member values named in one request, over all operations (over the limit → 400 invalidValue). */
  readonly maxMemberValues: number;
}

export const PATCH_LIMITS: PatchLimits = Object.freeze({ maxOperations: 100, maxMemberValues: 1000 });
