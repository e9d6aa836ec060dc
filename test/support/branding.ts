// Logos for the branding tests (ADR 0035): real images, small enough to embed.
import type { Locator } from 'playwright-core';

/** A 1×1 PNG. */
export const PNG_LOGO =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';

/** A square SVG. */
export const SVG_LOGO = `data:image/svg+xml;base64,${Buffer.from(
  '<svg xmlns="http://www.w3.org/2000/svg" width="32" height="32"><rect width="32" height="32" fill="#0b3d91"/></svg>',
).toString('base64')}`;

/** The browser's computed style of one property of the element (tests run without the DOM types). */
export function computed(locator: Locator, property: 'color' | 'backgroundColor'): Promise<string> {
  type Window = { getComputedStyle(element: unknown): Record<string, string> };
  return locator.evaluate((element, p) => (globalThis as unknown as Window).getComputedStyle(element)[p]!, property);
}

/** Whether an image decoded: its natural width in pixels. */
export const naturalWidth = (locator: Locator): Promise<number> =>
  locator.evaluate((element) => (element as unknown as { naturalWidth: number }).naturalWidth);
