// Form input meets the very JSON schemas the admin API validates bodies with, so a field the API refuses is refused
// here too, with the message shown next to the field (the console adds no rules of its own).
import { Ajv, type ErrorObject } from 'ajv';
import type { FieldProblem } from '../../core/errors.ts';
import { azureadProviderBody, createScimTokenBody, oidcProviderBody } from '../admin/schemas.ts';

const ajv = new Ajv({ allErrors: true, strict: false });
const validators = {
  ssoProvider: ajv.compile(azureadProviderBody),
  oidcProvider: ajv.compile(oidcProviderBody),
  scimToken: ajv.compile(createScimTokenBody),
};

function fieldOf(error: ErrorObject): string {
  const path = error.instancePath.replace(/^\//, '').replaceAll('/', '.');
  const missing = (error.params as { missingProperty?: string }).missingProperty;
  return missing ? (path ? `${path}.${missing}` : missing) : path;
}

function messageOf(error: ErrorObject): string {
  switch (error.keyword) {
    case 'required':
      return 'is required';
    case 'minLength':
      return 'must not be empty';
    case 'maxLength':
      return `must be at most ${(error.params as { limit: number }).limit} characters`;
    default:
      return error.message ?? 'is not valid';
  }
}

export function schemaProblems(kind: keyof typeof validators, input: unknown): FieldProblem[] {
  const validate = validators[kind];
  if (validate(input)) return [];
  return (validate.errors ?? []).map((e) => ({ field: fieldOf(e), message: messageOf(e) }));
}
