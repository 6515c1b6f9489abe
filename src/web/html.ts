/**
 * A tiny HTML builder: `html` escapes every interpolated value unless it is already Html.
 * Names, paths, patterns and meanings come from customer logs and from users, so nothing
 * reaches a page unescaped by accident.
 */

export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

type Value = Html | string | number | boolean | null | undefined | ReadonlyArray<Value>;

function render(v: Value): string {
  if (v === null || v === undefined || v === false || v === true) return '';
  if (v instanceof Html) return v.value;
  if (Array.isArray(v)) return (v as ReadonlyArray<Value>).map(render).join('');
  return escapeHtml(String(v));
}

export function html(strings: TemplateStringsArray, ...values: Value[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return new Html(out);
}

/** Trusted markup built by this module's callers (e.g. a joined list of Html). */
export const raw = (s: string) => new Html(s);

/** A path segment for a link: encoded so that "/", "?" and "#" in a name stay in the name. */
export const seg = (s: string) => encodeURIComponent(s);
