// Imports Kanta source files (CDA R2 documents and JSON records) into a ResourceStore, each file all-or-nothing. https://hl7.org/fhir/R4/http.html#transaction
import type { OperationOutcome } from '@medplum/fhirtypes';
import { OperationOutcomeError, badRequest } from '@medplum/core';
import type { ResourceStore } from '../store/resource-store.js';
import { parseCdaHeader } from './cda-to-document-reference.js';
import { importCda } from './import-cda.js';
import { importRecords } from './import-records.js';
import { parseKantaRecords } from './kanta-records.js';
import { createReferenceResolver, type ImportLog } from './reference-resolver.js';

export interface ImportInput {
  name: string;
  content: string;
}

export interface ImportedInput extends ImportLog {
  name: string;
  format: 'cda' | 'records';
  ok: boolean;
  /** Why the file was refused (nothing of it was stored). */
  outcome?: OperationOutcome;
}

export interface ImportReport {
  ok: boolean;
  inputs: ImportedInput[];
}

/** CDA when the content is XML, JSON records otherwise. */
export function detectFormat(content: string): 'cda' | 'records' {
  return content.trimStart().startsWith('<') ? 'cda' : 'records';
}

export async function importSources(inputs: ImportInput[], store: ResourceStore): Promise<ImportReport> {
  const results: ImportedInput[] = [];
  for (const input of inputs) {
    const format = detectFormat(input.content);
    const log: ImportLog = { created: [], updated: [] };
    try {
      if (!input.content.trim()) throw new OperationOutcomeError(badRequest(`${input.name}: $: the file is empty`));
      // Parse and check the whole file before opening the transaction: most bad files never touch the store.
      const parsed = format === 'cda' ? parseCdaHeader(input.name, input.content) : parseKantaRecords(input.name, input.content);
      await store.transaction(async (tx) => {
        const resolver = createReferenceResolver(tx, log);
        if (format === 'cda') await importCda(parsed as ReturnType<typeof parseCdaHeader>, resolver);
        else await importRecords(input.name, parsed as ReturnType<typeof parseKantaRecords>, resolver);
      });
      results.push({ name: input.name, format, ok: true, ...log });
    } catch (err) {
      // A database failure is not the file's fault: it ends the import (and the request) as what it is.
      if (!(err instanceof OperationOutcomeError) && typeof (err as { code?: unknown })?.code === 'string') throw err;
      // Anything else the mapping tripped over is described without the exception's internals.
      const outcome = err instanceof OperationOutcomeError ? err.outcome : badRequest(`${input.name}: the file has content the importer cannot map`);
      results.push({ name: input.name, format, ok: false, created: [], updated: [], outcome });
    }
  }
  return { ok: results.every((r) => r.ok), inputs: results };
}
