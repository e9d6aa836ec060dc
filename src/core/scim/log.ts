// The provisioning log: every SCIM request of a tenant, what happened, and what changed — by name, never by value.
import { newId } from '../../lib/ids.ts';
import type { ScimCaller, ScimDeps } from './context.ts';
import type { ScimLogEntry, ScimLogQuery } from './records.ts';

export interface ScimRequestRecord {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly durationMs: number;
  readonly draft: {
    readonly operation: string;
    readonly resourceType?: string | undefined;
    readonly resourceId?: string | undefined;
    readonly summary: Readonly<Record<string, unknown>>;
  };
}

/** Keys a summary may carry; anything else (a value someone added by mistake, a password) is dropped. */
const SUMMARY_KEYS = new Set([
  'userName',
  'displayName',
  'changedAttributes',
  'results',
  'totalResults',
  'error',
  'scimType',
  'operations',
]);

function redactSummary(summary: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(summary)) {
    if (!SUMMARY_KEYS.has(key)) continue;
    out[key] = typeof value === 'string' ? value.slice(0, 300) : value;
  }
  return out;
}

export async function recordScimRequest(deps: ScimDeps, caller: ScimCaller, record: ScimRequestRecord): Promise<void> {
  const { draft } = record;
  await deps.scim.scimLog.append({
    id: newId(),
    tenantId: caller.tenantId,
    at: deps.clock.now().toISOString(),
    tokenId: caller.tokenId,
    method: record.method,
    path: record.path.slice(0, 300),
    operation: draft.operation,
    resourceType: draft.resourceType ?? null,
    resourceId: draft.resourceId?.slice(0, 128) ?? null,
    status: record.status,
    scimType: typeof draft.summary.scimType === 'string' ? draft.summary.scimType : null,
    durationMs: record.durationMs,
    summary: redactSummary(draft.summary),
  });
}

export async function listScimLog(
  deps: ScimDeps,
  tenantId: string,
  query: ScimLogQuery,
): Promise<{ items: readonly ScimLogEntry[]; nextCursor: string | null }> {
  const items = await deps.scim.scimLog.list(tenantId, { ...query, limit: query.limit + 1 });
  const page = items.slice(0, query.limit);
  return { items: page, nextCursor: items.length > query.limit ? (page.at(-1)?.id ?? null) : null };
}

/** Deletes entries older than the retention period; run periodically by the app. */
export function purgeScimLog(deps: ScimDeps, retentionDays: number): Promise<number> {
  const cutoff = new Date(deps.clock.now().getTime() - retentionDays * 86_400_000).toISOString();
  return deps.scim.scimLog.purgeBefore(cutoff);
}
