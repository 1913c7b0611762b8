import { describe, expect, it } from 'vitest';
import { escapeXmlAttr, escapeXmlText, xmlAttrs } from './xml.js';

describe('xml escaping', () => {
  it('escapes markup in text', () => {
    expect(escapeXmlText(`a < b && c > "d" 'e'`)).toBe(`a &lt; b &amp;&amp; c &gt; "d" 'e'`);
  });

  it('escapes quotes and whitespace that attribute normalization would eat', () => {
    expect(escapeXmlAttr(`<"it's" & \t\n\r>`)).toBe('&lt;&quot;it&apos;s&quot; &amp; &#9;&#10;&#13;&gt;');
  });

  it('replaces characters XML 1.0 forbids, keeping astral characters', () => {
    expect(escapeXmlText('a\u0000b\u001Bc\uFFFEd\uDC00e😀')).toBe('a\uFFFDb\uFFFDc\uFFFDd\uFFFDe😀');
    expect(escapeXmlAttr('\u0007')).toBe('\uFFFD');
  });

  it('leaves out undefined attributes', () => {
    expect(xmlAttrs({ a: 'x&y', b: undefined, c: 3 })).toBe(' a="x&amp;y" c="3"');
  });
});
