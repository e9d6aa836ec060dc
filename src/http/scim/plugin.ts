// The SCIM 2.0 surface: served at /{tenantId}/api/scim/v2 and at /iam/v1/scim (token selects the tenant).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type AuthDeps, authenticate, type Principal, requireKind } from '../../core/auth/principal.ts';
import { DomainError } from '../../core/errors.ts';
import type { Limiter } from '../../core/ratelimit/token-buckets.ts';
import type { ScimCaller, ScimDeps } from '../../core/scim/context.ts';
import { etagOf, notModified } from '../../core/scim/etag.ts';
import { recordScimRequest, type ScimLogBuffer } from '../../core/scim/log.ts';
import type { StoredGroup, StoredUser } from '../../core/scim/records.ts';
import { encodeCursor, type IndexSeekCache, parseSearch, type SearchParams } from '../../core/scim/search.ts';
import { bearerFrom } from '../../lib/tokens.ts';
import { ScimError, scimErrors } from '../../scim/errors.ts';
import { listResponse } from '../../scim/messages/discovery.ts';
import type { AttrRef } from '../../scim/path/types.ts';
import { compileProjection, parseAttributeList, storedDataIsDefaultShape } from '../../scim/projection/project.ts';
import { scimRegistry } from '../../scim/schema/registry.ts';
import { registerBulk } from './bulk.ts';
import { registerDiscovery } from './discovery-routes.ts';
import { SCIM_CONTENT_TYPE, sendScimError, toScimError } from './errors.ts';
import { parseScimJson } from './json-body.ts';
import { groupBinding, type ResourceBinding, userBinding } from './resources.ts';

export interface ScimRateLimits {
  readonly tenant: Limiter;
  readonly token: Limiter;
  readonly authFailures: Limiter;
}

export interface ScimSurfaceDeps extends AuthDeps, ScimDeps {
  readonly publicUrl: string;
  readonly limits: ScimRateLimits;
  readonly scimLog: ScimLogBuffer;
  readonly seekCache: IndexSeekCache;
  readonly bodyLimit: number;
  readonly isStoreUnavailable: (error: unknown) => boolean;
  /** `tenant-url`: /{tenantId}/api/scim/v2 (the URL's tenant must be the token's); `token`: /iam/v1/scim. */
  readonly mode: 'tenant-url' | 'token';
}

export interface ScimLogDraft {
  operation: string;
  resourceType?: string | undefined;
  resourceId?: string | undefined;
  summary: Record<string, unknown>;
}

declare module 'fastify' {
  interface FastifyRequest {
    scimCaller: ScimCaller | null;
    scimBaseUrl: string;
    scimLog: ScimLogDraft | null;
  }
}

const CHARSET = /charset\s*=\s*"?([^";\s]+)/i;

export function caller(request: FastifyRequest): ScimCaller {
  if (!request.scimCaller) throw new DomainError('auth.missing', 'a bearer token is required');
  return request.scimCaller;
}

export interface Projection {
  readonly attributes: readonly AttrRef[] | undefined;
  readonly excludedAttributes: readonly AttrRef[] | undefined;
}

export function projectionFrom(
  type: 'User' | 'Group',
  source: { attributes?: unknown; excludedAttributes?: unknown },
): Projection {
  const list = (value: unknown, name: string) => {
    if (value === undefined || value === null || value === '') return undefined;
    const text = Array.isArray(value) ? value.join(',') : value;
    if (typeof text !== 'string')
      throw scimErrors.invalidValue(`${name} must be a comma-separated list of attribute names`);
    return parseAttributeList(text, type, scimRegistry);
  };
  return {
    attributes: list(source.attributes, 'attributes'),
    excludedAttributes: list(source.excludedAttributes, 'excludedAttributes'),
  };
}

/** Whether the response will contain `name`, so an expensive computed attribute is read only when needed. */
export function includes(projection: Projection, name: string): boolean {
  const same = (ref: AttrRef) => ref.attribute.toLowerCase() === name.toLowerCase();
  if (projection.attributes) return projection.attributes.some(same);
  return !(projection.excludedAttributes ?? []).some((ref) => same(ref) && ref.subAttribute === undefined);
}

/** The projection as a function over rendered resources, compiled once per request (lists reuse it per item). */
export function shaper(type: 'User' | 'Group', projection: Projection) {
  return compileProjection(type, scimRegistry, {
    ...(projection.attributes ? { attributes: [...projection.attributes] } : {}),
    ...(projection.excludedAttributes ? { excludedAttributes: [...projection.excludedAttributes] } : {}),
  });
}

/** Rendered resources: JSON texts when the stored data could be spliced, else projected objects. */
type Rendered =
  | { readonly kind: 'text'; readonly items: readonly string[] }
  | { readonly kind: 'objects'; readonly items: readonly Record<string, unknown>[] };

/**
 * Whether the projection keeps a stored resource as it is: no `attributes`, and nothing excluded but the computed
 * attribute (which the renderer then does not read at all). Entra and Okta send exactly these requests.
 */
function rendersAsStored(binding: ResourceBinding, projection: Projection): boolean {
  if (projection.attributes || !storedDataIsDefaultShape(binding.type, scimRegistry)) return false;
  return (projection.excludedAttributes ?? []).every(
    (ref) => ref.attribute === binding.computed && ref.subAttribute === undefined,
  );
}

async function renderFor(
  deps: ScimSurfaceDeps,
  binding: ResourceBinding,
  tenantId: string,
  items: readonly (StoredUser | StoredGroup)[],
  baseUrl: string,
  projection: Projection,
): Promise<Rendered> {
  const withComputed = includes(projection, binding.computed);
  if (rendersAsStored(binding, projection)) {
    return { kind: 'text', items: await binding.renderText(deps, tenantId, items, baseUrl, withComputed) };
  }
  const rendered = await binding.render(deps, tenantId, items, baseUrl, withComputed);
  return { kind: 'objects', items: rendered.map(shaper(binding.type, projection)) };
}

function sendOne(reply: FastifyReply, rendered: Rendered) {
  // A string payload skips preSerialization, where the SCIM content type is otherwise set.
  return rendered.kind === 'text'
    ? reply.type(SCIM_CONTENT_TYPE).send(rendered.items[0])
    : reply.send(rendered.items[0]);
}

export async function scimPlugin(app: FastifyInstance, deps: ScimSurfaceDeps): Promise<void> {
  app.decorateRequest('scimCaller', null);
  app.decorateRequest('scimBaseUrl', '');
  app.decorateRequest('scimLog', null);

  // RFC 7644 §3.1: clients send application/scim+json; application/json is accepted too (Okta's SPEC tests do).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    ['application/scim+json', 'application/json'],
    { parseAs: 'buffer', bodyLimit: deps.bodyLimit },
    (request, body, done) => {
      const charset = CHARSET.exec(request.headers['content-type'] ?? '')?.[1]?.toLowerCase();
      if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
        done(new ScimError(415, 'request bodies must be UTF-8'), undefined);
        return;
      }
      try {
        done(null, parseScimJson(body as Buffer));
      } catch (error) {
        // One line for the operator, naming why and how large, never what (bodies carry personal data).
        request.log.warn(
          { reason: (error as ScimError).detail, bytes: (body as Buffer).length },
          'refused a malformed SCIM request body',
        );
        done(error as Error, undefined);
      }
    },
  );

  app.addHook('onRequest', async (request) => {
    let scim: Extract<Principal, { kind: 'scim' }>;
    try {
      const header = request.headers.authorization;
      scim = requireKind(await authenticate(deps, bearerFrom(header) ?? (header ? '' : undefined)), 'scim');
    } catch (error) {
      // A database that cannot check the token is not a failed authentication (→ 503, and no bucket spent).
      if (!(error instanceof DomainError)) throw error;
      // Guessing tokens is slowed per client address; valid traffic never spends from this bucket.
      const guard = await deps.limits.authFailures.take(request.ip);
      if (!guard.ok)
        throw scimErrors.tooManyRequests('too many failed authentications; retry later', guard.retryAfterSeconds);
      throw error;
    }
    if (deps.mode === 'tenant-url') {
      const urlTenant = (request.params as { tenantId?: string }).tenantId;
      // A token is valid only at its own tenant's URL; elsewhere it is as unknown as any other string (A7).
      if (urlTenant !== scim.tenantId) throw new DomainError('auth.invalid', 'the bearer token is not valid');
      request.scimBaseUrl = `${deps.publicUrl}/${scim.tenantId}/api/scim/v2`;
    } else {
      request.scimBaseUrl = `${deps.publicUrl}/iam/v1/scim`;
    }
    request.scimCaller = { tenantId: scim.tenantId, tokenId: scim.tokenId, provider: scim.provider };
    request.log = request.log.child({ tenantId: scim.tenantId });
    // Per token, then per tenant (a request the token's bucket refuses costs the tenant nothing), so one
    // tenant's flood, or one runaway token, leaves the others untouched. A limiter answers from memory, and now
    // and then after claiming a batch of permits from the bucket shared through PostgreSQL (ADR 0012).
    for (const [bucket, key] of [
      [deps.limits.token, scim.tokenId],
      [deps.limits.tenant, scim.tenantId],
    ] as const) {
      const taken = await bucket.take(key);
      if (!taken.ok)
        throw scimErrors.tooManyRequests('request rate limit exceeded; retry later', taken.retryAfterSeconds);
    }
  });

  // RFC 7644 §3.1: every SCIM response body is application/scim+json.
  app.addHook('preSerialization', async (_request, reply, payload) => {
    reply.type(SCIM_CONTENT_TYPE);
    return payload;
  });

  // The provisioning log: one entry per authenticated SCIM request, what changed by name only.
  app.addHook('onResponse', async (request, reply) => {
    const who = request.scimCaller;
    if (!who) return;
    const draft = request.scimLog ?? { operation: request.method.toLowerCase(), summary: {} };
    recordScimRequest(deps, who, {
      method: request.method,
      path: request.url.split('?')[0] ?? '',
      status: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime),
      draft,
    });
  });

  app.setErrorHandler((error, request, reply) => {
    const scimError = toScimError(error, request, deps.isStoreUnavailable);
    if (request.scimCaller) {
      request.scimLog = {
        ...(request.scimLog ?? { operation: request.method.toLowerCase() }),
        summary: {
          ...(request.scimLog?.summary ?? {}),
          error: scimError.detail,
          ...(scimError.scimType ? { scimType: scimError.scimType } : {}),
        },
      };
    }
    return sendScimError(reply, scimError);
  });

  app.setNotFoundHandler(async (request, reply) => {
    // Authentication still comes first: an unauthenticated caller learns nothing about which routes exist.
    try {
      const principal = await authenticate(deps, bearerFrom(request.headers.authorization));
      requireKind(principal, 'scim');
    } catch (error) {
      return sendScimError(reply, toScimError(error, request, deps.isStoreUnavailable));
    }
    return sendScimError(reply, scimErrors.notFound('no SCIM endpoint at this path'));
  });

  registerDiscovery(app, deps);
  for (const binding of [userBinding, groupBinding]) registerResource(app, deps, binding);
  registerRootSearch(app, deps);
  registerBulk(app, deps);
}

function methodNotAllowed(allowed: string) {
  return async (_request: FastifyRequest, reply: FastifyReply) => {
    reply.header('allow', allowed);
    return sendScimError(reply, new ScimError(405, `this endpoint supports ${allowed}`));
  };
}

export function methodGuard(app: FastifyInstance, url: string, allowed: string[]): void {
  const all = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
  for (const method of all) {
    if (!allowed.includes(method)) app.route({ method, url, handler: methodNotAllowed(allowed.join(', ')) });
  }
}

async function sendList(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: ScimSurfaceDeps,
  binding: ResourceBinding,
  params: SearchParams,
  projection: Projection,
) {
  const who = caller(request);
  const now = deps.clock.now();
  request.scimLog = { operation: 'search', resourceType: binding.type, summary: {} };
  const parsed = parseSearch(binding.type, params, now);
  const result = await binding.search(deps, who.tenantId, deps.seekCache.resume(who.tenantId, parsed, now.getTime()));
  deps.seekCache.remember(who.tenantId, parsed, result.last, result.total, now.getTime());
  const rendered = await renderFor(deps, binding, who.tenantId, result.items, request.scimBaseUrl, projection);
  request.scimLog = {
    operation: 'search',
    resourceType: binding.type,
    summary: { results: result.items.length, totalResults: result.total },
  };
  const page = listResponse(rendered.kind === 'objects' ? rendered.items : [], {
    totalResults: result.total,
    itemsPerPage: rendered.items.length,
    ...(parsed.cursorMode ? {} : { startIndex: parsed.query.startIndex }),
    ...(parsed.cursorMode && result.last
      ? { nextCursor: encodeCursor(result.last, parsed.fingerprint, now, result.total) }
      : {}),
  });
  if (rendered.kind === 'objects') return reply.send(page);
  // Resources is the last member of the list response: its empty array is replaced by the spliced texts.
  const head = JSON.stringify(page);
  return reply.type(SCIM_CONTENT_TYPE).send(`${head.slice(0, -3)}[${rendered.items.join(',')}]}`);
}

function registerResource(app: FastifyInstance, deps: ScimSurfaceDeps, b: ResourceBinding): void {
  type IdRoute = { Params: { id: string }; Querystring: Record<string, string> };
  const summaryOf = (r: StoredUser | StoredGroup) =>
    b.type === 'User' ? { userName: r.data.userName } : { displayName: r.data.displayName };

  app.get<{ Querystring: Record<string, string> }>(b.endpoint, async (request, reply) =>
    sendList(request, reply, deps, b, request.query, projectionFrom(b.type, request.query)),
  );

  app.post<{ Body: Record<string, unknown> }>(`${b.endpoint}/.search`, async (request, reply) => {
    const body = request.body ?? {};
    const schemas = body.schemas;
    if (!Array.isArray(schemas) || !schemas.includes('urn:ietf:params:scim:api:messages:2.0:SearchRequest')) {
      throw scimErrors.invalidSyntax(
        'a search request must list urn:ietf:params:scim:api:messages:2.0:SearchRequest in schemas',
      );
    }
    return sendList(request, reply, deps, b, body, projectionFrom(b.type, body));
  });

  app.post<{ Body: unknown; Querystring: Record<string, string> }>(b.endpoint, async (request, reply) => {
    const projection = projectionFrom(b.type, request.query);
    request.scimLog = { operation: 'create', resourceType: b.type, summary: {} };
    const created = await b.create(deps, caller(request), request.body);
    request.scimLog = {
      operation: 'create',
      resourceType: b.type,
      resourceId: created.id,
      summary: summaryOf(created),
    };
    const rendered = await renderFor(deps, b, created.tenantId, [created], request.scimBaseUrl, projection);
    reply
      .code(201)
      .header('location', `${request.scimBaseUrl}${b.endpoint}/${created.id}`)
      .header('etag', etagOf(created.version));
    return sendOne(reply, rendered);
  });

  app.get<IdRoute>(`${b.endpoint}/:id`, async (request, reply) => {
    const projection = projectionFrom(b.type, request.query);
    request.scimLog = { operation: 'get', resourceType: b.type, resourceId: request.params.id, summary: {} };
    const found = await b.get(deps, caller(request), request.params.id);
    request.scimLog = { operation: 'get', resourceType: b.type, resourceId: found.id, summary: {} };
    reply.header('etag', etagOf(found.version));
    if (notModified(request.headers['if-none-match'], found.version)) return reply.code(304).send();
    const rendered = await renderFor(deps, b, found.tenantId, [found], request.scimBaseUrl, projection);
    return sendOne(reply, rendered);
  });

  app.put<IdRoute & { Body: unknown }>(`${b.endpoint}/:id`, async (request, reply) => {
    const projection = projectionFrom(b.type, request.query);
    request.scimLog = { operation: 'replace', resourceType: b.type, resourceId: request.params.id, summary: {} };
    const updated = await b.replace(
      deps,
      caller(request),
      request.params.id,
      request.body,
      request.headers['if-match'],
    );
    request.scimLog.summary = summaryOf(updated);
    const rendered = await renderFor(deps, b, updated.tenantId, [updated], request.scimBaseUrl, projection);
    reply.header('etag', etagOf(updated.version));
    return sendOne(reply, rendered);
  });

  app.patch<IdRoute & { Body: unknown }>(`${b.endpoint}/:id`, async (request, reply) => {
    const projection = projectionFrom(b.type, request.query);
    request.scimLog = { operation: 'patch', resourceType: b.type, resourceId: request.params.id, summary: {} };
    const { resource, changed } = await b.patch(
      deps,
      caller(request),
      request.params.id,
      request.body,
      request.headers['if-match'],
    );
    request.scimLog.summary = { changedAttributes: changed };
    // RFC 7644 §3.5.2: 200 with the resource (Entra and Okta accept it; it spares them a GET).
    const rendered = await renderFor(deps, b, resource.tenantId, [resource], request.scimBaseUrl, projection);
    reply.header('etag', etagOf(resource.version));
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

/** RFC 7644 §3.4.3: a search at the root spans every resource type; the filter must make sense for each. */
function registerRootSearch(app: FastifyInstance, deps: ScimSurfaceDeps): void {
  app.post<{ Body: Record<string, unknown> }>('/.search', async (request, reply) => {
    const body = request.body ?? {};
    if (!Array.isArray(body.schemas) || !body.schemas.includes('urn:ietf:params:scim:api:messages:2.0:SearchRequest')) {
      throw scimErrors.invalidSyntax(
        'a search request must list urn:ietf:params:scim:api:messages:2.0:SearchRequest in schemas',
      );
    }
    if (body.cursor !== undefined)
      throw scimErrors.invalidValue('cursor pagination is offered per resource type, not at the root');
    const who = caller(request);
    const now = deps.clock.now();
    // A filter naming an attribute one type lacks selects nothing of that type; invalid for both is an error.
    const attempt = (type: 'User' | 'Group') => {
      try {
        return parseSearch(type, { ...body, startIndex: 1, count: 0 }, now);
      } catch (error) {
        if (error instanceof ScimError && error.scimType === 'invalidFilter') return error;
        throw error;
      }
    };
    const userSearch = attempt('User');
    const groupSearch = attempt('Group');
    if (userSearch instanceof ScimError && groupSearch instanceof ScimError) throw userSearch;
    const requested = parseSearch(userSearch instanceof ScimError ? 'Group' : 'User', body, now).query;
    const userTotal =
      userSearch instanceof ScimError ? 0 : (await userBinding.search(deps, who.tenantId, userSearch.query)).total;
    const groupTotal =
      groupSearch instanceof ScimError ? 0 : (await groupBinding.search(deps, who.tenantId, groupSearch.query)).total;
    // Users first, then groups: one stable order for index pagination across both.
    const resources: Record<string, unknown>[] = [];
    let start = requested.startIndex;
    let remaining = requested.count;
    for (const [binding, search, total] of [
      [userBinding, userSearch, userTotal],
      [groupBinding, groupSearch, groupTotal],
    ] as const) {
      if (search instanceof ScimError) continue;
      if (remaining > 0 && start <= total) {
        const page = await binding.search(deps, who.tenantId, { ...search.query, startIndex: start, count: remaining });
        const projection = projectionFrom(binding.type, body);
        const rendered = await binding.render(
          deps,
          who.tenantId,
          page.items,
          request.scimBaseUrl,
          includes(projection, binding.computed),
        );
        resources.push(...rendered.map(shaper(binding.type, projection)));
        remaining -= page.items.length;
        start = 1;
      } else {
        start = Math.max(1, start - total);
      }
    }
    request.scimLog = {
      operation: 'search',
      summary: { results: resources.length, totalResults: userTotal + groupTotal },
    };
    return reply.send(
      listResponse(resources, {
        totalResults: userTotal + groupTotal,
        itemsPerPage: resources.length,
        startIndex: requested.startIndex,
      }),
    );
  });
  methodGuard(app, '/.search', ['POST']);
}
