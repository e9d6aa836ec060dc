// What domain verification needs from outside the core: the store's domain rows and tenant settings, and DNS.
import type { DomainPolicy, DomainRecord } from './records.ts';

export interface DomainRepository {
  /** Throws DomainError `domains.exists` when the tenant already claims the domain. */
  insert(domain: DomainRecord): Promise<void>;
  get(tenantId: string, id: string): Promise<DomainRecord | undefined>;
  list(tenantId: string): Promise<readonly DomainRecord[]>;
  delete(tenantId: string, id: string): Promise<boolean>;
  /**
   * Writes the status fields of the tenant's row. Throws DomainError `domains.taken` when the row would become a
   * second verified row for its domain (the partial unique index decides, so a race has exactly one winner).
   * With `heldLease`, writes only while the row still carries that lease (a re-check's result must not overwrite
   * an admin's verify or delete that came in meanwhile); answers whether it wrote.
   */
  update(domain: DomainRecord, heldLease?: string): Promise<boolean>;
  /** The tenant that holds `domain` verified, if any. */
  verifiedOwner(domain: string): Promise<string | undefined>;
  /** The tenant's verified domains. */
  verifiedOf(tenantId: string): Promise<readonly string[]>;
  /** Verified domains whose re-check is due at `at` and that no process holds; at most `limit`. */
  due(at: string, limit: number): Promise<readonly DomainRecord[]>;
  /** Takes the re-check lease if the row is still verified, due and free: exactly one process gets `true`. */
  claim(id: string, at: string, until: string): Promise<boolean>;
}

export interface SettingsRepository {
  domainPolicy(tenantId: string): Promise<DomainPolicy | undefined>;
  putDomainPolicy(tenantId: string, policy: DomainPolicy, at: string): Promise<void>;
}

/** A TXT lookup's answer: each record's strings joined (RFC 7208 §3.3 style), none, or a resolver failure. */
export type TxtAnswer =
  | { readonly kind: 'records'; readonly values: readonly string[] }
  | { readonly kind: 'none' }
  | { readonly kind: 'error'; readonly code: string };

export type TxtLookup = (name: string) => Promise<TxtAnswer>;
