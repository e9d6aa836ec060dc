// Bulk (RFC 7644 §3.7): operations run in order through the same use cases; bulkId references resolve to new ids.
import type { FastifyInstance } from 'fastify';
import { scimErrors } from '../../scim/errors.ts';
import { errorDocument, operationError, ScimSurfaceError } from './errors.ts';
import { groupBinding, type ResourceBinding, userBinding } from './resources.ts';
import { caller, type ScimSurfaceDeps } from './surface.ts';

export const BULK_LIMITS = { maxOperations: 1000 } as const;

const BULK_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
const BULK_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:BulkResponse';

interface BulkOperation {
  method: string;
  bulkId?: string;
  version?: string;
  path: string;
  data?: unknown;
}

/** Replaces every "bulkId:<id>" string inside data with the id that operation created (RFC 7644 §3.7.2). */
function resolveBulkIds(value: unknown, created: ReadonlyMap<string, string>): unknown {
  if (typeof value === 'string' && value.startsWith('bulkId:')) {
    const id = created.get(value.slice('bulkId:'.length));
    if (id === undefined)
      throw scimErrors.invalidValue(`${value.slice(0, 80)} does not name an earlier successful operation`);
    return id;
  }
  if (Array.isArray(value)) return value.map((v) => resolveBulkIds(v, created));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = resolveBulkIds(v, created);
    return out;
  }
  return value;
}

function route(path: string): { binding: ResourceBinding; id: string | undefined } {
  const [, endpoint, id, extra] = path.split('/');
  const binding = endpoint === 'Users' ? userBinding : endpoint === 'Groups' ? groupBinding : undefined;
  if (!binding || extra !== undefined || (id !== undefined && id.length === 0)) {
    throw scimErrors.invalidPath('path must be /Users, /Groups, /Users/{id} or /Groups/{id}');
  }
  return { binding, id };
}

function parseOperations(body: unknown): { operations: BulkOperation[]; failOnErrors: number | undefined } {
  const b = body as { schemas?: unknown; Operations?: unknown; failOnErrors?: unknown };
  if (!Array.isArray(b.schemas) || !b.schemas.includes(BULK_REQUEST)) {
    throw scimErrors.invalidSyntax(`a bulk request must list ${BULK_REQUEST} in schemas`);
  }
  if (!Array.isArray(b.Operations)) throw scimErrors.invalidSyntax('Operations must be an array');
  // RFC 7644 §3.7.4: more operations than maxOperations → 413.
  if (b.Operations.length > BULK_LIMITS.maxOperations) {
    throw new ScimSurfaceError('request.too_large', `at most ${BULK_LIMITS.maxOperations} operations per bulk request`);
  }
  const failOnErrors = b.failOnErrors;
  if (failOnErrors !== undefined && (!Number.isInteger(failOnErrors) || (failOnErrors as number) < 1)) {
    throw scimErrors.invalidValue('failOnErrors must be a positive integer');
  }
  const operations = b.Operations.map((op, i): BulkOperation => {
    const o = op as Record<string, unknown>;
    if (o === null || typeof o !== 'object') throw scimErrors.invalidSyntax(`Operations[${i}] must be an object`);
    if (typeof o.method !== 'string' || typeof o.path !== 'string') {
      throw scimErrors.invalidSyntax(`Operations[${i}] needs a method and a path`);
    }
    if (o.bulkId !== undefined && typeof o.bulkId !== 'string')
      throw scimErrors.invalidSyntax(`Operations[${i}].bulkId must be a string`);
    return {
      method: o.method.toUpperCase(),
      path: o.path,
      data: o.data,
      ...(typeof o.bulkId === 'string' ? { bulkId: o.bulkId } : {}),
      ...(typeof o.version === 'string' ? { version: o.version } : {}),
    };
  });
  return { operations, failOnErrors: failOnErrors as number | undefined };
}

export function registerBulk(app: FastifyInstance, deps: ScimSurfaceDeps): void {
  app.post('/Bulk', async (request, reply) => {
    const who = caller(request);
    const { operations, failOnErrors } = parseOperations(request.body);
    const created = new Map<string, string>();
    const results: Record<string, unknown>[] = [];
    let errors = 0;
    for (const op of operations) {
      if (failOnErrors !== undefined && errors >= failOnErrors) break;
      const base = { method: op.method, ...(op.bulkId !== undefined ? { bulkId: op.bulkId } : {}) };
      try {
        const { binding, id } = route(op.path);
        const data = resolveBulkIds(op.data, created);
        const location = (rid: string) => `${request.scimBaseUrl}${binding.endpoint}/${rid}`;
        if (op.method === 'POST' && id === undefined) {
          if (op.bulkId === undefined) throw scimErrors.invalidSyntax('POST operations need a bulkId');
          const r = await binding.create(deps, who, data);
          created.set(op.bulkId, r.id);
          results.push({ ...base, location: location(r.id), version: `W/"${r.version}"`, status: '201' });
        } else if (op.method === 'PUT' && id !== undefined) {
          const r = await binding.replace(deps, who, id, data, op.version);
          results.push({ ...base, location: location(r.id), version: `W/"${r.version}"`, status: '200' });
        } else if (op.method === 'PATCH' && id !== undefined) {
          const r = await binding.patch(deps, who, id, data, op.version);
          // RFC 7644 §3.7.3: an entry carries the HTTP status; a Bulk operation names no `attributes`, so a group
          // PATCH is "204" as on its own endpoint, with location and version (its headers) and no response.
          results.push({
            ...base,
            location: location(r.resource.id),
            version: `W/"${r.resource.version}"`,
            status: binding.unprojectedPatchAnswer === 'no-content' ? '204' : '200',
          });
        } else if (op.method === 'DELETE' && id !== undefined) {
          await binding.delete(deps, who, id, op.version);
          results.push({ ...base, location: location(id), status: '204' });
        } else {
          throw scimErrors.invalidSyntax(`${op.method.slice(0, 10)} is not valid for ${op.path.slice(0, 80)}`);
        }
      } catch (error) {
        const failed = operationError(error);
        if (!failed) throw error;
        errors++;
        results.push({ ...base, status: String(failed.status), response: errorDocument(failed) });
      }
    }
    request.scimLog = { operation: 'bulk', summary: { operations: results.length } };
    return reply.send({ schemas: [BULK_RESPONSE], Operations: results });
  });
}
