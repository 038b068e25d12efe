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

/**
 * Strings that JSON.stringify prints as they are, between quotes: no quote, backslash or control character to escape,
 * and no surrogate (JSON.stringify escapes a lone one; a pair is left to it too). FHIR element names and nearly all
 * values are such strings, and quoting them here skips a call into JSON.stringify per string.
 */
const Plain = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;

const quote = (s: string): string => (Plain.test(s) ? `"${s}"` : JSON.stringify(s));

/**
 * Sorts in place by UTF-16 code units (what `<` on strings and Array.prototype.sort's default both compare). An
 * insertion sort: FHIR objects have a handful of keys, for which the generic sort's set-up costs more than the sort.
 */
function sortKeys(keys: string[]): string[] {
  // Quadratic: only for the small objects it is meant for.
  if (keys.length > 16) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const k = keys[i];
    let j = i - 1;
    while (j >= 0 && keys[j] > k) {
      keys[j + 1] = keys[j];
      j--;
    }
    keys[j + 1] = k;
  }
  return keys;
}

// Built by string concatenation (V8 ropes): every request's AuditEvent passes through here on the request thread.
function write(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'number':
      if (!Number.isFinite(value)) throw new Error('Canonical JSON cannot represent a non-finite number');
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
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
      const keys = sortKeys(Object.keys(obj));
      let out = '{';
      let first = true;
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i];
        const v = obj[k];
        if (v === undefined || typeof v === 'function') continue;
        if (!first) out += ',';
        first = false;
        out += quote(k) + ':' + write(v);
      }
      return out + '}';
    }
  }
  throw new Error(`Canonical JSON cannot represent a ${typeof value}`);
}
