// The tenant's audit trail: who did what to which object, never with a secret in it.
import { newId } from '../../lib/ids.ts';
import { DomainError } from '../errors.ts';
import type { CoreDeps, Repositories } from '../ports.ts';
import type { AuditEventRecord } from '../records.ts';

export interface AuditEntry {
  readonly tenantId: string;
  readonly actor: string;
  readonly action: string;
  readonly target?: string | null;
  readonly data?: Readonly<Record<string, unknown>>;
}

export async function recordAudit(tx: Pick<Repositories, 'audit'>, at: Date, entry: AuditEntry): Promise<void> {
  await tx.audit.append({
    id: newId(),
    tenantId: entry.tenantId,
    at: at.toISOString(),
    actor: entry.actor,
    action: entry.action,
    target: entry.target ?? null,
    data: entry.data ?? {},
  });
}

export async function listAudit(
  deps: CoreDeps,
  tenantId: string,
  options: { limit: number; before?: string | undefined },
): Promise<{ items: readonly AuditEventRecord[]; nextCursor: string | null }> {
  if (options.before !== undefined && !/^[0-9a-f-]{36}$/.test(options.before)) {
    throw new DomainError('audit.cursor_invalid', 'before must be an event id from a previous page');
  }
  const items = await deps.store.audit.list(tenantId, { limit: options.limit + 1, before: options.before });
  const page = items.slice(0, options.limit);
  const last = page.at(-1);
  return { items: page, nextCursor: items.length > options.limit && last ? last.id : null };
}
