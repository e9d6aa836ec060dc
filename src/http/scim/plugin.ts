// The SCIM 2.0 surface: served at /{tenantId}/api/scim/v2 and at /iam/v1/scim (token selects the tenant). This file
// wires the steps — body parsing, authentication, content type, provisioning log, errors — and the routes.
import type { FastifyInstance } from 'fastify';
import { recordScimRequest } from '../../core/scim/log.ts';
import { authenticationHook } from './authenticate.ts';
import { registerBulk } from './bulk.ts';
import { registerDiscovery } from './discovery-routes.ts';
import { SCIM_CONTENT_TYPE, ScimSurfaceError, sendScimError, surfaceWire, toScimWire } from './errors.ts';
import { parseScimJson } from './json-body.ts';
import { registerResource } from './resource-routes.ts';
import { groupBinding, userBinding } from './resources.ts';
import { registerRootSearch } from './root-search.ts';
import { caller, type ScimLogDraft, type ScimSurfaceDeps } from './surface.ts';

const CHARSET = /charset\s*=\s*"?([^";\s]+)/i;

/** `success`, or what failed: the scimType when the error had one, else the status class (`4xx`, `5xx`). */
function scimOutcome(status: number, draft: ScimLogDraft): string {
  if (status < 400) return 'success';
  const scimType = draft.summary.scimType;
  return typeof scimType === 'string' ? scimType : `${Math.floor(status / 100)}xx`;
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
        done(new ScimSurfaceError('request.unsupported_media_type', 'request bodies must be UTF-8'), undefined);
        return;
      }
      try {
        done(null, parseScimJson(body as Buffer));
      } catch (error) {
        // One line for the operator, naming why and how large, never what (bodies carry personal data).
        request.log.warn(
          { reason: (error as Error).message, bytes: (body as Buffer).length },
          'refused a malformed SCIM request body',
        );
        done(error as Error, undefined);
      }
    },
  );

  app.addHook('onRequest', authenticationHook(deps));

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
    deps.telemetry.scimOperation(draft.operation, draft.resourceType ?? '', scimOutcome(reply.statusCode, draft));
    recordScimRequest(deps, who, {
      method: request.method,
      path: request.url.split('?')[0] ?? '',
      status: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime),
      draft,
    });
  });

  app.setErrorHandler((error, request, reply) => {
    const wire = toScimWire(error, request, deps.isStoreUnavailable);
    if (request.scimCaller) {
      request.scimLog = {
        ...(request.scimLog ?? { operation: request.method.toLowerCase() }),
        summary: {
          ...(request.scimLog?.summary ?? {}),
          error: wire.detail,
          ...(wire.scimType ? { scimType: wire.scimType } : {}),
        },
      };
    }
    return sendScimError(reply, wire);
  });

  // The onRequest hook has authenticated the caller already: an unauthenticated one never gets here, so learns
  // nothing about which routes exist.
  app.setNotFoundHandler(async (request, reply) => {
    caller(request);
    return sendScimError(reply, surfaceWire('route.not_found', 'no SCIM endpoint at this path'));
  });

  registerDiscovery(app, deps);
  for (const binding of [userBinding, groupBinding]) registerResource(app, deps, binding);
  registerRootSearch(app, deps);
  registerBulk(app, deps);
}
