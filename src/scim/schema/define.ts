// Compact constructors for attribute definitions: RFC 7643 §7 defaults spelled once, overrides per attribute.
import type { AttributeDefinition } from './types.ts';

type Options = Partial<Omit<AttributeDefinition, 'name' | 'type' | 'subAttributes'>>;

function freeze(def: AttributeDefinition): AttributeDefinition {
  return Object.freeze({
    ...def,
    ...(def.subAttributes ? { subAttributes: Object.freeze([...def.subAttributes]) } : {}),
  });
}

/** RFC 7643 §2.2 defaults: not required, not caseExact, readWrite, returned default, uniqueness none. */
export function attr(
  name: string,
  type: AttributeDefinition['type'],
  description: string,
  options: Options = {},
): AttributeDefinition {
  return freeze({
    name,
    type,
    multiValued: false,
    description,
    required: false,
    caseExact: false,
    mutability: 'readWrite',
    returned: 'default',
    uniqueness: 'none',
    ...(type === 'reference' ? { referenceTypes: ['external'] } : {}),
    ...options,
  });
}

export function complex(
  name: string,
  description: string,
  subAttributes: readonly AttributeDefinition[],
  options: Options = {},
): AttributeDefinition {
  return freeze({ ...attr(name, 'complex', description, options), subAttributes });
}

/** A multi-valued complex attribute with the RFC 7643 §2.4 sub-attributes value/display/type/primary. */
export function multi(
  name: string,
  description: string,
  types: readonly string[],
  options: {
    valueType?: AttributeDefinition['type'];
    valueCaseExact?: boolean;
    extra?: readonly AttributeDefinition[];
  } = {},
): AttributeDefinition {
  const subs: AttributeDefinition[] = [
    attr('value', options.valueType ?? 'string', `The value of the ${name} entry.`, {
      caseExact: options.valueCaseExact ?? false,
    }),
    attr('display', 'string', 'A human-readable name, primarily used for display purposes.'),
    attr(
      'type',
      'string',
      `A label indicating the ${name} entry's function.`,
      types.length > 0 ? { canonicalValues: types } : {},
    ),
    attr('primary', 'boolean', 'Indicates the primary or preferred value for this attribute.'),
    ...(options.extra ?? []),
  ];
  return freeze({ ...attr(name, 'complex', description, { multiValued: true }), subAttributes: subs });
}
