// The directory API (issue 11, item 4): a tenant's users, groups and members as plain JSON for the vendor's backend,
// with the admin token (its tenant) or the operator token plus ?tenantId= (ADR 0021).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  getDirectoryGroup,
  getDirectoryUser,
  listDirectoryGroups,
  listDirectoryMembers,
  listDirectoryUsers,
} from '../../core/directory/directory.ts';
import { directoryTenant } from '../../core/directory/tenant.ts';
import { type AdminSurfaceDeps, errorResponses } from './surface.ts';

const security = [{ adminToken: [] }, { operatorToken: [] }];
const tags = ['directory'];

const nullableString = { type: ['string', 'null'] } as const;

const directoryUserSchema = {
  type: 'object',
  required: [
    'id',
    'tenantId',
    'externalId',
    'userName',
    'displayName',
    'givenName',
    'familyName',
    'email',
    'emails',
    'active',
    'groups',
    'roles',
    'createdAt',
    'updatedAt',
    'scim',
  ],
  properties: {
    id: { type: 'string' },
    tenantId: { type: 'string' },
    externalId: nullableString,
    userName: nullableString,
    displayName: nullableString,
    givenName: nullableString,
    familyName: nullableString,
    email: { ...nullableString, description: 'The primary email, else the first one' },
    emails: {
      type: 'array',
      items: {
        type: 'object',
        properties: { value: nullableString, type: nullableString, primary: { type: 'boolean' } },
      },
    },
    active: { type: 'boolean' },
    groups: {
      type: 'array',
      description: 'Direct memberships',
      items: { type: 'object', properties: { id: { type: 'string' }, displayName: { type: 'string' } } },
    },
    roles: {
      type: 'array',
      description: 'Effective role keys: direct roles and roles mapped to any group the user is in, nested included',
      items: { type: 'string' },
    },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
    scim: {
      type: 'object',
      additionalProperties: true,
      description: 'The SCIM representation, as GET /Users/{id} of the SCIM API answers it',
    },
  },
} as const;

const directoryGroupSchema = {
  type: 'object',
  required: ['id', 'tenantId', 'externalId', 'displayName', 'memberCount', 'createdAt', 'updatedAt'],
  properties: {
    id: { type: 'string' },
    tenantId: { type: 'string' },
    externalId: nullableString,
    displayName: nullableString,
    memberCount: { type: 'integer', description: 'Direct members, users and groups' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
} as const;

const memberSchema = {
  type: 'object',
  required: ['id', 'type', 'displayName'],
  properties: {
    id: { type: 'string' },
    type: { type: 'string', enum: ['user', 'group'] },
    displayName: { ...nullableString, description: "A user's displayName (else its userName), a group's displayName" },
  },
} as const;

const listOf = (items: object) => ({
  type: 'object',
  required: ['data', 'nextCursor', 'eventCursor'],
  properties: {
    data: { type: 'array', items },
    nextCursor: { ...nullableString, description: 'Pass as cursor for the next page; null on the last page' },
    eventCursor: {
      type: 'string',
      description:
        'The feed position this listing is consistent with (the same on every page of one listing): follow GET /iam/v1/events?after= from it',
    },
  },
});

const tenantIdParam = {
  tenantId: {
    type: 'string',
    maxLength: 128,
    description: 'Required with the operator token; the admin token reads its own tenant',
  },
};
const pageParams = {
  ...tenantIdParam,
  cursor: { type: 'string', maxLength: 1024, description: 'The nextCursor of the previous page' },
  limit: { type: 'string', pattern: '^[0-9]{1,4}$', description: '1 to 1000, default 100' },
};
const exact = (description: string) => ({ type: 'string', minLength: 1, maxLength: 512, description });
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 128 } } };

type Page = { tenantId?: string; cursor?: string; limit?: string };
type UserQuery = Page & {
  userName?: string;
  email?: string;
  externalId?: string;
  groupId?: string;
  active?: 'true' | 'false';
};

const listRequest = (q: Page) => ({
  cursor: q.cursor,
  limit: q.limit === undefined ? undefined : Number(q.limit),
});

export async function directoryRoutes(app: FastifyInstance, deps: AdminSurfaceDeps): Promise<void> {
  const tenant = (req: FastifyRequest<{ Querystring: { tenantId?: string } }>) =>
    directoryTenant(deps.store.tenants, req.principal!, req.query.tenantId);

  app.get<{ Querystring: UserQuery }>(
    '/directory/users',
    {
      schema: {
        tags,
        summary: "The tenant's directory users in id order, with exact-match filters",
        security,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...pageParams,
            userName: exact('userName, compared case-insensitively as SCIM does'),
            email: exact("Any of the user's emails, compared case-insensitively (emails.value is caseExact=false)"),
            externalId: exact('externalId, compared exactly'),
            groupId: exact('Users who are direct members of this group'),
            active: { type: 'string', enum: ['true', 'false'] },
          },
        },
        response: { 200: listOf(directoryUserSchema), ...errorResponses },
      },
    },
    async (req) => {
      const q = req.query;
      return listDirectoryUsers(deps, await tenant(req), {
        ...listRequest(q),
        filter: {
          userName: q.userName,
          email: q.email,
          externalId: q.externalId,
          groupId: q.groupId,
          active: q.active === undefined ? undefined : q.active === 'true',
        },
      });
    },
  );

  app.get<{ Querystring: { tenantId?: string }; Params: { id: string } }>(
    '/directory/users/:id',
    {
      schema: {
        tags,
        summary: 'One directory user',
        security,
        params: idParams,
        querystring: { type: 'object', additionalProperties: false, properties: tenantIdParam },
        response: { 200: directoryUserSchema, ...errorResponses },
      },
    },
    async (req) => getDirectoryUser(deps, await tenant(req), req.params.id),
  );

  app.get<{ Querystring: Page & { displayName?: string } }>(
    '/directory/groups',
    {
      schema: {
        tags,
        summary: "The tenant's directory groups in id order",
        security,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { ...pageParams, displayName: exact('displayName, compared case-insensitively as SCIM does') },
        },
        response: { 200: listOf(directoryGroupSchema), ...errorResponses },
      },
    },
    async (req) =>
      listDirectoryGroups(deps, await tenant(req), { ...listRequest(req.query), displayName: req.query.displayName }),
  );

  app.get<{ Querystring: { tenantId?: string }; Params: { id: string } }>(
    '/directory/groups/:id',
    {
      schema: {
        tags,
        summary: 'One directory group, with its member count',
        security,
        params: idParams,
        querystring: { type: 'object', additionalProperties: false, properties: tenantIdParam },
        response: { 200: directoryGroupSchema, ...errorResponses },
      },
    },
    async (req) => getDirectoryGroup(deps, await tenant(req), req.params.id),
  );

  app.get<{ Querystring: Page; Params: { id: string } }>(
    '/directory/groups/:id/members',
    {
      schema: {
        tags,
        summary: "A group's direct members (users and groups) in id order",
        security,
        params: idParams,
        querystring: { type: 'object', additionalProperties: false, properties: pageParams },
        response: { 200: listOf(memberSchema), ...errorResponses },
      },
    },
    async (req) => listDirectoryMembers(deps, await tenant(req), req.params.id, listRequest(req.query)),
  );
}
