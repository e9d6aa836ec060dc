// SAML identity providers (ADR 0038): create, read, change and delete, beside the OIDC ones and in the same scheme
// namespace. The IdP's metadata is read at create and whenever a change names it again, never at sign-in time.
import { newId } from '../../lib/ids.ts';
import { recordAudit } from '../audit/audit.ts';
import { DomainError, invalid } from '../errors.ts';
import { newEvent } from '../events/records.ts';
import type { CoreDeps } from '../ports.ts';
import { deleteProviderOf, insertProviderOf } from '../sso/providers.ts';
import type { SamlAttributeMapping, SamlIdpDescriptor, SamlProperties, SamlProviderRecord } from './records.ts';

export interface SamlProviderInput {
  readonly scheme: string;
  readonly displayName: string;
  readonly enabled: boolean;
  readonly type?: 'saml' | undefined;
  readonly properties: {
    readonly metadataUrl?: string | undefined;
    readonly metadataXml?: string | undefined;
    readonly loginEnabled: boolean;
    readonly visible: boolean;
    readonly autoProvisioningEnabled: boolean;
    readonly nameIdFormat?: string | undefined;
    readonly attributeMapping?: SamlAttributeMapping | undefined;
  };
}

/** A PATCH body: any subset; naming metadataUrl or metadataXml reads the metadata again. */
export type SamlProviderPatch = Partial<Omit<SamlProviderInput, 'properties'>> & {
  readonly properties?: Partial<SamlProviderInput['properties']> | undefined;
};

/** Reads IdP metadata: fetched through the outbound SSRF policy, parsed with DTDs refused (src/oidc/saml). */
export interface SamlMetadataReader {
  /** Throws DomainError validation.failed naming the field when the URL is refused or does not answer. */
  fetch(url: string): Promise<string>;
  /** Throws DomainError validation.failed when the document is not usable IdP metadata. */
  parse(xml: string, field: string): SamlIdpDescriptor;
}

export interface SamlProviderDeps extends CoreDeps {
  readonly samlMetadata: SamlMetadataReader;
}

const SCHEME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
export const DEFAULT_NAMEID_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified';
const NAMEID_FORMATS = new Set([
  DEFAULT_NAMEID_FORMAT,
  'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
  'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
]);
const MAPPING_KEYS = ['externalId', 'userName', 'givenName', 'familyName', 'displayName', 'email'] as const;
const MAX_METADATA_CHARS = 256 * 1024;

function checkMapping(mapping: SamlAttributeMapping | undefined): SamlAttributeMapping {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(mapping ?? {})) {
    if (!(MAPPING_KEYS as readonly string[]).includes(key)) {
      throw invalid(`properties.attributeMapping.${key}`, `unknown key; use ${MAPPING_KEYS.join(', ')}`);
    }
    if (typeof value !== 'string' || value.trim() === '' || value.length > 512) {
      throw invalid(`properties.attributeMapping.${key}`, 'must be an attribute name of 1-512 characters');
    }
    out[key] = value.trim();
  }
  return out;
}

function checkInput(input: SamlProviderInput): Omit<SamlProperties, 'metadataUrl'> {
  if (!SCHEME.test(input.scheme)) {
    throw invalid('scheme', 'must be 1-63 characters of letters, digits, "-" and "_", starting with a letter or digit');
  }
  if (input.displayName.trim().length === 0) throw invalid('displayName', 'must not be empty');
  const p = input.properties;
  const nameIdFormat = p.nameIdFormat ?? DEFAULT_NAMEID_FORMAT;
  // Transient NameIDs change at every sign-in: they cannot key a person (an attribute must, see attributeMapping).
  if (!NAMEID_FORMATS.has(nameIdFormat)) {
    throw invalid('properties.nameIdFormat', `must be one of ${[...NAMEID_FORMATS].join(', ')}`);
  }
  return {
    loginEnabled: p.loginEnabled,
    visible: p.visible,
    autoProvisioningEnabled: p.autoProvisioningEnabled,
    nameIdFormat,
    attributeMapping: checkMapping(p.attributeMapping),
  };
}

/** The metadata named by the input: exactly one of metadataUrl and metadataXml. */
async function readMetadata(
  deps: SamlProviderDeps,
  p: SamlProviderInput['properties'],
): Promise<{ idp: SamlIdpDescriptor; metadataUrl: string | null }> {
  if ((p.metadataUrl === undefined) === (p.metadataXml === undefined)) {
    throw invalid('properties', 'give exactly one of metadataUrl and metadataXml');
  }
  if (p.metadataXml !== undefined) {
    if (p.metadataXml.length > MAX_METADATA_CHARS) throw invalid('properties.metadataXml', 'is too large');
    return { idp: deps.samlMetadata.parse(p.metadataXml, 'properties.metadataXml'), metadataUrl: null };
  }
  const url = p.metadataUrl!;
  const xml = await deps.samlMetadata.fetch(url);
  return { idp: deps.samlMetadata.parse(xml, 'properties.metadataUrl'), metadataUrl: url };
}

/** What sso_provider events carry: identity and state, never metadata. */
function providerData(record: SamlProviderRecord): Record<string, unknown> {
  return {
    id: record.id,
    scheme: record.scheme,
    kind: 'saml',
    displayName: record.displayName,
    enabled: record.enabled,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

export async function createSamlProvider(
  deps: SamlProviderDeps,
  actor: string,
  tenantId: string,
  input: SamlProviderInput,
): Promise<SamlProviderRecord> {
  const checked = checkInput(input);
  const { idp, metadataUrl } = await readMetadata(deps, input.properties);
  const now = deps.clock.now().toISOString();
  const record: SamlProviderRecord = {
    id: newId(),
    tenantId,
    scheme: input.scheme,
    displayName: input.displayName.trim(),
    enabled: input.enabled,
    type: 'saml',
    properties: { ...checked, metadataUrl },
    idp,
    createdAt: now,
    updatedAt: now,
  };
  await insertProviderOf(deps, actor, record, (tx) => tx.samlProviders.insert(record), providerData(record), {
    type: 'saml',
    enabled: record.enabled,
    idpEntityId: idp.entityId,
  });
  return record;
}

export async function getSamlProvider(deps: CoreDeps, tenantId: string, scheme: string): Promise<SamlProviderRecord> {
  const record = await deps.store.samlProviders.get(tenantId, scheme);
  if (!record) throw new DomainError('sso.not_found', `no SAML provider with scheme "${scheme}"`);
  return record;
}

export function listSamlProviders(deps: CoreDeps, tenantId: string): Promise<readonly SamlProviderRecord[]> {
  return deps.store.samlProviders.list(tenantId);
}

/** JSON merge patch; the metadata is read again only when the patch names metadataUrl or metadataXml. */
export async function updateSamlProvider(
  deps: SamlProviderDeps,
  actor: string,
  tenantId: string,
  scheme: string,
  patch: SamlProviderPatch,
): Promise<SamlProviderRecord> {
  const current = await getSamlProvider(deps, tenantId, scheme);
  if (patch.scheme !== undefined && patch.scheme !== current.scheme) throw invalid('scheme', 'cannot be changed');
  const { metadataUrl: _url, ...kept } = current.properties;
  const merged: SamlProviderInput = {
    scheme: current.scheme,
    displayName: patch.displayName ?? current.displayName,
    enabled: patch.enabled ?? current.enabled,
    properties: { ...kept, ...patch.properties },
  };
  const checked = checkInput(merged);
  const rereads = patch.properties?.metadataUrl !== undefined || patch.properties?.metadataXml !== undefined;
  const metadata = rereads
    ? await readMetadata(deps, merged.properties)
    : { idp: current.idp, metadataUrl: current.properties.metadataUrl };
  return deps.store.transaction(async (tx) => {
    const stored = await tx.samlProviders.get(tenantId, scheme);
    if (!stored || stored.id !== current.id)
      throw new DomainError('sso.not_found', `no SAML provider with scheme "${scheme}"`);
    const record: SamlProviderRecord = {
      ...stored,
      displayName: merged.displayName.trim(),
      enabled: merged.enabled,
      properties: { ...checked, metadataUrl: metadata.metadataUrl },
      idp: metadata.idp,
      updatedAt: deps.clock.now().toISOString(),
    };
    await tx.samlProviders.update(record);
    await tx.events.append([
      newEvent(newId(), deps.clock.now(), tenantId, 'sso_provider.updated', providerData(record)),
    ]);
    await recordAudit(tx, deps.clock.now(), {
      tenantId,
      actor,
      action: 'sso_provider.updated',
      target: scheme,
      data: { type: 'saml', enabled: record.enabled, idpEntityId: record.idp.entityId, metadataRead: rereads },
    });
    return record;
  });
}

/** Refused while SCIM tokens still link to the provider, as for OIDC providers. */
export function deleteSamlProvider(deps: CoreDeps, actor: string, tenantId: string, scheme: string): Promise<void> {
  return deleteProviderOf(deps, actor, tenantId, scheme, (tx) => tx.samlProviders, 'SAML provider');
}
