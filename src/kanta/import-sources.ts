// Reads import sources (CDA R2 files, JSON and NDJSON record files, NDJSON FHIR resources) as a stream of checked items. https://hl7.org/fhir/uv/bulkdata/STU2/export.html#file-format
import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { OperationOutcomeError, badRequest, normalizeOperationOutcome } from '@medplum/core';
import type { OperationOutcome, Resource } from '@medplum/fhirtypes';
import { parseCdaHeader, one, type CdaHeader } from './cda-to-document-reference.js';
import { checkFhirResource } from './import-fhir.js';
import { documentPhase, recordPhase, resourcePhase } from './import-order.js';
import { checkKantaRecord, type KantaRecord } from './kanta-records.js';

export type ImportFormat = 'cda' | 'records' | 'fhir';

export type ImportItem =
  | { kind: 'cda'; index: number; path: string; phase: number; value: CdaHeader }
  | { kind: 'record'; index: number; path: string; phase: number; value: KantaRecord }
  | { kind: 'fhir'; index: number; path: string; phase: number; value: Resource };

/** One entry of a source: a checked item, or why an item (or, with `index` -1, the rest of the file) cannot be imported. */
export type SourceEntry = { item: ImportItem } | { index: number; refused: OperationOutcome };

export interface ImportSource {
  name: string;
  /** Read afresh on every call (the run reads each source once per phase it has items in), so memory stays bounded. */
  entries(): AsyncIterable<SourceEntry>;
}

function fail(fileName: string, element: string, reason: string): never {
  throw new OperationOutcomeError(badRequest(`${fileName}: ${element}: ${reason}`, element));
}

const outcomeOf = (err: unknown): OperationOutcome => (err instanceof OperationOutcomeError ? err.outcome : normalizeOperationOutcome(err));

/** CDA when the content is XML, JSON otherwise. */
export function detectFormat(content: string): 'cda' | 'records' {
  return content.trimStart().startsWith('<') ? 'cda' : 'records';
}

function cdaItem(name: string, content: string): ImportItem {
  const header = parseCdaHeader(name, content);
  return { kind: 'cda', index: 0, path: 'ClinicalDocument', phase: documentPhase(Number(one(header, 'versionNumber'))), value: header };
}

/** A JSON object from a records file or an NDJSON line: a FHIR resource when it has `resourceType`, a Kanta record otherwise. */
function jsonItem(name: string, index: number, path: string, value: unknown): ImportItem {
  if (value && typeof value === 'object' && 'resourceType' in value) {
    const resource = checkFhirResource(`${name}: ${path}`, value);
    return { kind: 'fhir', index, path, phase: resourcePhase(resource), value: resource };
  }
  const record = checkKantaRecord(name, index, value, path);
  return { kind: 'record', index, path, phase: recordPhase(record.type), value: record };
}

function* jsonEntries(name: string, content: string): Generator<SourceEntry> {
  if (!content.trim()) return yield { index: -1, refused: outcomeOf(new OperationOutcomeError(badRequest(`${name}: $: the file is empty`))) };
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch (err) {
    // Not one JSON value: NDJSON, one record or resource per line.
    if (content.trim().includes('\n')) return yield* ndjsonLines(name, content.split('\n'));
    return yield { index: -1, refused: outcomeOf(new OperationOutcomeError(badRequest(`${name}: $: malformed JSON: ${(err as Error).message}`, '$'))) };
  }
  if (parsed && typeof parsed === 'object' && 'resourceType' in parsed) return yield* ndjsonLines(name, [content]);
  const records = Array.isArray(parsed) ? parsed : (parsed as { records?: unknown })?.records;
  try {
    if (!Array.isArray(records)) fail(name, 'records', 'expected an array of records (or { "records": [...] })');
    if (!records.length) fail(name, 'records', 'the file has no records');
  } catch (err) {
    return yield { index: -1, refused: outcomeOf(err) };
  }
  for (const [i, r] of (records as unknown[]).entries()) {
    try {
      yield { item: jsonItem(name, i, `records[${i}]`, r) };
    } catch (err) {
      yield { index: i, refused: outcomeOf(err) };
    }
  }
}

function lineEntry(name: string, i: number, line: string): SourceEntry | undefined {
  if (!line.trim()) return undefined;
  try {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      fail(name, `line ${i + 1}`, `malformed JSON: ${(err as Error).message}`);
    }
    return { item: jsonItem(name, i, `line ${i + 1}`, value) };
  } catch (err) {
    return { index: i, refused: outcomeOf(err) };
  }
}

function* ndjsonLines(name: string, lines: Iterable<string>): Generator<SourceEntry> {
  let i = 0;
  for (const line of lines) {
    const entry = lineEntry(name, i++, line);
    if (entry) yield entry;
  }
}

/** A source held in memory (the $kanta-import operation, tests). */
export function memorySource(name: string, content: string): ImportSource {
  return {
    name,
    async *entries() {
      if (detectFormat(content) === 'cda') {
        try {
          yield { item: cdaItem(name, content) };
        } catch (err) {
          yield { index: -1, refused: outcomeOf(err) };
        }
        return;
      }
      yield* jsonEntries(name, content);
    },
  };
}

/** A file: CDA and JSON read whole (they are one document or one array), NDJSON streamed line by line. */
export function fileSource(path: string, name = path): ImportSource {
  return {
    name,
    async *entries() {
      if (!/\.ndjson$/i.test(path)) {
        yield* memorySource(name, readFileSync(path, 'utf8')).entries();
        return;
      }
      const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
      let i = 0;
      for await (const line of lines) {
        const entry = lineEntry(name, i++, line);
        if (entry) yield entry;
      }
    },
  };
}

export function formatOf(item: ImportItem | undefined, name: string): ImportFormat {
  if (item?.kind === 'cda' || (!item && /\.xml$/i.test(name))) return 'cda';
  return item?.kind === 'fhir' ? 'fhir' : 'records';
}
