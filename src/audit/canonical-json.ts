// Canonical JSON (RFC 8785 JCS): the byte-stable form of an AuditEvent that the hash chain signs. https://www.rfc-editor.org/rfc/rfc8785
/**
 * Object keys sorted by UTF-16 code units, no whitespace; strings and numbers serialised exactly as
 * ECMAScript JSON.stringify does, which is what RFC 8785 prescribes. Undefined members are dropped and
 * `toJSON` is honoured (as JSON.stringify does), so a value and its stored-and-parsed copy hash the same:
 * the audit append hashes the event it builds without parsing back the JSON it stores.
 */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  write(value, out);
  return out.join('');
}

function write(value: unknown, out: string[]): void {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') {
    out.push(JSON.stringify(value));
    return;
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error('Canonical JSON cannot represent a non-finite number');
    out.push(JSON.stringify(value));
    return;
  }
  if (typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    write((value as { toJSON(): unknown }).toJSON(), out);
    return;
  }
  if (Array.isArray(value)) {
    out.push('[');
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.push(',');
      const v = value[i];
      if (v === undefined || typeof v === 'function') out.push('null');
      else write(v, out);
    }
    out.push(']');
    return;
  }
  if (typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj).sort();
    out.push('{');
    let first = true;
    for (const k of keys) {
      const v = obj[k];
      if (v === undefined || typeof v === 'function') continue;
      if (!first) out.push(',');
      first = false;
      out.push(JSON.stringify(k), ':');
      write(v, out);
    }
    out.push('}');
    return;
  }
  throw new Error(`Canonical JSON cannot represent a ${typeof value}`);
}
