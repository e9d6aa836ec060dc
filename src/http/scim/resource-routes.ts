// /Users and /Groups: list, .search, create, read, replace, patch, delete — named steps around the use cases.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { etagOf, notModified } from '../../core/scim/etag.ts';
import { checkSearchRequest, listResources } from '../../core/scim/list.ts';
import type { StoredGroup, StoredUser } from '../../core/scim/records.ts';
import type { SearchParams } from '../../core/scim/search.ts';
import { listResponse } from '../../scim/messages/discovery.ts';
import { includes, keepsStoredShape, type Projection, projectionFrom, shaper } from '../../scim/projection/request.ts';
import { scimRegistry } from '../../scim/schema/registry.ts';
import { SCIM_CONTENT_TYPE } from './errors.ts';
import type { ResourceBinding } from './resources.ts';
import { caller, methodGuard, type ScimSurfaceDeps } from './surface.ts';

/** Rendered resources: JSON texts when the stored data could be spliced, else projected objects. */
type Rendered =
  | { readonly kind: 'text'; readonly items: readonly string[] }
  | { readonly kind: 'objects'; readonly items: readonly Record<string, unknown>[] };

async function renderFor(
  deps: ScimSurfaceDeps,
  binding: ResourceBinding,
  tenantId: string,
  items: readonly (StoredUser | StoredGroup)[],
  baseUrl: string,
  projection: Projection,
): Promise<Rendered> {
  const withComputed = includes(projection, binding.computed);
  if (keepsStoredShape(binding.type, binding.computed, projection, scimRegistry)) {
    return { kind: 'text', items: await binding.renderText(deps, tenantId, items, baseUrl, withComputed) };
  }
  const rendered = await binding.render(deps, tenantId, items, baseUrl, withComputed);
  return { kind: 'objects', items: rendered.map(shaper(binding.type, projection, scimRegistry)) };
}

function sendOne(reply: FastifyReply, rendered: Rendered) {
  // A string payload skips preSerialization, where the SCIM content type is otherwise set.
  return rendered.kind === 'text'
    ? reply.type(SCIM_CONTENT_TYPE).send(rendered.items[0])
    : reply.send(rendered.items[0]);
}

async function sendList(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: ScimSurfaceDeps,
  binding: ResourceBinding,
  params: SearchParams & { attributes?: unknown; excludedAttributes?: unknown },
) {
  const projection = projectionFrom(binding.type, params, scimRegistry);
  const who = caller(request);
  request.scimLog = { operation: 'search', resourceType: binding.type, summary: {} };
  const page = await listResources(deps, who.tenantId, binding.type, params, who.prefetchedLookup);
  const rendered = await renderFor(deps, binding, who.tenantId, page.items, request.scimBaseUrl, projection);
  request.scimLog.summary = { results: page.items.length, totalResults: page.totalResults };
  const list = listResponse(rendered.kind === 'objects' ? rendered.items : [], {
    totalResults: page.totalResults,
    itemsPerPage: rendered.items.length,
    ...(page.startIndex === undefined ? {} : { startIndex: page.startIndex }),
    ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor }),
  });
  if (rendered.kind === 'objects') return reply.send(list);
  // Resources is the last member of the list response: its empty array is replaced by the spliced texts.
  const head = JSON.stringify(list);
  return reply.type(SCIM_CONTENT_TYPE).send(`${head.slice(0, -3)}[${rendered.items.join(',')}]}`);
}

export function registerResource(app: FastifyInstance, deps: ScimSurfaceDeps, b: ResourceBinding): void {
  type IdRoute = { Params: { id: string }; Querystring: Record<string, string> };
  const summaryOf = (r: StoredUser | StoredGroup) =>
    b.type === 'User' ? { userName: r.data.userName } : { displayName: r.data.displayName };
  const projection = (request: FastifyRequest<{ Querystring: Record<string, string> }>) =>
    projectionFrom(b.type, request.query, scimRegistry);

  app.get<{ Querystring: Record<string, string> }>(b.endpoint, async (request, reply) =>
    sendList(request, reply, deps, b, request.query),
  );

  app.post<{ Body: Record<string, unknown> }>(`${b.endpoint}/.search`, async (request, reply) => {
    const body = request.body ?? {};
    checkSearchRequest(body);
    return sendList(request, reply, deps, b, body);
  });

  app.post<{ Body: unknown; Querystring: Record<string, string> }>(b.endpoint, async (request, reply) => {
    const shape = projection(request);
    request.scimLog = { operation: 'create', resourceType: b.type, summary: {} };
    const created = await b.create(deps, caller(request), request.body);
    request.scimLog = {
      operation: 'create',
      resourceType: b.type,
      resourceId: created.id,
      summary: summaryOf(created),
    };
    const rendered = await renderFor(deps, b, created.tenantId, [created], request.scimBaseUrl, shape);
    reply
      .code(201)
      .header('location', `${request.scimBaseUrl}${b.endpoint}/${created.id}`)
      .header('etag', etagOf(created.version));
    return sendOne(reply, rendered);
  });

  app.get<IdRoute>(`${b.endpoint}/:id`, async (request, reply) => {
    const shape = projection(request);
    request.scimLog = { operation: 'get', resourceType: b.type, resourceId: request.params.id, summary: {} };
    const found = await b.get(deps, caller(request), request.params.id);
    request.scimLog = { operation: 'get', resourceType: b.type, resourceId: found.id, summary: {} };
    reply.header('etag', etagOf(found.version));
    if (notModified(request.headers['if-none-match'], found.version)) return reply.code(304).send();
    const rendered = await renderFor(deps, b, found.tenantId, [found], request.scimBaseUrl, shape);
    return sendOne(reply, rendered);
  });

  app.put<IdRoute & { Body: unknown }>(`${b.endpoint}/:id`, async (request, reply) => {
    const shape = projection(request);
    request.scimLog = { operation: 'replace', resourceType: b.type, resourceId: request.params.id, summary: {} };
    const updated = await b.replace(
      deps,
      caller(request),
      request.params.id,
      request.body,
      request.headers['if-match'],
    );
    request.scimLog.summary = summaryOf(updated);
    // RFC 7644 §3.5.1: PUT answers 200 with the resource; a group's answer is as large as the member list the
    // request itself carried, so its cost follows the request (docs/adr/0022-group-patch-204.md).
    const rendered = await renderFor(deps, b, updated.tenantId, [updated], request.scimBaseUrl, shape);
    reply.header('etag', etagOf(updated.version));
    return sendOne(reply, rendered);
  });

  app.patch<IdRoute & { Body: unknown }>(`${b.endpoint}/:id`, async (request, reply) => {
    const shape = projection(request);
    request.scimLog = { operation: 'patch', resourceType: b.type, resourceId: request.params.id, summary: {} };
    const { resource, changed } = await b.patch(
      deps,
      caller(request),
      request.params.id,
      request.body,
      request.headers['if-match'],
    );
    request.scimLog.summary = { changedAttributes: changed };
    reply.header('etag', etagOf(resource.version));
    // RFC 7644 §3.5.2: "MAY return HTTP status code 204 (No Content) and the appropriate response headers", but
    // "MUST return a 200 OK if the "attributes" parameter is specified"; a named projection is answered with 200.
    if (b.unprojectedPatchAnswer === 'no-content' && !shape.attributes && !shape.excludedAttributes) {
      return reply.code(204).send();
    }
    // RFC 7644 §3.5.2: 200 with the resource (a user's answer spares Entra and Okta a GET).
    const rendered = await renderFor(deps, b, resource.tenantId, [resource], request.scimBaseUrl, shape);
    return sendOne(reply, rendered);
  });

  app.delete<IdRoute>(`${b.endpoint}/:id`, async (request, reply) => {
    request.scimLog = { operation: 'delete', resourceType: b.type, resourceId: request.params.id, summary: {} };
    await b.delete(deps, caller(request), request.params.id, request.headers['if-match']);
    return reply.code(204).send();
  });

  methodGuard(app, b.endpoint, ['GET', 'POST']);
  methodGuard(app, `${b.endpoint}/.search`, ['POST']);
}
