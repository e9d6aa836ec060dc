// The console's one way to write HTML: a tagged template that escapes every interpolated value unless it is
// markup this module made itself, so "all output is escaped" holds by construction rather than by care.
import { escapeHtml } from '../../lib/html.ts';

export class Markup {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

type Value = Markup | string | number | boolean | null | undefined | readonly Value[];

function render(value: Value): string {
  if (value instanceof Markup) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: Value[]): Markup {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i] as Value) + strings[i + 1]!;
  return new Markup(out);
}

/** ` selected` on an <option> whose value is the one chosen, nothing otherwise. */
export function selectedIf(on: boolean): Markup {
  return on ? html` selected` : html``;
}

/** ` checked` on a checkbox that is ticked, nothing otherwise. */
export function checkedIf(on: boolean): Markup {
  return on ? html` checked` : html``;
}

/** Formats an ISO time for people, in UTC (the server does not know the reader's zone). */
export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}
