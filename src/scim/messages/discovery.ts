// Protocol messages: ListResponse (RFC 7644 §3.4.2), ServiceProviderConfig, Schemas and ResourceTypes (§4).
import type { AttributeDefinition, SchemaRegistry } from '../schema/types.ts';
import { URN } from '../schema/urns.ts';

export interface ListPage {
  readonly totalResults: number;
  readonly itemsPerPage: number;
  readonly startIndex?: number;
  readonly nextCursor?: string;
  readonly previousCursor?: string;
}

export function listResponse(resources: readonly unknown[], page: ListPage): Record<string, unknown> {
  return {
    schemas: [URN.listResponse],
    totalResults: page.totalResults,
    itemsPerPage: page.itemsPerPage,
    ...(page.startIndex !== undefined ? { startIndex: page.startIndex } : {}),
    ...(page.nextCursor !== undefined ? { nextCursor: page.nextCursor } : {}),
    ...(page.previousCursor !== undefined ? { previousCursor: page.previousCursor } : {}),
    Resources: resources,
  };
}

export interface ServiceProviderOptions {
  readonly baseUrl: string;
  readonly documentationUri: string;
  readonly patch: boolean;
  readonly bulk: { readonly maxOperations: number; readonly maxPayloadSize: number };
  readonly filter: { readonly maxResults: number };
  readonly sort: boolean;
  readonly etag: boolean;
  readonly changePassword: boolean;
  readonly pagination: {
    readonly cursor: boolean;
    readonly index: boolean;
    readonly defaultPaginationMethod: 'cursor' | 'index';
    readonly defaultPageSize: number;
    readonly maxPageSize: number;
    readonly cursorTimeout: number;
  };
}

export function serviceProviderConfig(o: ServiceProviderOptions): Record<string, unknown> {
  return {
    schemas: [URN.serviceProviderConfig],
    documentationUri: o.documentationUri,
    patch: { supported: o.patch },
    bulk: { supported: true, maxOperations: o.bulk.maxOperations, maxPayloadSize: o.bulk.maxPayloadSize },
    filter: { supported: true, maxResults: o.filter.maxResults },
    changePassword: { supported: o.changePassword },
    sort: { supported: o.sort },
    etag: { supported: o.etag },
    // RFC 9865 §4: the pagination methods this server offers.
    pagination: { ...o.pagination },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'OAuth Bearer Token',
        description: 'A SCIM token issued by the tenant admin (POST /iam/v1/scim), sent as Authorization: Bearer.',
        specUri: 'https://www.rfc-editor.org/info/rfc6750',
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${o.baseUrl}/ServiceProviderConfig` },
  };
}

function describe(def: AttributeDefinition): Record<string, unknown> {
  return {
    name: def.name,
    type: def.type,
    multiValued: def.multiValued,
    description: def.description,
    required: def.required,
    ...(def.type === 'string' || def.type === 'reference' || def.type === 'binary' ? { caseExact: def.caseExact } : {}),
    ...(def.canonicalValues ? { canonicalValues: [...def.canonicalValues] } : {}),
    ...(def.referenceTypes ? { referenceTypes: [...def.referenceTypes] } : {}),
    mutability: def.mutability,
    returned: def.returned,
    uniqueness: def.uniqueness,
    ...(def.subAttributes ? { subAttributes: def.subAttributes.map(describe) } : {}),
  };
}

export interface SchemaRepresentation {
  readonly id: string;
  readonly [key: string]: unknown;
}

/** Every schema the server uses, in the RFC 7643 §7 representation. */
export function schemasDocument(registry: SchemaRegistry, baseUrl: string): SchemaRepresentation[] {
  return registry.schemas.map((s) => ({
    schemas: [URN.schema],
    id: s.id,
    name: s.name,
    description: s.description,
    attributes: s.attributes.map(describe),
    meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${s.id}` },
  }));
}

export function resourceTypesDocument(registry: SchemaRegistry, baseUrl: string): SchemaRepresentation[] {
  return registry.resourceTypes.map((t) => ({
    schemas: [URN.resourceType],
    id: t.id,
    name: t.name,
    endpoint: t.endpoint,
    description: t.description,
    schema: t.schema,
    schemaExtensions: t.schemaExtensions.map((e) => ({ schema: e.schema, required: e.required })),
    meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/${t.id}` },
  }));
}
