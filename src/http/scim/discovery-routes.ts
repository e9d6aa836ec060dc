// Discovery (RFC 7644 §4): /ServiceProviderConfig, /ResourceTypes and /Schemas describe exactly what works here.
import type { FastifyInstance } from 'fastify';
import { DomainError } from '../../core/errors.ts';
import { PAGING } from '../../core/scim/search.ts';
import {
  listResponse,
  resourceTypesDocument,
  schemasDocument,
  serviceProviderConfig,
} from '../../scim/messages/discovery.ts';
import { scimRegistry } from '../../scim/schema/registry.ts';
import { BULK_LIMITS } from './bulk.ts';
import { methodGuard, type ScimSurfaceDeps } from './surface.ts';

export function registerDiscovery(app: FastifyInstance, deps: ScimSurfaceDeps): void {
  app.get('/ServiceProviderConfig', async (request) => {
    request.scimLog = { operation: 'discovery', summary: {} };
    return serviceProviderConfig({
      baseUrl: request.scimBaseUrl,
      documentationUri: `${deps.publicUrl}/iam/v1/docs`,
      patch: true,
      bulk: { maxOperations: BULK_LIMITS.maxOperations, maxPayloadSize: deps.bodyLimit },
      filter: { maxResults: PAGING.maxPageSize },
      sort: true,
      etag: true,
      changePassword: false,
      pagination: {
        cursor: true,
        index: true,
        defaultPaginationMethod: 'index',
        defaultPageSize: PAGING.defaultPageSize,
        maxPageSize: PAGING.maxPageSize,
        cursorTimeout: PAGING.cursorTimeout,
      },
    });
  });

  app.get('/Schemas', async (request) => {
    request.scimLog = { operation: 'discovery', summary: {} };
    const schemas = schemasDocument(scimRegistry, request.scimBaseUrl);
    return listResponse(schemas, { totalResults: schemas.length, itemsPerPage: schemas.length, startIndex: 1 });
  });
  app.get<{ Params: { id: string } }>('/Schemas/:id', async (request) => {
    request.scimLog = { operation: 'discovery', summary: {} };
    const found = schemasDocument(scimRegistry, request.scimBaseUrl).find((s) => s.id === request.params.id);
    if (!found) throw new DomainError('scim.not_found', 'no such schema');
    return found;
  });

  app.get('/ResourceTypes', async (request) => {
    request.scimLog = { operation: 'discovery', summary: {} };
    const types = resourceTypesDocument(scimRegistry, request.scimBaseUrl);
    return listResponse(types, { totalResults: types.length, itemsPerPage: types.length, startIndex: 1 });
  });
  app.get<{ Params: { id: string } }>('/ResourceTypes/:id', async (request) => {
    request.scimLog = { operation: 'discovery', summary: {} };
    const found = resourceTypesDocument(scimRegistry, request.scimBaseUrl).find((t) => t.id === request.params.id);
    if (!found) throw new DomainError('scim.not_found', 'no such resource type');
    return found;
  });

  for (const url of ['/ServiceProviderConfig', '/Schemas', '/Schemas/:id', '/ResourceTypes', '/ResourceTypes/:id']) {
    methodGuard(app, url, ['GET']);
  }
  // RFC 7644 §3.11: /Me is optional; without Roster sessions on the SCIM surface it is not implemented.
  app.all('/Me', async () => {
    throw new DomainError('scim.not_found', '/Me is not supported');
  });
}
