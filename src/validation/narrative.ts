// Narrative rules txt-1 (well-formed XHTML, basic HTML subset only) and txt-2 (some content). https://hl7.org/fhir/R4/narrative.html#xhtml
import { XMLParser, XMLValidator } from 'fast-xml-parser';

const XhtmlNs = 'http://www.w3.org/1999/xhtml';

/** The HTML 4.0 formatting elements R4 allows (chapters 7-11 and 15, <a>, images); anything else (script, iframe, form, object, style...) is refused. */
const Elements = new Set(
  'a abbr acronym address b bdo big blockquote br caption cite code col colgroup dd dfn div dl dt em h1 h2 h3 h4 h5 h6 hr i img kbd li map area ol p pre q samp small span strong sub sup table tbody td tfoot th thead tr tt ul var'.split(' '),
);
const CommonAttributes = new Set(['title', 'style', 'class', 'id', 'lang', 'xml:lang', 'dir', 'accesskey', 'tabindex']);
const ElementAttributes: Record<string, string[]> = {
  a: ['href', 'name', 'rel', 'rev', 'hreflang', 'type'],
  img: ['src', 'alt', 'height', 'width', 'border', 'longdesc', 'usemap', 'align', 'hspace', 'vspace'],
  table: ['summary', 'width', 'border', 'frame', 'rules', 'cellspacing', 'cellpadding', 'align'],
  td: ['abbr', 'axis', 'headers', 'scope', 'rowspan', 'colspan', 'align', 'valign', 'char', 'charoff', 'width', 'height', 'nowrap'],
  col: ['span', 'width', 'align', 'valign', 'char', 'charoff'],
  tr: ['align', 'valign', 'char', 'charoff'],
  ol: ['start', 'type', 'compact'],
  ul: ['type', 'compact'],
  li: ['value', 'type'],
  blockquote: ['cite'],
  q: ['cite'],
  area: ['shape', 'coords', 'href', 'nohref', 'alt'],
  map: ['name'],
  div: ['xmlns', 'align'],
  p: ['align'],
  h1: ['align'],
  pre: ['width'],
};
for (const [alias, base] of [['th', 'td'], ['colgroup', 'col'], ['thead', 'tr'], ['tbody', 'tr'], ['tfoot', 'tr'], ['h2', 'h1'], ['h3', 'h1'], ['h4', 'h1'], ['h5', 'h1'], ['h6', 'h1']]) {
  ElementAttributes[alias] = ElementAttributes[base];
}

const parser = new XMLParser({ preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: '', processEntities: false, trimValues: false, allowBooleanAttributes: false });

type Node = Record<string, unknown> & { ':@'?: Record<string, string> };

/** Why `div` breaks txt-1 ('txt-1', detail) or txt-2 ('txt-2'), or undefined when it is a valid narrative. */
export function narrativeProblem(div: string): { rule: 'txt-1'; detail: string } | { rule: 'txt-2' } | undefined {
  if (/<!DOCTYPE|<!ENTITY|<\?/i.test(div)) return { rule: 'txt-1', detail: 'no DOCTYPE, entity declarations or processing instructions' };
  const wellFormed = XMLValidator.validate(div);
  if (wellFormed !== true) return { rule: 'txt-1', detail: `not well-formed XML (line ${wellFormed.err.line})` };
  const roots = (parser.parse(div) as Node[]).filter((n) => !('#text' in n && String(n['#text']).trim() === ''));
  if (roots.length !== 1 || !('div' in roots[0])) return { rule: 'txt-1', detail: 'the narrative must be exactly one <div> element' };
  if (roots[0][':@']?.xmlns !== XhtmlNs) return { rule: 'txt-1', detail: `the <div> must declare xmlns="${XhtmlNs}"` };
  let content = false;
  const stack: Node[] = [roots[0]];
  while (stack.length > 0) {
    const node = stack.pop()!;
    for (const [key, value] of Object.entries(node)) {
      if (key === ':@') continue;
      if (key === '#text') {
        if (String(value).trim() !== '') content = true;
        continue;
      }
      if (key === '#comment') continue;
      const name = key.toLowerCase();
      if (!Elements.has(name)) return { rule: 'txt-1', detail: `element <${key.slice(0, 40)}> is not allowed` };
      if (name === 'img') content = true;
      for (const [attr, attrValue] of Object.entries(node[':@'] ?? {})) {
        const a = attr.toLowerCase();
        if (!CommonAttributes.has(a) && !(ElementAttributes[name] ?? []).includes(a)) return { rule: 'txt-1', detail: `attribute ${attr.slice(0, 40)} is not allowed on <${name}>` };
        if ((a === 'href' || a === 'src') && /^\s*(javascript|vbscript|data:text\/html)/i.test(String(attrValue))) return { rule: 'txt-1', detail: `${a} may not run script` };
      }
      if (Array.isArray(value)) stack.push(...(value as Node[]));
    }
  }
  return content ? undefined : { rule: 'txt-2' };
}
