// Vendor-wide apps (issue 13 item 6, ADR 0044): the operator registers an app once and every tenant's issuer knows
// it. Same body, validation and secret handling as a tenant's apps (clients.ts); the operator's changes go to the
// operator audit trail, since the app belongs to no tenant.

import { newId } from '../../lib/ids.ts';
import { encryptSecret } from '../../lib/keyring.ts';
import { DomainError, invalid } from '../errors.ts';
import { type ClientDeps, type ClientInput, clientTypeOf, metadataOf, newSecret } from './clients.ts';
import type { OperatorAuditRecord, OperatorClientRecord, SigninRepositories } from './ports.ts';

export type OperatorClientDeps = Pick<ClientDeps, 'signin' | 'keyring' | 'clock'>;

export interface OperatorClientView {
  readonly record: OperatorClientRecord;
  /** Only when just created or rotated: the secret is never shown again. */
  readonly secret?: string;
}

/** Distinct from a tenant app's context (clientSecretContext): neither secret decrypts in the other's place. */
export function operatorClientSecretContext(clientId: string): string {
  return `oidc-operator-client-secret:${clientId}`;
}

const notFound = () => new DomainError('client.not_found', 'no such application');

async function audit(
  tx: Pick<SigninRepositories, 'operatorAudit'>,
  deps: OperatorClientDeps,
  actor: string,
  action: string,
  target: string,
  data: Record<string, unknown> = {},
): Promise<void> {
  await tx.operatorAudit.append({ id: newId(), at: deps.clock.now().toISOString(), actor, action, target, data });
}

export async function createOperatorClient(
  deps: OperatorClientDeps,
  actor: string,
  input: ClientInput,
): Promise<OperatorClientView> {
  const metadata = metadataOf(input);
  const clientId = newId();
  const secret = input.type === 'confidential' ? newSecret() : undefined;
  const now = deps.clock.now().toISOString();
  const record: OperatorClientRecord = {
    clientId,
    metadata,
    secretSealed: secret ? encryptSecret(deps.keyring, secret, operatorClientSecretContext(clientId)) : null,
    createdAt: now,
    updatedAt: now,
  };
  await deps.signin.transaction(async (tx) => {
    await tx.operatorClients.insert(record);
    await audit(tx, deps, actor, 'operator_client.created', clientId, {
      client_name: metadata.client_name,
      type: input.type,
    });
  });
  return secret ? { record, secret } : { record };
}

export async function getOperatorClient(deps: OperatorClientDeps, clientId: string): Promise<OperatorClientRecord> {
  const record = await deps.signin.operatorClients.get(clientId);
  if (!record) throw notFound();
  return record;
}

export function listOperatorClients(deps: OperatorClientDeps): Promise<readonly OperatorClientRecord[]> {
  return deps.signin.operatorClients.list();
}

/** Replaces the registration; the type (confidential or public) is fixed at creation, and the secret is kept. */
export async function updateOperatorClient(
  deps: OperatorClientDeps,
  actor: string,
  clientId: string,
  input: ClientInput,
): Promise<OperatorClientRecord> {
  const current = await getOperatorClient(deps, clientId);
  if (input.type !== clientTypeOf(current)) throw invalid('type', 'cannot change; register a new application');
  const record = { ...current, metadata: metadataOf(input), updatedAt: deps.clock.now().toISOString() };
  await deps.signin.transaction(async (tx) => {
    if (!(await tx.operatorClients.update(record))) throw notFound();
    await audit(tx, deps, actor, 'operator_client.updated', clientId);
  });
  return record;
}

export async function rotateOperatorClientSecret(
  deps: OperatorClientDeps,
  actor: string,
  clientId: string,
): Promise<OperatorClientView> {
  const current = await getOperatorClient(deps, clientId);
  if (clientTypeOf(current) === 'public') throw invalid('type', 'public applications have no secret');
  const secret = newSecret();
  const record = {
    ...current,
    secretSealed: encryptSecret(deps.keyring, secret, operatorClientSecretContext(clientId)),
    updatedAt: deps.clock.now().toISOString(),
  };
  await deps.signin.transaction(async (tx) => {
    if (!(await tx.operatorClients.update(record))) throw notFound();
    await audit(tx, deps, actor, 'operator_client.secret_rotated', clientId);
  });
  return { record, secret };
}

/**
 * Deleting a vendor-wide app ends its sign-ins in every tenant at once: each tenant's OP looks the client up on
 * every request, so its codes, refresh tokens and access tokens fail from the next one.
 */
export async function deleteOperatorClient(deps: OperatorClientDeps, actor: string, clientId: string): Promise<void> {
  await deps.signin.transaction(async (tx) => {
    if (!(await tx.operatorClients.delete(clientId))) throw notFound();
    await audit(tx, deps, actor, 'operator_client.deleted', clientId);
  });
}

/** The operator's audit trail (vendor-wide apps), newest first, paged as the tenant's is (audit.ts). */
export async function listOperatorAudit(
  deps: OperatorClientDeps,
  options: { limit: number; before?: string | undefined },
): Promise<{ items: readonly OperatorAuditRecord[]; nextCursor: string | null }> {
  if (options.before !== undefined && !/^[0-9a-f-]{36}$/.test(options.before)) {
    throw new DomainError('audit.cursor_invalid', 'before must be an event id from a previous page');
  }
  const items = await deps.signin.operatorAudit.list({ limit: options.limit + 1, before: options.before });
  const page = items.slice(0, options.limit);
  const last = page.at(-1);
  return { items: page, nextCursor: items.length > options.limit && last ? last.id : null };
}
