// Reads and checks the JSON record format (mappings/README.md) against the field maps in mappings/records/. https://hl7.org/fhir/R4/json.html
import { OperationOutcomeError, badRequest } from '@medplum/core';
import { isValidHetu } from './hetu.js';
import { isOid } from './identifiers.js';
import { codesOf, recordMaps, type FieldSpec } from './mapping-tables.js';

export type KantaRecord = { type: string } & Record<string, unknown>;

const DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const DATE_TIME = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;

function fail(fileName: string, element: string, reason: string): never {
  throw new OperationOutcomeError(badRequest(`${fileName}: ${element}: ${reason}`, element));
}

function checkField(fileName: string, path: string, spec: FieldSpec, value: unknown): void {
  const bad = (reason: string): never => fail(fileName, path, reason);
  switch (spec.type) {
    case 'string':
      if (typeof value !== 'string' || !value.trim()) bad('must be a non-empty string');
      return;
    case 'oid':
      if (typeof value !== 'string' || !isOid(value)) bad(`'${String(value)}' is not an OID`);
      return;
    case 'hetu':
      if (typeof value !== 'string' || !isValidHetu(value)) bad(`'${String(value)}' is not a valid HETU (format, date or check character)`);
      return;
    case 'date':
      if (typeof value !== 'string' || !DATE.test(value) || Number.isNaN(Date.parse(value))) bad(`'${String(value)}' is not a date (YYYY-MM-DD)`);
      return;
    case 'dateTime':
      if (typeof value !== 'string' || !DATE_TIME.test(value) || Number.isNaN(Date.parse(value))) bad(`'${String(value)}' is not a FHIR dateTime`);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') bad('must be true or false');
      return;
    case 'integer':
      if (!Number.isInteger(value)) bad('must be a whole number');
      return;
    case 'code': {
      const allowed = spec.codes ?? (spec.codeSystem ? codesOf(spec.codeSystem) : undefined);
      if (typeof value !== 'string' || !value) bad('must be a code');
      if (allowed && !allowed.includes(value as string)) bad(`'${String(value)}' is not one of ${allowed.join(', ')}`);
      return;
    }
    case 'object':
      if (typeof value !== 'object' || value === null || Array.isArray(value)) bad('must be an object');
      checkFields(fileName, path, spec.fields ?? {}, value as Record<string, unknown>);
      return;
    case 'array':
      if (!Array.isArray(value)) bad('must be an array');
      (value as unknown[]).forEach((item, i) => checkField(fileName, `${path}[${i}]`, spec.items as FieldSpec, item));
      return;
  }
}

function checkFields(fileName: string, path: string, fields: Record<string, FieldSpec>, record: Record<string, unknown>): void {
  for (const key of Object.keys(record)) {
    if (key !== 'type' && !Object.prototype.hasOwnProperty.call(fields, key)) fail(fileName, `${path}.${key}`, 'unknown field');
  }
  for (const [key, spec] of Object.entries(fields)) {
    const value = record[key];
    if (value === undefined || value === null) {
      if (spec.required) fail(fileName, `${path}.${key}`, 'required field is missing');
      continue;
    }
    checkField(fileName, `${path}.${key}`, spec, value);
  }
}

/** Parses one JSON records file (`{ "records": [...] }` or a bare array) and checks every record; defaults are filled in. */
export function parseKantaRecords(fileName: string, content: string): KantaRecord[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch (err) {
    fail(fileName, '$', `malformed JSON: ${(err as Error).message}`);
  }
  const records = Array.isArray(parsed) ? parsed : (parsed as { records?: unknown })?.records;
  if (!Array.isArray(records)) fail(fileName, 'records', 'expected an array of records (or { "records": [...] })');
  if (!records.length) fail(fileName, 'records', 'the file has no records');
  return records.map((r, i) => checkKantaRecord(fileName, i, r));
}

/** Checks one record (`records[i]` of a file, or line i+1 of an NDJSON file) against its field map and fills in the defaults. */
export function checkKantaRecord(fileName: string, i: number, r: unknown, path = `records[${i}]`): KantaRecord {
  if (typeof r !== 'object' || r === null || Array.isArray(r)) fail(fileName, path, 'a record must be an object');
  const type = (r as { type?: unknown }).type;
  const map = typeof type === 'string' ? recordMaps[type] : undefined;
  if (!map) fail(fileName, `${path}.type`, `unknown record type '${String(type)}' (known: ${Object.keys(recordMaps).join(', ')})`);
  checkFields(fileName, path, map.fields, r as Record<string, unknown>);
  const withDefaults: KantaRecord = { ...(r as KantaRecord) };
  for (const [key, spec] of Object.entries(map.fields)) {
    if (withDefaults[key] === undefined && spec.default !== undefined) withDefaults[key] = spec.default;
  }
  return withDefaults;
}
