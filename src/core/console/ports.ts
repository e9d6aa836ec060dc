// What console sessions need from the store: rows looked up by the session's public id, every change tenant-named.
import type { Digest } from '../../lib/keyring.ts';

export interface ConsoleSessionRecord {
  readonly id: string;
  readonly tenantId: string;
  readonly secret: Digest;
  /** The synchronizer token every state-changing form of this session carries. */
  readonly csrf: string;
  /** Who acts through this session, as the audit log names it (e.g. `admin:<token id>`, `setup_link:<link id>`). */
  readonly actor: string;
  readonly createdAt: string;
  readonly lastSeenAt: string;
}

export interface ConsoleSessionRepository {
  insert(session: ConsoleSessionRecord): Promise<void>;
  /** Lookup by the session's own id: the tenant is learnt from the row, never from the request. */
  get(id: string): Promise<ConsoleSessionRecord | undefined>;
  touch(id: string, at: string): Promise<void>;
  delete(id: string): Promise<boolean>;
}
