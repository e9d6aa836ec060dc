import { describe, expect, it } from 'vitest';
import { type PlannedLookup, planLookup, prefetchedFor } from './prefetch.ts';

const now = new Date('2026-12-07T00:00:00Z');
const lookup = { filter: 'userName eq "Ada@contoso.example"' };

describe('planLookup (ADR 0055)', () => {
  it('plans the first page of an `attr eq "string"` lookup, with the parse the list request reuses', () => {
    const planned = planLookup('User', { ...lookup, startIndex: '1', count: '100' }, now);
    expect(planned).toMatchObject({ resourceType: 'User', count: 100, filter: { kind: 'compare', op: 'eq' } });
    expect(planned?.filter).toMatchObject({ value: 'Ada@contoso.example' });
    expect(planned?.parsed.query.filter).toBe(planned?.filter);
    expect(planLookup('Group', { filter: 'displayName eq "Sales"' }, now)?.count).toBe(100);
  });

  it.each([
    ['no filter', { count: '2' }],
    ['a later page', { ...lookup, startIndex: '2' }],
    ['a count only', { ...lookup, count: '0' }],
    ['a sort', { ...lookup, sortBy: 'userName' }],
    ['descending', { ...lookup, sortOrder: 'descending' }],
    ['a cursor', { ...lookup, cursor: '' }],
    ['another operator', { filter: 'userName sw "ada"' }],
    ['a boolean', { filter: 'active eq true' }],
    ['a logical filter', { filter: 'userName eq "a" or userName eq "b"' }],
    ['a filter the route refuses (it reports the error itself)', { filter: 'userName eq' }],
    ['an unknown attribute', { filter: 'nope eq "x"' }],
    ['a repeated parameter', { filter: ['userName eq "a"', 'userName eq "b"'] }],
  ])('plans nothing for %s', (_name, params) => {
    expect(planLookup('User', params, now)).toBeUndefined();
  });
});

describe('prefetchedFor', () => {
  const params = { ...lookup, count: '5' };
  const prefetched = {
    planned: planLookup('User', params, now) as PlannedLookup,
    result: { total: 0, items: [], last: undefined },
  };

  it('serves the page to the search it was planned from, and to no other', () => {
    expect(prefetchedFor(prefetched, 'User', { ...params })).toBe(prefetched);
    expect(prefetchedFor(undefined, 'User', params)).toBeUndefined();
    expect(prefetchedFor(prefetched, 'Group', params)).toBeUndefined();
    expect(prefetchedFor(prefetched, 'User', { ...params, count: '6' })).toBeUndefined();
    expect(
      prefetchedFor(prefetched, 'User', { ...params, filter: 'userName eq "bob@contoso.example"' }),
    ).toBeUndefined();
    expect(prefetchedFor(prefetched, 'User', { ...params, startIndex: '1' })).toBeUndefined();
    expect(prefetchedFor(prefetched, 'User', { ...params, sortBy: 'userName' })).toBeUndefined();
  });
});
