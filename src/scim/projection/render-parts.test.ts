import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { partsToObject, partsToText, type RenderPart, renderParts } from './render-parts.ts';

const meta = { resourceType: 'Group', location: 'https://x/Groups/g1', version: 'W/"3"' };

describe('renderParts', () => {
  it('puts id, the computed attribute when it has values, then meta', () => {
    const members = [{ value: 'u1', type: 'User' }];
    expect(renderParts({ id: 'g1', computed: { name: 'members', values: members }, meta })).toEqual([
      ['id', 'g1'],
      ['members', members],
      ['meta', meta],
    ]);
  });

  it.each([
    ['an emptied attribute (RFC 7643 §2.5: empty and absent are equal)', []],
    ['an attribute not read', undefined],
  ])('omits %s', (_name, values) => {
    expect(renderParts({ id: 'g1', computed: { name: 'members', values }, meta })).toEqual([
      ['id', 'g1'],
      ['meta', meta],
    ]);
  });
});

describe('partsToObject and partsToText', () => {
  const parts = renderParts({ id: 'u1', computed: { name: 'groups', values: [{ value: 'g1' }] }, meta });

  it('append the parts after the stored data', () => {
    const data = { schemas: ['urn:x'], userName: 'ada' };
    expect(Object.keys(partsToObject(data, parts))).toEqual(['schemas', 'userName', 'id', 'groups', 'meta']);
    expect(partsToText(JSON.stringify(data), parts)).toBe(
      '{"schemas":["urn:x"],"userName":"ada","id":"u1","groups":[{"value":"g1"}],"meta":' + `${JSON.stringify(meta)}}`,
    );
  });

  it('handle empty stored data', () => {
    expect(partsToText('{}', [['id', 'x']])).toBe('{"id":"x"}');
    expect(partsToObject({}, [['id', 'x']])).toEqual({ id: 'x' });
  });

  it('never mutate the stored data', () => {
    const data = Object.freeze({ userName: 'ada' });
    expect(partsToObject(data, parts)).not.toBe(data);
  });

  it('give the same bytes for any stored data and parts', () => {
    const reserved = new Set(['id', 'groups', 'meta', '__proto__']);
    const key = fc.string({ minLength: 1, maxLength: 8 }).filter((k) => !reserved.has(k));
    const data = fc.dictionary(key, fc.jsonValue(), { maxKeys: 6 });
    const partsArb = fc.record({
      id: fc.string(),
      values: fc.option(fc.array(fc.jsonValue(), { maxLength: 3 }), { nil: undefined }),
      meta: fc.dictionary(key, fc.jsonValue(), { maxKeys: 3 }),
    });
    fc.assert(
      fc.property(data, partsArb, (d, p) => {
        const ps: RenderPart[] = renderParts({
          id: p.id,
          computed: { name: 'groups', values: p.values },
          meta: p.meta,
        });
        expect(partsToText(JSON.stringify(d), ps)).toBe(JSON.stringify(partsToObject(d, ps)));
      }),
    );
  });
});
