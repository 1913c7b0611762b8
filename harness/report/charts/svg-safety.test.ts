import { describe, expect, it } from 'vitest';
import { assertSelfContained } from './svg-safety.js';

const open =
  '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10">';
const svg = (body: string) => `${open}${body}</svg>`;

describe('assertSelfContained', () => {
  it('lets through what the renderer writes: shapes, in-document references, text of any wording', () => {
    const ok = svg(
      '<title>Request rate</title><defs><clipPath id="uh1-0"><path d="M0 0L1 1Z"/></clipPath></defs>' +
        '<g clip-path="url(#uh1-0)"><rect width="1" height="1" fill="url( \'#uh1-0\' )" style="font-size:12px;"></rect></g>' +
        '<use xlink:href="#uh1-0"/>' +
        // Versions come from the server under test and become legend text.
        '<text x="1" y="2" xml:space="preserve">curl(7) build</text><text>2.0 onprem=1</text>' +
        '<text>see href="http://x" and url(http://x) &lt;script&gt; onload=1 @import</text>',
    );
    expect(() => assertSelfContained(ok)).not.toThrow();
  });

  it.each([
    ['a script element', svg('<script>alert(1)</script>'), 'a script'],
    ['a namespaced script', svg('<svg:script>alert(1)</svg:script>'), 'a script'],
    ['an event handler', svg('<rect onload="alert(1)"/>'), 'an event handler'],
    ['an event handler in any case', svg('<rect ONCLICK="alert(1)"/>'), 'an event handler'],
    ['an outside link', svg('<a href="https://example.com/"><text>x</text></a>'), 'an external link'],
    ['an outside xlink', svg('<use xlink:href="other.svg#a"/>'), 'an external link'],
    ['a javascript link', svg('<a href="javascript:alert(1)">x</a>'), 'an external link'],
    ['an outside url()', svg('<rect fill="url(https://example.com/x)"/>'), 'an external url()'],
    ['a quoted outside url()', svg('<rect style="fill:url(\'x.svg#a\')"/>'), 'an external url()'],
    ['an encoded url()', svg('<rect style="fill:&#117;rl(x.svg)"/>'), 'an external url()'],
    ['a CSS escape', svg('<rect style="fill:u\\72l(x.svg)"/>'), 'a CSS escape'],
    ['an image', svg('<image width="1" height="1"/>'), 'an embedded object'],
    ['a foreignObject', svg('<foreignObject><div/></foreignObject>'), 'an embedded object'],
    ['a stylesheet', svg('<style>rect{fill:red}</style>'), 'a stylesheet'],
    ['an animation of an attribute', svg('<set attributeName="href" to="x"/>'), 'an animation'],
  ])('refuses %s', (_what, markup, problem) => {
    expect(() => assertSelfContained(markup)).toThrow(`chart SVG is not self-contained: it has ${problem}`);
  });

  it.each([
    ['a comment', svg('<!-- <script>alert(1)</script> -->')],
    ['CDATA', svg('<text><![CDATA[x]]></text>')],
    ['a doctype', `<!DOCTYPE svg [<!ENTITY x "y">]>${svg('')}`],
    ['an unquoted attribute', svg('<rect onload=alert(1) />')],
    ['an attribute without a value', svg('<rect hidden/>')],
    ['a stray <', svg('<text>1 < 2</text>')],
  ])('refuses markup it cannot read: %s', (_what, markup) => {
    expect(() => assertSelfContained(markup)).toThrow(/markup the check cannot read/);
  });
});
