// Canonical JSON (RFC 8785 JCS): the byte-stable form of an AuditEvent that the hash chain signs. https://www.rfc-editor.org/rfc/rfc8785
/**
 * Object keys sorted by UTF-16 code units, no whitespace; strings and numbers serialised exactly as
 * ECMAScript JSON.stringify does, which is what RFC 8785 prescribes. Undefined members are dropped and
 * `toJSON` is honoured (as JSON.stringify does), so a value and its stored-and-parsed copy hash the same:
 * the audit append hashes the event it builds without parsing back the JSON it stores.
 */
export function canonicalJson(value: unknown): string {
  return write(value);
}

/** Keys that JSON.stringify would print as they are (FHIR element names): quoting them needs no escaping. */
const PlainKey = /^[A-Za-z0-9_$.-]*$/;

// Built by string concatenation (V8 ropes): every request's AuditEvent passes through here on the request thread.
function write(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || typeof value === 'boolean') return value === null ? 'null' : value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error('Canonical JSON cannot represent a non-finite number');
    return JSON.stringify(value);
  }
  if (typeof value === 'object') {
    if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return write((value as { toJSON(): unknown }).toJSON());
    if (Array.isArray(value)) {
      let out = '[';
      for (let i = 0; i < value.length; i++) {
        if (i > 0) out += ',';
        const v = value[i];
        out += v === undefined || typeof v === 'function' ? 'null' : write(v);
      }
      return out + ']';
    }
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj).sort();
    let out = '{';
    let first = true;
    for (const k of keys) {
      const v = obj[k];
      if (v === undefined || typeof v === 'function') continue;
      if (!first) out += ',';
      first = false;
      out += (PlainKey.test(k) ? `"${k}"` : JSON.stringify(k)) + ':' + write(v);
    }
    return out + '}';
  }
  throw new Error(`Canonical JSON cannot represent a ${typeof value}`);
}
