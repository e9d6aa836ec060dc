// Attribute references shared by filters, PATCH paths and attributes= / excludedAttributes= / sortBy.

/**
 * `urn:…:User:name.givenName` → { schema: 'urn:…:User', attribute: 'name', subAttribute: 'givenName' }.
 * As parsed, names keep the client's spelling; after a check against the registry they carry the canonical
 * spelling and `schema` is always set.
 */
export interface AttrRef {
  readonly schema?: string | undefined;
  readonly attribute: string;
  readonly subAttribute?: string | undefined;
}
