// What the directory connection use cases need from the store.
import type { DirectoryConnectionRecord } from './records.ts';

export interface DirectoryConnectionRepository {
  insert(record: DirectoryConnectionRecord): Promise<void>;
  get(tenantId: string, scheme: string): Promise<DirectoryConnectionRecord | undefined>;
  getById(tenantId: string, id: string): Promise<DirectoryConnectionRecord | undefined>;
  list(tenantId: string): Promise<readonly DirectoryConnectionRecord[]>;
  update(record: DirectoryConnectionRecord): Promise<void>;
  delete(tenantId: string, scheme: string): Promise<boolean>;
  /**
   * Takes the tenant's scheme lock until the transaction ends, so that claiming a scheme, linking a token to it and
   * removing it are serialized per tenant. PostgreSQL: the tenant row FOR NO KEY UPDATE (inserts that reference the
   * tenant are not blocked); SQLite: nothing to do, a write transaction already holds the only writer lock.
   */
  lockSchemes(tenantId: string): Promise<void>;
}
