// What a full representation adds after the stored data, and the two ways of assembling it (object and JSON text).
// Both renderers go through `renderParts`, so a rule about what appears cannot hold for one and not the other.

type Json = Record<string, unknown>;

/** One top-level attribute that follows the stored data, in response order. */
export type RenderPart = readonly [name: string, value: unknown];

export interface RenderInput {
  readonly id: string;
  /** The computed multi-valued attribute (`groups`, `members`); `values` undefined when it was not read. */
  readonly computed: { readonly name: string; readonly values: readonly unknown[] | undefined };
  readonly meta: Json;
}

/**
 * `id`, then the computed attribute when it has values, then `meta`. RFC 7643 §2.5: an empty multi-valued
 * attribute and an absent one are the same; Roster omits it, as most clients expect. The stored data never
 * holds an empty list either (the validator and the PATCH engine drop them), so no emptied attribute is sent.
 */
export function renderParts(input: RenderInput): RenderPart[] {
  const parts: RenderPart[] = [['id', input.id]];
  const { name, values } = input.computed;
  if (values !== undefined && values.length > 0) parts.push([name, values]);
  parts.push(['meta', input.meta]);
  return parts;
}

/** The stored data followed by the parts, as an object (later keys of the same name win, as in a spread). */
export function partsToObject(data: Readonly<Json>, parts: readonly RenderPart[]): Json {
  const out: Json = { ...data };
  for (const [name, value] of parts) out[name] = value;
  return out;
}

/**
 * The same representation as JSON text, from the stored data's own JSON text (an object): byte for byte what
 * `JSON.stringify(partsToObject(JSON.parse(dataText), parts))` gives when the data has none of the parts' names.
 */
export function partsToText(dataText: string, parts: readonly RenderPart[]): string {
  const inner = dataText.slice(1, -1);
  let text = `{${inner}`;
  let first = inner === '';
  for (const [name, value] of parts) {
    text += `${first ? '' : ','}${JSON.stringify(name)}:${JSON.stringify(value)}`;
    first = false;
  }
  return `${text}}`;
}
