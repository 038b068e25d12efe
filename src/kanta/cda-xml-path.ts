// A tiny XPath-like selector over fast-xml-parser output, enough for the CDA header map (mappings/cda-header.map.json). https://www.w3.org/TR/xpath-10/
/** A parsed element: attributes as '@name', text as '#text', children as arrays. */
export type XmlNode = { [key: string]: XmlNode[] | string | undefined };

const PREDICATE = /^([^[\]]+)\[@([^=\]]+)='([^']*)'\]$/;

/** Elements reached by `path` (element segments only). */
export function selectElements(roots: XmlNode[], path: string): XmlNode[] {
  let nodes = roots;
  for (const segment of path.split('/').filter(Boolean)) {
    const m = PREDICATE.exec(segment);
    const name = m ? m[1] : segment;
    nodes = nodes.flatMap((n) => (Array.isArray(n[name]) ? (n[name] as XmlNode[]) : []));
    if (m) nodes = nodes.filter((n) => n[`@${m[2]}`] === m[3]);
  }
  return nodes;
}

/** String values reached by `path`, whose last segment may be `@attr` or `text()`. */
export function selectValues(roots: XmlNode[], path: string): string[] {
  const segments = path.split('/');
  const last = segments[segments.length - 1];
  if (last.startsWith('@') || last === 'text()') {
    const key = last === 'text()' ? '#text' : last;
    return selectElements(roots, segments.slice(0, -1).join('/'))
      .map((n) => n[key])
      .filter((v): v is string => typeof v === 'string' && v.trim() !== '')
      .map((v) => v.trim());
  }
  return selectElements(roots, path).map((n) => (typeof n['#text'] === 'string' ? (n['#text'] as string).trim() : ''));
}
