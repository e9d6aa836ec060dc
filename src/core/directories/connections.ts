// Directory connections (issue 16 item 3, ADR 0043): SCIM-only connections for tenants whose IdP provisions users
// but does not sign them in through Roster (an Okta-only customer). A SCIM token names one by its scheme.
import { newId } from '../../lib/ids.ts';
import { recordAudit } from '../audit/audit.ts';
import { DomainError, invalid } from '../errors.ts';
import { newEvent } from '../events/records.ts';
import type { CoreDeps, Repositories } from '../ports.ts';
import { DIRECTORY_TYPES, type DirectoryConnectionRecord, type DirectoryType } from './records.ts';
import { assertSchemeFree } from './schemes.ts';

export interface CreateDirectoryInput {
  readonly scheme: string;
  readonly displayName: string;
  readonly type: DirectoryType;
}

// The same rule as SSO provider schemes: both are names in one namespace and appear in URLs and token links.
const SCHEME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

function checkDisplayName(displayName: string): string {
  const trimmed = displayName.trim();
  if (trimmed.length === 0) throw invalid('displayName', 'must not be empty');
  if (trimmed.length > 200) throw invalid('displayName', 'must be at most 200 characters');
  return trimmed;
}

const notFound = (ref: string) =>
  new DomainError('directories.not_found', `no directory connection with id or scheme "${ref}"`);

/** What directory events carry: the connection as it is (it holds no secret). */
const eventData = (r: DirectoryConnectionRecord) => ({
  id: r.id,
  scheme: r.scheme,
  displayName: r.displayName,
  type: r.type,
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
});

export async function createDirectoryConnection(
  deps: CoreDeps,
  actor: string,
  tenantId: string,
  input: CreateDirectoryInput,
): Promise<DirectoryConnectionRecord> {
  if (!SCHEME.test(input.scheme)) {
    throw invalid('scheme', 'must be 1-63 characters of letters, digits, "-" and "_", starting with a letter or digit');
  }
  if (!DIRECTORY_TYPES.includes(input.type)) throw invalid('type', `must be one of ${DIRECTORY_TYPES.join(', ')}`);
  const now = deps.clock.now();
  const record: DirectoryConnectionRecord = {
    id: newId(),
    tenantId,
    scheme: input.scheme,
    displayName: checkDisplayName(input.displayName),
    type: input.type,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
  };
  await deps.store.transaction(async (tx) => {
    await assertSchemeFree(tx, tenantId, record.scheme);
    await tx.directoryConnections.insert(record);
    await tx.events.append([newEvent(newId(), now, tenantId, 'directory.created', eventData(record))]);
    await recordAudit(tx, now, {
      tenantId,
      actor,
      action: 'directory.created',
      target: record.scheme,
      data: { id: record.id, type: record.type },
    });
  });
  return record;
}

export function listDirectoryConnections(
  deps: CoreDeps,
  tenantId: string,
): Promise<readonly DirectoryConnectionRecord[]> {
  return deps.store.directoryConnections.list(tenantId);
}

/** `ref` is the connection's id or its scheme (ids are generated, so an id is tried first). */
async function find(repos: Repositories, tenantId: string, ref: string): Promise<DirectoryConnectionRecord> {
  const found =
    (await repos.directoryConnections.getById(tenantId, ref)) ?? (await repos.directoryConnections.get(tenantId, ref));
  if (!found) throw notFound(ref);
  return found;
}

export function getDirectoryConnection(
  deps: CoreDeps,
  tenantId: string,
  ref: string,
): Promise<DirectoryConnectionRecord> {
  return find(deps.store, tenantId, ref);
}

/** Only the display name changes: the scheme is what tokens name, and the type describes the IdP behind it. */
export async function renameDirectoryConnection(
  deps: CoreDeps,
  actor: string,
  tenantId: string,
  ref: string,
  displayName: string,
): Promise<DirectoryConnectionRecord> {
  const name = checkDisplayName(displayName);
  const now = deps.clock.now();
  return deps.store.transaction(async (tx) => {
    const current = await find(tx, tenantId, ref);
    const record = { ...current, displayName: name, updatedAt: now.toISOString() };
    await tx.directoryConnections.update(record);
    await tx.events.append([newEvent(newId(), now, tenantId, 'directory.updated', eventData(record))]);
    await recordAudit(tx, now, {
      tenantId,
      actor,
      action: 'directory.updated',
      target: record.scheme,
      data: { id: record.id, displayName: name },
    });
    return record;
  });
}

/**
 * Refused (409) while SCIM tokens still name the connection, as for SSO providers (ADR 0004): deleting it must not
 * silently stop a live provisioning job. The users it provisioned stay either way. Under the scheme lock, so a
 * token created concurrently is either counted here or refused for want of its connection.
 */
export async function deleteDirectoryConnection(
  deps: CoreDeps,
  actor: string,
  tenantId: string,
  ref: string,
): Promise<void> {
  const now = deps.clock.now();
  await deps.store.transaction(async (tx) => {
    await tx.directoryConnections.lockSchemes(tenantId);
    const record = await find(tx, tenantId, ref);
    const tokens = await tx.scimTokens.countForProvider(tenantId, record.scheme);
    if (tokens > 0) {
      throw new DomainError(
        'directories.has_scim_tokens',
        `directory connection "${record.scheme}" still has ${tokens} SCIM token(s); revoke them first (DELETE /iam/v1/scim/{id})`,
      );
    }
    await tx.directoryConnections.delete(tenantId, record.scheme);
    await tx.events.append([
      newEvent(newId(), now, tenantId, 'directory.deleted', { id: record.id, scheme: record.scheme }),
    ]);
    await recordAudit(tx, now, {
      tenantId,
      actor,
      action: 'directory.deleted',
      target: record.scheme,
      data: { id: record.id },
    });
  });
}
