/**
 * The little XML writing the reports need. Characters XML 1.0 forbids (most C0 controls, lone
 * surrogates, U+FFFE/U+FFFF) are replaced with U+FFFD so a stray byte in a log line cannot make
 * the whole file unparseable.
 */
const FORBIDDEN = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

const TEXT_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#13;' };
const ATTR_ENTITIES: Record<string, string> = {
  ...TEXT_ENTITIES,
  '"': '&quot;',
  "'": '&apos;',
  // Parsers turn raw tabs and newlines in attributes into spaces; character references survive.
  '\t': '&#9;',
  '\n': '&#10;',
};

/** Escapes element content. */
export function escapeXmlText(value: string): string {
  return value.replace(FORBIDDEN, '\uFFFD').replace(/[&<>\r]/g, (c) => TEXT_ENTITIES[c] ?? c);
}

/** Escapes an attribute value (for either quote style). */
export function escapeXmlAttr(value: string): string {
  return value.replace(FORBIDDEN, '\uFFFD').replace(/[&<>"'\t\n\r]/g, (c) => ATTR_ENTITIES[c] ?? c);
}

export type XmlAttrs = Record<string, string | number | undefined>;

/** ` a="1" b="x"`; undefined values are left out. */
export function xmlAttrs(attrs: XmlAttrs): string {
  return Object.entries(attrs)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([name, value]) => ` ${name}="${escapeXmlAttr(String(value))}"`)
    .join('');
}
