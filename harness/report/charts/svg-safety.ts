/**
 * The check that a chart SVG is safe to inline in a page and to hand out as a file: nothing in its
 * markup can run or load anything. Only markup is judged (element names, attribute names and values);
 * text between tags is words people read (phase names, versions from the server under test, cell
 * ids), so `curl(7) build` or `2.0 onprem=1` there is harmless and passes.
 *
 * The SVG is read as a sequence of tags and text. Anything that is not a plain start or end tag —
 * a comment, CDATA, a processing instruction, an unquoted attribute, a stray `<` — is refused rather
 * than guessed at: the renderer writes none of them.
 */

const ELEMENT_PROBLEMS: Record<string, string> = {
  script: 'a script',
  style: 'a stylesheet',
  image: 'an embedded object',
  foreignobject: 'an embedded object',
  iframe: 'an embedded object',
  object: 'an embedded object',
  embed: 'an embedded object',
  audio: 'an embedded object',
  video: 'an embedded object',
  feimage: 'an embedded object',
  animate: 'an animation',
  animatemotion: 'an animation',
  animatetransform: 'an animation',
  set: 'an animation',
};

const NAME = '[A-Za-z_][\\w:.-]*';
const START_TAG = new RegExp(`<(${NAME})((?:\\s+${NAME}\\s*=\\s*(?:"[^"<]*"|'[^'<]*'))*)\\s*/?>`, 'y');
const END_TAG = new RegExp(`</(${NAME})\\s*>`, 'y');
const ATTRIBUTE = new RegExp(`(${NAME})\\s*=\\s*(?:"([^"]*)"|'([^']*)')`, 'g');

/** Throws, naming what it found, unless the SVG's markup is free of anything that could run or load. */
export function assertSelfContained(svg: string): void {
  const problems = new Set<string>();
  let at = svg.indexOf('<');
  while (at !== -1) {
    START_TAG.lastIndex = at;
    END_TAG.lastIndex = at;
    const start = START_TAG.exec(svg);
    const end = start ? null : END_TAG.exec(svg);
    const tag = start ?? end;
    if (!tag) {
      const context = JSON.stringify(svg.slice(at, at + 40));
      throw new Error(`chart SVG is not self-contained: markup the check cannot read at ${at}: ${context}`);
    }
    const element = (tag[1] ?? '').toLowerCase();
    const local = element.slice(element.lastIndexOf(':') + 1);
    const problem = ELEMENT_PROBLEMS[local];
    if (problem) problems.add(problem);
    if (start) for (const p of attributeProblems(start[2] ?? '')) problems.add(p);
    at = svg.indexOf('<', at + tag[0].length);
  }
  if (problems.size > 0) {
    throw new Error(`chart SVG is not self-contained: it has ${[...problems].join(', ')}`);
  }
}

function attributeProblems(attributes: string): string[] {
  const problems: string[] = [];
  for (const [, rawName = '', doubleQuoted, singleQuoted] of attributes.matchAll(ATTRIBUTE)) {
    const name = rawName.toLowerCase();
    const value = decodeEntities(doubleQuoted ?? singleQuoted ?? '');
    const local = name.slice(name.lastIndexOf(':') + 1);
    if (local.startsWith('on')) problems.push('an event handler');
    if ((local === 'href' || local === 'src') && !value.trimStart().startsWith('#')) {
      problems.push('an external link');
    }
    if (hasExternalUrl(value)) problems.push('an external url()');
    // CSS escapes (`u\72l(`) could spell what the checks look for; the renderer writes none.
    if (value.includes('\\')) problems.push('a CSS escape');
  }
  return problems;
}

/** A `url(...)` that is not a reference inside the document (`url(#id)`), or an `@import`. */
function hasExternalUrl(value: string): boolean {
  if (/@import/i.test(value)) return true;
  const parts = value.split(/url\(/i).slice(1);
  return parts.some((after) => !after.replace(/^[\s'"]+/, '').startsWith('#'));
}

/** Character references decoded, so `&#117;rl(` is judged as the `url(` it means. */
function decodeEntities(value: string): string {
  const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
  return value.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, ref: string) => {
    if (ref[0] !== '#') return named[ref.toLowerCase()] ?? whole;
    const code = ref[1] === 'x' || ref[1] === 'X' ? Number.parseInt(ref.slice(2), 16) : Number(ref.slice(1));
    return Number.isInteger(code) && code >= 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '';
  });
}
