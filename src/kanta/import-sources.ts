// Reads import sources (CDA R2 files, JSON and NDJSON record files, NDJSON FHIR resources) as a stream of checked items. https://hl7.org/fhir/uv/bulkdata/STU2/export.html#file-format
import { createReadStream, openSync, readFileSync, readSync, closeSync, statSync } from 'node:fs';
import chain from 'stream-chain';
import { parser } from 'stream-json';
import { pick } from 'stream-json/filters/pick.js';
import { streamArray } from 'stream-json/streamers/stream-array.js';
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
  /**
   * Read afresh on every call (the run reads each source once per phase it has items in), so memory stays bounded.
   * `want(index)` false skips checking that line (the run already knows it belongs to another phase).
   */
  entries(want?: (index: number) => boolean): AsyncIterable<SourceEntry>;
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

function* jsonEntries(name: string, content: string, want?: (index: number) => boolean): Generator<SourceEntry> {
  if (!content.trim()) return yield { index: -1, refused: outcomeOf(new OperationOutcomeError(badRequest(`${name}: $: the file is empty`))) };
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch (err) {
    // Not one JSON value: NDJSON, one record or resource per line.
    if (content.trim().includes('\n')) return yield* ndjsonLines(name, content.split('\n'), want);
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

function* ndjsonLines(name: string, lines: Iterable<string>, want?: (index: number) => boolean): Generator<SourceEntry> {
  let i = 0;
  for (const line of lines) {
    const index = i++;
    if (want && !want(index)) continue;
    const entry = lineEntry(name, index, line);
    if (entry) yield entry;
  }
}

/** A source held in memory (the $kanta-import operation, tests). */
export function memorySource(name: string, content: string): ImportSource {
  return {
    name,
    async *entries(want) {
      if (detectFormat(content) === 'cda') {
        try {
          yield { item: cdaItem(name, content) };
        } catch (err) {
          yield { index: -1, refused: outcomeOf(err) };
        }
        return;
      }
      yield* jsonEntries(name, content, want);
    },
  };
}

/** JSON record files above this size are parsed as a stream, one record at a time. */
const StreamJsonAbove = 4 * 1024 * 1024;

function firstChar(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(256);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n).toString('utf8').replace(/^\uFEFF/, '').trimStart()[0] ?? '';
  } finally {
    closeSync(fd);
  }
}

/** A large `{ "records": [...] }` or bare-array file, streamed: memory holds one record at a time. */
async function* streamedJsonEntries(path: string, name: string): AsyncGenerator<SourceEntry> {
  const bare = firstChar(path) === '[';
  const pipeline = chain([createReadStream(path), parser(), ...(bare ? [] : [pick({ filter: 'records' })]), streamArray()]);
  try {
    for await (const { key, value } of pipeline as AsyncIterable<{ key: number; value: unknown }>) {
      try {
        yield { item: jsonItem(name, key, `records[${key}]`, value) };
      } catch (err) {
        yield { index: key, refused: outcomeOf(err) };
      }
    }
  } catch (err) {
    yield { index: -1, refused: outcomeOf(new OperationOutcomeError(badRequest(`${name}: $: malformed JSON: ${(err as Error).message}`, '$'))) };
  }
}

/** A file: CDA and small JSON read whole; NDJSON streamed line by line and large JSON record by record. */
export function fileSource(path: string, name = path): ImportSource {
  return {
    name,
    async *entries(want) {
      if (/\.ndjson$/i.test(path)) {
        const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
        let i = 0;
        for await (const line of lines) {
          const index = i++;
          if (want && !want(index)) continue;
          const entry = lineEntry(name, index, line);
          if (entry) yield entry;
        }
        return;
      }
      if (/\.json$/i.test(path) && statSync(path).size > StreamJsonAbove) {
        yield* streamedJsonEntries(path, name);
        return;
      }
      yield* memorySource(name, readFileSync(path, 'utf8')).entries(want);
    },
  };
}

export function formatOf(item: ImportItem | undefined, name: string): ImportFormat {
  if (item?.kind === 'cda' || (!item && /\.xml$/i.test(name))) return 'cda';
  return item?.kind === 'fhir' ? 'fhir' : 'records';
}
