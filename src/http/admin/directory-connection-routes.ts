// Tenant admin API: directory connections (ADR 0043), SCIM-only connections a SCIM token can name. `{ref}` in a
// path is the connection's id or its scheme.
import type { FastifyInstance } from 'fastify';
import { actorOf } from '../../core/auth/principal.ts';
import {
  type CreateDirectoryInput,
  createDirectoryConnection,
  deleteDirectoryConnection,
  getDirectoryConnection,
  listDirectoryConnections,
  renameDirectoryConnection,
} from '../../core/directories/connections.ts';
import type { DirectoryConnectionRecord } from '../../core/directories/records.ts';
import { tenantOf } from '../auth.ts';
import { createDirectoryBody, directorySchema, idParam, listOf, patchDirectoryBody } from './schemas.ts';
import { type AdminSurfaceDeps, errorResponses } from './surface.ts';

const admin = [{ adminToken: [] }];
const tags = ['directories'];
const refParam = idParam('ref');

export async function directoryConnectionRoutes(app: FastifyInstance, deps: AdminSurfaceDeps): Promise<void> {
  const view = (r: DirectoryConnectionRecord) => ({
    id: r.id,
    scheme: r.scheme,
    displayName: r.displayName,
    type: r.type,
    scimBaseUrl: `${deps.publicUrl}/${r.tenantId}/api/scim/v2`,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  });

  app.post<{ Body: CreateDirectoryInput }>(
    '/directories',
    {
      schema: {
        tags,
        summary: 'Create a directory connection: a SCIM-only connection SCIM tokens can name (no SSO provider needed)',
        security: admin,
        body: createDirectoryBody,
        response: { 201: directorySchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const record = await createDirectoryConnection(
        deps,
        actorOf(request.principal!),
        tenantOf(request),
        request.body,
      );
      return reply.code(201).send(view(record));
    },
  );

  app.get(
    '/directories',
    {
      schema: {
        tags,
        summary: 'List directory connections',
        security: admin,
        response: { 200: listOf(directorySchema), ...errorResponses },
      },
    },
    async (request) => ({ items: (await listDirectoryConnections(deps, tenantOf(request))).map(view) }),
  );

  app.get<{ Params: { ref: string } }>(
    '/directories/:ref',
    {
      schema: {
        tags,
        summary: 'Read a directory connection by id or scheme',
        security: admin,
        params: refParam,
        response: { 200: directorySchema, ...errorResponses },
      },
    },
    async (request) => view(await getDirectoryConnection(deps, tenantOf(request), request.params.ref)),
  );

  app.patch<{ Params: { ref: string }; Body: { displayName: string } }>(
    '/directories/:ref',
    {
      schema: {
        tags,
        summary: "Rename a directory connection (its scheme and type don't change)",
        security: admin,
        params: refParam,
        body: patchDirectoryBody,
        response: { 200: directorySchema, ...errorResponses },
      },
    },
    async (request) =>
      view(
        await renameDirectoryConnection(
          deps,
          actorOf(request.principal!),
          tenantOf(request),
          request.params.ref,
          request.body.displayName,
        ),
      ),
  );

  app.delete<{ Params: { ref: string } }>(
    '/directories/:ref',
    {
      schema: {
        tags,
        summary: 'Delete a directory connection; refused (409) while SCIM tokens name it; provisioned users stay',
        security: admin,
        params: refParam,
        response: { 204: { type: 'null' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      await deleteDirectoryConnection(deps, actorOf(request.principal!), tenantOf(request), request.params.ref);
      return reply.code(204).send();
    },
  );
}
