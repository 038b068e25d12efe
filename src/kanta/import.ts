// Imports Kanta sources held in memory (the $kanta-import operation, tests): each source all-or-nothing, applied in dependency order. https://hl7.org/fhir/R4/http.html#transaction
import type { OperationOutcome } from '@medplum/fhirtypes';
import type { ResourceStore } from '../store/resource-store.js';
import { memorySource, type ImportFormat } from './import-sources.js';
import { runImport } from './import-run.js';

export { detectFormat } from './import-sources.js';

export interface ImportInput {
  name: string;
  content: string;
}

export interface ImportedInput {
  name: string;
  format: ImportFormat;
  ok: boolean;
  created: string[];
  updated: string[];
  /** Records whose mapped content was already stored: nothing was written for them. */
  unchanged: string[];
  /** Why the file was refused (nothing of it was stored). */
  outcome?: OperationOutcome;
}

export interface ImportReport {
  ok: boolean;
  inputs: ImportedInput[];
}

/**
 * Every source of at most `batchSize` records is one unit that is stored whole or not at all; the units are
 * applied in dependency order (a document before its replacement, persons before their records) in one batch.
 */
export async function importSources(inputs: ImportInput[], store: ResourceStore): Promise<ImportReport> {
  const report = await runImport({
    sources: inputs.map((i) => memorySource(i.name, i.content)),
    transaction: (fn) => store.transaction((tx) => fn(tx)),
    keepRefs: true,
  });
  return {
    ok: report.ok,
    inputs: report.sources.map((s) => ({
      name: s.name,
      format: s.format,
      ok: s.ok,
      created: s.ok ? s.created : [],
      updated: s.ok ? s.updated : [],
      unchanged: s.ok ? s.unchanged : [],
      ...(s.ok ? {} : { outcome: s.refusals[0] }),
    })),
  };
}
