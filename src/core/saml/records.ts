// SAML identity providers (ADR 0038): what an admin configures, what Roster learnt from the IdP's metadata, and the
// store ports for providers and the replay cache of assertion ids.

/** Which assertion values become the person's keys and profile (attribute names as the IdP sends them). */
export interface SamlAttributeMapping {
  /** The stable key (SCIM externalId); absent: the NameID. */
  readonly externalId?: string | undefined;
  /** SCIM userName on first sign-in; absent: the NameID. */
  readonly userName?: string | undefined;
  readonly givenName?: string | undefined;
  readonly familyName?: string | undefined;
  readonly displayName?: string | undefined;
  /** Copied onto a just-in-time subject only; never used to find or link anyone. */
  readonly email?: string | undefined;
}

export interface SamlProperties {
  readonly loginEnabled: boolean;
  readonly visible: boolean;
  readonly autoProvisioningEnabled: boolean;
  /** Where the metadata was fetched from; null when it was given inline (metadataXml). */
  readonly metadataUrl: string | null;
  /** The NameID format asked for in the AuthnRequest. */
  readonly nameIdFormat: string;
  readonly attributeMapping: SamlAttributeMapping;
}

/** What the IdP's metadata says: who it is, where to send people, and the certificates its signatures verify with. */
export interface SamlIdpDescriptor {
  readonly entityId: string;
  /** SingleSignOnService with the HTTP-Redirect binding. */
  readonly ssoUrl: string;
  /** Base64 DER X.509 certificates (use="signing" or no use). */
  readonly certificates: readonly string[];
}

export interface SamlProviderRecord {
  readonly id: string;
  readonly tenantId: string;
  readonly scheme: string;
  readonly displayName: string;
  readonly enabled: boolean;
  readonly type: 'saml';
  readonly properties: SamlProperties;
  readonly idp: SamlIdpDescriptor;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface SamlProviderRepository {
  insert(record: SamlProviderRecord): Promise<void>;
  get(tenantId: string, scheme: string): Promise<SamlProviderRecord | undefined>;
  list(tenantId: string): Promise<readonly SamlProviderRecord[]>;
  update(record: SamlProviderRecord): Promise<void>;
  delete(tenantId: string, scheme: string): Promise<boolean>;
}

export interface SamlAssertionRepository {
  /** Records an accepted assertion id; false when it is already recorded (a replay), in this process or another. */
  remember(tenantId: string, providerId: string, assertionId: string, expiresAt: number): Promise<boolean>;
  /** Forgets ids whose assertions expired before `now` (epoch seconds). */
  purgeExpired(now: number): Promise<number>;
}
