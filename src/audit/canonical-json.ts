// Canonical JSON (RFC 8785 JCS): the byte-stable form of an AuditEvent that the hash chain signs. https://www.rfc-editor.org/rfc/rfc8785
/**
 * Object keys sorted by UTF-16 code units, no whitespace; strings and numbers serialised exactly as
 * ECMAScript JSON.stringify does, which is what RFC 8785 prescribes. Undefined members are dropped
 * (as JSON.stringify drops them), so a resource and its stored-and-parsed copy hash the same.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error('Canonical JSON cannot represent a non-finite number');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj)
      .filter((k) => obj[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
  }
  throw new Error(`Canonical JSON cannot represent a ${typeof value}`);
}
