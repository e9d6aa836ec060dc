// Tenant admin API: test sign-ins through an SSO provider (ADR 0029). The URL is opened in a browser; the outcome
// is read here (and shown on the page the browser lands on).
import type { FastifyInstance } from 'fastify';
import { actorOf } from '../../core/auth/principal.ts';
import type { TestSignInRecord } from '../../core/setup/ports.ts';
import { createTestSignIn, getTestSignIn } from '../../core/setup/test-signins.ts';
import { explainRefusal } from '../../core/signin/refusal-explanations.ts';
import { tenantOf } from '../auth.ts';
import { type AdminSurfaceDeps, errorResponses } from './surface.ts';

const admin = [{ adminToken: [] }];
const timestamp = { type: 'string', format: 'date-time' } as const;
const nullableTimestamp = { type: ['string', 'null'], format: 'date-time' } as const;
const nullableString = { type: ['string', 'null'] } as const;

const testSignInSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    provider: { type: 'string' },
    status: { type: 'string', enum: ['pending', 'started', 'finished'] },
    createdAt: timestamp,
    expiresAt: timestamp,
    startedAt: nullableTimestamp,
    finishedAt: nullableTimestamp,
    outcome: {
      type: ['object', 'null'],
      properties: {
        result: { type: 'string', enum: ['resolved', 'refused'] },
        reason: nullableString,
        explanation: { ...nullableString, description: 'Why it was refused, for the admin' },
        claims: { type: ['object', 'null'], additionalProperties: true, description: 'ID token claims, no tokens' },
        subject: {
          type: ['object', 'null'],
          properties: {
            userId: nullableString,
            userName: nullableString,
            how: { type: 'string', enum: ['bound', 'would link', 'would be created', 'refused'] },
            rule: nullableString,
          },
        },
      },
    },
  },
} as const;

const testSignInView = (r: TestSignInRecord) => ({
  id: r.id,
  provider: r.scheme,
  status: r.status,
  createdAt: r.createdAt,
  expiresAt: r.expiresAt,
  startedAt: r.startedAt,
  finishedAt: r.finishedAt,
  outcome: r.outcome && {
    result: r.outcome.result,
    reason: r.outcome.reason ?? null,
    explanation: r.outcome.reason ? explainRefusal(r.outcome.reason) : null,
    claims: r.outcome.claims ?? null,
    subject: r.outcome.subject ? { rule: null, ...r.outcome.subject } : null,
  },
});

export async function testSignInRoutes(app: FastifyInstance, deps: AdminSurfaceDeps): Promise<void> {
  app.post<{ Params: { scheme: string } }>(
    '/sso/:scheme/test-signin',
    {
      schema: {
        tags: ['sso'],
        summary: 'Start a test sign-in through this provider: open the URL in a browser, then read the outcome',
        security: admin,
        params: {
          type: 'object',
          required: ['scheme'],
          properties: { scheme: { type: 'string', minLength: 1, maxLength: 64 } },
        },
        response: {
          201: {
            type: 'object',
            properties: {
              id: { type: 'string' },
              url: { type: 'string', description: 'Open once, within 10 minutes, in the browser that signs in' },
              expiresAt: timestamp,
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { record, url } = await createTestSignIn(
        deps,
        actorOf(request.principal!),
        tenantOf(request),
        request.params.scheme,
      );
      return reply
        .code(201)
        .header('cache-control', 'no-store')
        .send({ id: record.id, url, expiresAt: record.expiresAt });
    },
  );

  app.get<{ Params: { id: string } }>(
    '/sso/test-signins/:id',
    {
      schema: {
        tags: ['sso'],
        summary: "A test sign-in's outcome: the claims received and the subject resolved, or why it was refused",
        security: admin,
        params: {
          type: 'object',
          required: ['id'],
          properties: { id: { type: 'string', minLength: 1, maxLength: 64 } },
        },
        response: { 200: testSignInSchema, ...errorResponses },
      },
    },
    async (request) => testSignInView(await getTestSignIn(deps, tenantOf(request), request.params.id)),
  );
}
