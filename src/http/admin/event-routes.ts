// The event feed: a tenant's events with its admin token, every tenant's with the operator token (ADR 0018).
import type { FastifyInstance } from 'fastify';
import { readFeed } from '../../core/events/feed.ts';
import { EVENT_TYPES } from '../../core/events/records.ts';
import { tenantOf } from '../auth.ts';
import { type AdminSurfaceDeps, errorResponses } from './surface.ts';

type FeedQuerystring = { after?: string; limit?: string; types?: string };

const eventSchema = {
  type: 'object',
  required: ['id', 'type', 'tenantId', 'occurredAt', 'data'],
  properties: {
    id: { type: 'string', description: 'evt_…; the same event keeps its id wherever it is delivered' },
    type: { type: 'string', enum: [...EVENT_TYPES] },
    tenantId: { type: 'string' },
    occurredAt: { type: 'string', format: 'date-time' },
    data: { type: 'object', additionalProperties: true, description: 'By type: see docs/events.md' },
  },
} as const;

const feedSchema = (summary: string, security: Record<string, never[]>[], tags: string[]) => ({
  tags,
  summary,
  security,
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      after: { type: 'string', maxLength: 64, description: 'The nextCursor of the previous page' },
      limit: { type: 'string', pattern: '^[0-9]{1,4}$', description: '1 to 1000, default 100' },
      types: { type: 'string', maxLength: 1000, description: 'Comma-separated event types' },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['data', 'nextCursor', 'hasMore'],
      properties: {
        data: { type: 'array', items: eventSchema },
        nextCursor: { type: 'string' },
        hasMore: { type: 'boolean' },
      },
    },
    410: { $ref: 'Problem#' },
    ...errorResponses,
  },
});

const request = (q: FeedQuerystring) => ({
  after: q.after,
  limit: q.limit === undefined ? 100 : Number(q.limit),
  types: q.types,
});

export async function tenantEventRoutes(app: FastifyInstance, deps: AdminSurfaceDeps): Promise<void> {
  app.get<{ Querystring: FeedQuerystring }>(
    '/events',
    {
      schema: feedSchema(
        "The tenant's directory events in commit order, after a cursor",
        [{ adminToken: [] }],
        ['events'],
      ),
    },
    async (req) => readFeed(deps, tenantOf(req), request(req.query)),
  );
}

export async function operatorEventRoutes(app: FastifyInstance, deps: AdminSurfaceDeps): Promise<void> {
  app.get<{ Querystring: FeedQuerystring }>(
    '/operator/events',
    {
      schema: feedSchema(
        "Every tenant's directory events in commit order, after a cursor",
        [{ operatorToken: [] }],
        ['operator'],
      ),
    },
    async (req) => readFeed(deps, undefined, request(req.query)),
  );
}
