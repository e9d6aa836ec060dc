// Tenant admin API: the role catalogue, group→role mappings, direct assignment and the settings' default role
// (ADR 0032, docs/roles.md).
import type { FastifyInstance } from 'fastify';
import { actorOf } from '../../core/auth/principal.ts';
import type { RoleMappingRecord, RoleRecord } from '../../core/roles/ports.ts';
import {
  createRole,
  createRoleMapping,
  deleteRole,
  deleteRoleMapping,
  listRoleMappings,
  listRoles,
  MAX_ROLES_PER_USER,
  setUserRoles,
} from '../../core/roles/roles.ts';
import { tenantOf } from '../auth.ts';
import { idParam, listOf } from './schemas.ts';
import { settingsRoutes } from './settings-routes.ts';
import { type AdminSurfaceDeps, errorResponses } from './surface.ts';

const security = [{ adminToken: [] }];
const tags = ['roles'];
const key = { type: 'string', minLength: 1, maxLength: 64 } as const;

const roleSchema = {
  type: 'object',
  properties: { key: { type: 'string' }, name: { type: 'string' }, createdAt: { type: 'string', format: 'date-time' } },
} as const;
const mappingSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    groupId: { type: 'string' },
    role: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
  },
} as const;

const roleView = (r: RoleRecord) => ({ key: r.key, name: r.name, createdAt: r.createdAt });
const mappingView = (m: RoleMappingRecord) => ({ id: m.id, groupId: m.groupId, role: m.role, createdAt: m.createdAt });

export async function roleRoutes(app: FastifyInstance, deps: AdminSurfaceDeps): Promise<void> {
  app.post<{ Body: { key: string; name: string } }>(
    '/roles',
    {
      schema: {
        tags,
        summary: 'Add a role to the tenant catalogue',
        security,
        body: {
          type: 'object',
          required: ['key', 'name'],
          additionalProperties: false,
          properties: { key, name: { type: 'string', minLength: 1, maxLength: 200 } },
        },
        response: { 201: roleSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const role = await createRole(deps, actorOf(request.principal!), tenantOf(request), request.body);
      return reply.code(201).send(roleView(role));
    },
  );

  app.get(
    '/roles',
    {
      schema: {
        tags,
        summary: 'List the tenant’s roles',
        security,
        response: { 200: listOf(roleSchema), ...errorResponses },
      },
    },
    async (request) => ({ items: (await listRoles(deps, tenantOf(request))).map(roleView) }),
  );

  app.delete<{ Params: { key: string } }>(
    '/roles/:key',
    {
      schema: {
        tags,
        summary: 'Delete a role; refused (409 role.in_use, uses listed) while it is assigned, mapped or a default',
        security,
        params: idParam('key'),
        response: { 204: { type: 'null' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      await deleteRole(deps, actorOf(request.principal!), tenantOf(request), request.params.key);
      return reply.code(204).send();
    },
  );

  app.post<{ Body: { groupId: string; role: string } }>(
    '/role-mappings',
    {
      schema: {
        tags,
        summary: 'Map a group to a role: its members, and members of groups nested in it, get the role',
        security,
        body: {
          type: 'object',
          required: ['groupId', 'role'],
          additionalProperties: false,
          properties: { groupId: { type: 'string', minLength: 1, maxLength: 128 }, role: key },
        },
        response: { 201: mappingSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const mapping = await createRoleMapping(deps, actorOf(request.principal!), tenantOf(request), request.body);
      return reply.code(201).send(mappingView(mapping));
    },
  );

  app.get(
    '/role-mappings',
    {
      schema: {
        tags,
        summary: 'List the tenant’s group→role mappings',
        security,
        response: { 200: listOf(mappingSchema), ...errorResponses },
      },
    },
    async (request) => ({ items: (await listRoleMappings(deps, tenantOf(request))).map(mappingView) }),
  );

  app.delete<{ Params: { id: string } }>(
    '/role-mappings/:id',
    {
      schema: {
        tags,
        summary: 'Remove a group→role mapping',
        security,
        params: idParam('id'),
        response: { 204: { type: 'null' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      await deleteRoleMapping(deps, actorOf(request.principal!), tenantOf(request), request.params.id);
      return reply.code(204).send();
    },
  );

  app.put<{ Params: { id: string }; Body: { roles: string[] } }>(
    '/directory/users/:id/roles',
    {
      schema: {
        tags,
        summary: 'Replace a user’s direct roles (roles mapped through groups come on top)',
        security,
        params: idParam('id'),
        body: {
          type: 'object',
          required: ['roles'],
          additionalProperties: false,
          properties: { roles: { type: 'array', maxItems: MAX_ROLES_PER_USER, items: key } },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              userId: { type: 'string' },
              roles: { type: 'array', items: { type: 'string' } },
              effectiveRoles: { type: 'array', items: { type: 'string' } },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) =>
      setUserRoles(deps, actorOf(request.principal!), tenantOf(request), request.params.id, request.body),
  );

  await settingsRoutes(app, deps);
}
