// Invariant results remembered by the part of the input an expression can read (its element names), for constraints that repeat across records. https://hl7.org/fhirpath/N1/
/**
 * The element names a constraint can read, when that can be told from its text: no variables, no $this, no functions
 * that reach elements without naming them (children(), descendants(), repeat(), resolve()), no quoted identifiers.
 * Such a constraint gives the same result on the node and on the node cut down to these elements (and resourceType).
 */
export function namesRead(expression: string): Set<string> | undefined {
  const code = expression.replace(/'(?:[^'\\]|\\.)*'/g, "''");
  if (/[%`$]|\b(children|descendants|repeat|resolve|trace|conformsTo|memberOf)\s*\(/.test(code)) return undefined;
  return new Set(code.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? []);
}

/**
 * Top-level names the expression only tests for presence (`patient.exists()` and nowhere else): for these, any
 * object value gives the same result, so the key holds `{}` instead of the value (a reference differs per record).
 */
export function presenceOnly(expression: string, reads: Set<string>): Set<string> {
  const code = expression.replace(/'(?:[^'\\]|\\.)*'/g, "''");
  const out = new Set<string>();
  for (const name of reads) {
    const all = code.match(new RegExp(`(?<![A-Za-z0-9_.])${name}(?![A-Za-z0-9_])`, 'g'))?.length ?? 0;
    const tested = code.match(new RegExp(`(?<![A-Za-z0-9_.])${name}\\.exists\\(\\)`, 'g'))?.length ?? 0;
    // Not also reached as a child element (`.name`) anywhere.
    const asChild = new RegExp(`\\.${name}(?![A-Za-z0-9_])`).test(code);
    if (all > 0 && all === tested && !asChild) out.add(name);
  }
  return out;
}

/**
 * The cache key of a node for one constraint: the JSON of the node with only the top-level elements `reads` names (a
 * choice element under any of its typed names), a `presence` name's object value written as `{}`. The text is what
 * JSON.stringify gives for that cut-down node, built from one `"name":value` part per element; the caller keeps `memo`
 * per node, so each element of a node is serialised once however many constraints (ppc-2..5, kanta-reg-*) read it.
 */
export type Projector = (node: unknown, memo?: Map<string, string>) => string;

export function createProjector(reads: Set<string>, presence: Set<string> = new Set()): Projector {
  const keeps = new Map<string, boolean>();
  /** `name` is read, or is a choice element's typed name (`valueQuantity`) whose stem (`value`) is read. */
  const kept = (name: string): boolean => {
    let k = keeps.get(name);
    if (k === undefined) {
      k = reads.has(name);
      for (let i = 1; !k && i < name.length; i++) {
        const c = name.charCodeAt(i);
        if (c >= 65 && c <= 90 && reads.has(name.slice(0, i))) k = true;
      }
      if (keeps.size < 10_000) keeps.set(name, k);
    }
    return k;
  };
  return (node, memo) => {
    if (!node || typeof node !== 'object' || Array.isArray(node)) return `${JSON.stringify(node)}`;
    let json = '{';
    for (const k of Object.keys(node)) {
      if (k !== 'resourceType' && !kept(k.startsWith('_') ? k.slice(1) : k)) continue;
      const v = (node as Record<string, unknown>)[k];
      // Left out, as JSON.stringify leaves them out.
      if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
      let part: string | undefined;
      if (presence.has(k) && v !== null && typeof v === 'object' && !Array.isArray(v)) part = `${JSON.stringify(k)}:{}`;
      else {
        part = memo?.get(k);
        if (part === undefined) {
          part = `${JSON.stringify(k)}:${JSON.stringify(v)}`;
          memo?.set(k, part);
        }
      }
      json += json.length === 1 ? part : `,${part}`;
    }
    return `${json}}`;
  };
}

/** Results kept per constraint and input projection; the map is simply emptied when full. */
export function createResultCache<T>(size = 20_000): { get(key: string): T | undefined; set(key: string, value: T): void } {
  const results = new Map<string, T>();
  return {
    get: (key) => results.get(key),
    set(key, value) {
      if (results.size >= size) results.clear();
      results.set(key, value);
    },
  };
}
