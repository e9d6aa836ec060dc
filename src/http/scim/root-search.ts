// POST /.search (RFC 7644 §3.4.3): the core searches both resource types; each type's items render with its binding.
import type { FastifyInstance } from 'fastify';
import { checkSearchRequest, searchAllTypes } from '../../core/scim/list.ts';
import { listResponse } from '../../scim/messages/discovery.ts';
import { includes, projectionFrom, shaper } from '../../scim/projection/request.ts';
import { scimRegistry } from '../../scim/schema/registry.ts';
import { groupBinding, userBinding } from './resources.ts';
import { caller, methodGuard, type ScimSurfaceDeps } from './surface.ts';

export function registerRootSearch(app: FastifyInstance, deps: ScimSurfaceDeps): void {
  app.post<{ Body: Record<string, unknown> }>('/.search', async (request, reply) => {
    const body = request.body ?? {};
    checkSearchRequest(body);
    const who = caller(request);
    const page = await searchAllTypes(deps, who.tenantId, body);
    const resources: Record<string, unknown>[] = [];
    for (const part of page.parts) {
      const binding = part.type === 'User' ? userBinding : groupBinding;
      const projection = projectionFrom(binding.type, body, scimRegistry);
      const rendered = await binding.render(
        deps,
        who.tenantId,
        part.items,
        request.scimBaseUrl,
        includes(projection, binding.computed),
      );
      resources.push(...rendered.map(shaper(binding.type, projection, scimRegistry)));
    }
    request.scimLog = { operation: 'search', summary: { results: resources.length, totalResults: page.totalResults } };
    return reply.send(
      listResponse(resources, {
        totalResults: page.totalResults,
        itemsPerPage: resources.length,
        startIndex: page.startIndex,
      }),
    );
  });
  methodGuard(app, '/.search', ['POST']);
}
