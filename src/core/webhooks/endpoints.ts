// Webhook endpoints as the admin API manages them: a tenant's (its events) or the operator's (every tenant's).
// The secret is shown once, at creation or rotation, and stored sealed with the keyring.

import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import type { Keyring } from '../../lib/keyring.ts';
import { recordAudit } from '../audit/audit.ts';
import { DomainError, invalid } from '../errors.ts';
import { EVENT_TYPES, type EventType } from '../events/records.ts';
import type { Repositories } from '../ports.ts';
import type { WebhookStore, WebhookUrlCheck } from './ports.ts';
import type { DeliveryWithAttempts, WebhookOwner, WebhookRecord } from './records.ts';
import { newWebhookSecret, sealWebhookSecret } from './signing.ts';

export interface WebhookAdminDeps {
  readonly webhooks: WebhookStore;
  readonly keyring: Keyring;
  readonly clock: Clock;
  readonly checkWebhookUrl: WebhookUrlCheck;
}

export interface WebhookInput {
  readonly url?: string | undefined;
  readonly eventTypes?: readonly string[] | null | undefined;
  readonly description?: string | null | undefined;
  readonly enabled?: boolean | undefined;
}

/** How long the secret before a rotation keeps signing beside the new one. */
export const PREVIOUS_SECRET_MS = 24 * 3_600_000;
const MAX_URL = 2048;
const MAX_DESCRIPTION = 500;

function checkUrl(deps: WebhookAdminDeps, url: string): string {
  if (url.length > MAX_URL) throw invalid('url', `must be at most ${MAX_URL} characters`);
  const verdict = deps.checkWebhookUrl(url);
  if (!verdict.ok) {
    throw new DomainError('webhooks.url_refused', `url: ${verdict.reason}`, [
      { field: 'url', message: `${verdict.code}: ${verdict.reason}` },
    ]);
  }
  return url;
}

function checkEventTypes(types: readonly string[] | null | undefined): readonly EventType[] | null {
  if (types === undefined || types === null) return null;
  if (types.length === 0) throw invalid('eventTypes', 'must name at least one event type, or be left out for all');
  const known = EVENT_TYPES as readonly string[];
  const unknown = types.find((t) => !known.includes(t));
  if (unknown !== undefined) throw invalid('eventTypes', `unknown event type "${unknown.slice(0, 64)}"`);
  return [...new Set(types)] as EventType[];
}

function checkDescription(text: string | null | undefined): string | null {
  if (text === undefined || text === null) return null;
  if (text.length > MAX_DESCRIPTION) throw invalid('description', `must be at most ${MAX_DESCRIPTION} characters`);
  return text;
}

function notFound(id: string): DomainError {
  return new DomainError('webhooks.not_found', `no webhook with id "${id.slice(0, 64)}"`);
}

/** An audit entry for a tenant's endpoint; the operator's endpoints have no tenant trail (ADR 0020). */
function audit(
  deps: WebhookAdminDeps,
  actor: string,
  owner: WebhookOwner,
  action: string,
  hook: WebhookRecord | string,
) {
  const target = typeof hook === 'string' ? hook : hook.id;
  const data = typeof hook === 'string' ? {} : { url: hook.url, eventTypes: hook.eventTypes, enabled: hook.enabled };
  return async (tx: Repositories) => {
    if (owner === null) return;
    await recordAudit(tx, deps.clock.now(), { tenantId: owner, actor, action, target, data });
  };
}

export async function createWebhook(
  deps: WebhookAdminDeps,
  actor: string,
  owner: WebhookOwner,
  input: WebhookInput,
): Promise<{ record: WebhookRecord; secret: string }> {
  if (typeof input.url !== 'string') throw invalid('url', 'is required');
  const url = checkUrl(deps, input.url);
  const eventTypes = checkEventTypes(input.eventTypes);
  const description = checkDescription(input.description);
  const id = `wh_${newId()}`;
  const secret = newWebhookSecret();
  const now = deps.clock.now().toISOString();
  const draft: Omit<WebhookRecord, 'start'> = {
    id,
    tenantId: owner,
    url,
    description,
    eventTypes,
    enabled: input.enabled ?? true,
    secretSealed: sealWebhookSecret(deps.keyring, id, secret),
    previousSecretSealed: null,
    previousSecretUntil: null,
    createdAt: now,
    updatedAt: now,
    nextAttemptAt: null,
    failingSince: null,
    disabledAt: null,
    disabledReason: null,
  };
  const record = await deps.webhooks.create(
    draft,
    audit(deps, actor, owner, 'webhook.created', { ...draft, start: { xid: '0', seq: '0' } }),
  );
  return { record, secret };
}

export async function getWebhook(deps: WebhookAdminDeps, owner: WebhookOwner, id: string): Promise<WebhookRecord> {
  const record = await deps.webhooks.get(owner, id);
  if (!record) throw notFound(id);
  return record;
}

export function listWebhooks(deps: WebhookAdminDeps, owner: WebhookOwner): Promise<readonly WebhookRecord[]> {
  return deps.webhooks.list(owner);
}

/** PATCH: the fields given replace the stored ones; `eventTypes: null` means every type; `enabled: true` resumes. */
export async function updateWebhook(
  deps: WebhookAdminDeps,
  actor: string,
  owner: WebhookOwner,
  id: string,
  input: WebhookInput,
): Promise<WebhookRecord> {
  const current = await getWebhook(deps, owner, id);
  const next = {
    url: input.url === undefined ? current.url : checkUrl(deps, input.url),
    description: input.description === undefined ? current.description : checkDescription(input.description),
    eventTypes: input.eventTypes === undefined ? current.eventTypes : checkEventTypes(input.eventTypes),
    enabled: input.enabled ?? current.enabled,
    secretSealed: current.secretSealed,
    previousSecretSealed: current.previousSecretSealed,
    previousSecretUntil: current.previousSecretUntil,
    updatedAt: deps.clock.now().toISOString(),
  };
  await deps.webhooks.update(owner, id, next, audit(deps, actor, owner, 'webhook.updated', { ...current, ...next }));
  return getWebhook(deps, owner, id);
}

export async function deleteWebhook(deps: WebhookAdminDeps, actor: string, owner: WebhookOwner, id: string) {
  if (!(await deps.webhooks.delete(owner, id, audit(deps, actor, owner, 'webhook.deleted', id)))) throw notFound(id);
}

/** A new secret; the current one keeps signing beside it for 24 hours (an earlier previous one is dropped). */
export async function rotateWebhookSecret(
  deps: WebhookAdminDeps,
  actor: string,
  owner: WebhookOwner,
  id: string,
): Promise<{ secret: string; previousSecretExpiresAt: string }> {
  const current = await getWebhook(deps, owner, id);
  const secret = newWebhookSecret();
  const now = deps.clock.now();
  const until = new Date(now.getTime() + PREVIOUS_SECRET_MS).toISOString();
  await deps.webhooks.update(
    owner,
    id,
    {
      url: current.url,
      description: current.description,
      eventTypes: current.eventTypes,
      enabled: current.enabled,
      secretSealed: sealWebhookSecret(deps.keyring, id, secret),
      previousSecretSealed: current.secretSealed,
      previousSecretUntil: until,
      updatedAt: now.toISOString(),
    },
    audit(deps, actor, owner, 'webhook.secret_rotated', id),
  );
  return { secret, previousSecretExpiresAt: until };
}

const CURSOR = /^[0-9]{1,20}$/;

export async function listDeliveries(
  deps: WebhookAdminDeps,
  owner: WebhookOwner,
  id: string,
  request: { readonly cursor: string | undefined; readonly limit: number },
): Promise<{ items: readonly DeliveryWithAttempts[]; nextCursor: string | null }> {
  await getWebhook(deps, owner, id);
  if (request.cursor !== undefined && !CURSOR.test(request.cursor)) {
    throw new DomainError('webhooks.cursor_invalid', 'cursor is not one a previous page returned');
  }
  if (!Number.isInteger(request.limit) || request.limit < 1 || request.limit > 100) {
    throw invalid('limit', 'must be an integer from 1 to 100');
  }
  const rows = await deps.webhooks.deliveries(id, { limit: request.limit + 1, before: request.cursor });
  const page = rows.slice(0, request.limit);
  return {
    items: page.map(({ seq: _seq, ...d }) => d),
    nextCursor: rows.length > request.limit ? page[page.length - 1]!.seq : null,
  };
}

/** Sends the delivery's event again, as a new delivery at the end of the endpoint's queue. */
export async function retryDelivery(
  deps: WebhookAdminDeps,
  owner: WebhookOwner,
  id: string,
  deliveryId: string,
): Promise<DeliveryWithAttempts> {
  await getWebhook(deps, owner, id);
  const copy = await deps.webhooks.requeue(id, deliveryId, `wdl_${newId()}`, deps.clock.now().toISOString());
  if (!copy)
    throw new DomainError('webhooks.delivery_not_found', `no delivery "${deliveryId.slice(0, 64)}" for this webhook`);
  return copy;
}
