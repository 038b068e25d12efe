// One import run at archive scale: sources scanned, then applied in dependency order in atomic batches that can be resumed. https://hl7.org/fhir/R4/http.html#transaction
import { OperationOutcomeError } from '@medplum/core';
import type { OperationOutcome } from '@medplum/fhirtypes';
import type { ResourceStore } from '../store/resource-store.js';
import type { SqlDatabase } from '../store/sql/database.js';
import { importCda } from './import-cda.js';
import { createExistenceGuess, createKnownReferences, createPendingCreates, DeferredCreateRefused, importFhirResource, type KnownReferences } from './import-fhir.js';
import { importRecord } from './import-records.js';
import { formatOf, type ImportFormat, type ImportItem, type ImportSource } from './import-sources.js';
import { createReferenceResolver, emptyLog, type ImportLog } from './reference-resolver.js';

export const DefaultBatchSize = 1000;

/** Where a run is: units at or before this position are committed. `phase` is a phase value, `source` an index into the run's sources. */
export interface RunPosition {
  phase: number;
  source: number;
  index: number;
}

export interface ImportTotals {
  created: number;
  updated: number;
  unchanged: number;
  refused: number;
  /** Items applied or refused so far. */
  done: number;
}

export const zeroTotals = (): ImportTotals => ({ created: 0, updated: 0, unchanged: 0, refused: 0, done: 0 });

export interface SourceReport {
  name: string;
  format: ImportFormat;
  ok: boolean;
  counts: ImportTotals;
  /** References written, kept only when asked for (small runs: the $kanta-import answer). */
  created: string[];
  updated: string[];
  unchanged: string[];
  /** Why records (or the whole file) were refused; nothing of a refused unit is stored. */
  refusals: OperationOutcome[];
}

export interface ImportProgress {
  total: number;
  totals: ImportTotals;
}

export interface BatchContext {
  store: ResourceStore;
  db?: SqlDatabase;
  log: ImportLog;
  /** The last unit this batch commits; a checkpoint saved with it resumes right after. */
  position: RunPosition;
  /** Totals including this batch. */
  totals: ImportTotals;
}

export interface ImportRunOptions {
  sources: ImportSource[];
  /** Runs one batch atomically over a store (and, for the hooks, its SQL connection). */
  transaction<T>(fn: (store: ResourceStore, db?: SqlDatabase) => Promise<T>): Promise<T>;
  /** Items per batch; a source with at most this many items is one all-or-nothing unit. */
  batchSize?: number;
  /** Runs inside each batch's transaction after its records are written (audit, checkpoint); a failure aborts the run. */
  onBatch?(batch: BatchContext): Promise<void>;
  /** Continue after this position, with the totals saved with it. */
  resume?: { position: RunPosition; totals: ImportTotals };
  onProgress?(p: ImportProgress): void;
  /** Keep every written reference per source (small runs only). */
  keepRefs?: boolean;
  /** Refusal outcomes kept per source (all are counted). */
  maxRefusals?: number;
  /**
   * Called with a batch's items as soon as the batch is complete, before the previous batch has finished writing;
   * the batch is written once it resolves. Lets the caller validate ahead on another core (src/validation/prevalidation.ts).
   */
  prepare?(items: ImportItem[]): Promise<void>;
}

export interface ImportRunReport {
  ok: boolean;
  sources: SourceReport[];
  totals: ImportTotals;
  /** Items found by the scan. */
  total: number;
}

interface Unit {
  source: number;
  position: RunPosition;
  items: ImportItem[];
}

interface Scan {
  items: number;
  phases: Set<number>;
  minPhase: number;
  /** A small source is one unit; it is refused whole when any of it is bad. */
  small: boolean;
  refusedWhole: boolean;
  firstItem?: ImportItem;
  /** Phase of each line of a large source (2 bytes a line), so a phase pass parses only its own lines. */
  linePhases?: Uint16Array;
}

function setLinePhase(scan: Scan, index: number, phase: number): void {
  let a = scan.linePhases ?? new Uint16Array(16).fill(0xffff);
  if (index >= a.length) {
    const grown = new Uint16Array(Math.max(a.length * 2, index + 1)).fill(0xffff);
    grown.set(a);
    a = grown;
  }
  a[index] = phase;
  scan.linePhases = a;
}

const after = (a: RunPosition, b: RunPosition): boolean =>
  a.phase !== b.phase ? a.phase > b.phase : a.source !== b.source ? a.source > b.source : a.index > b.index;

export async function runImport(opts: ImportRunOptions): Promise<ImportRunReport> {
  const batchSize = Math.max(1, opts.batchSize ?? DefaultBatchSize);
  const maxRefusals = opts.maxRefusals ?? 100;
  const reports: SourceReport[] = opts.sources.map((s) => ({ name: s.name, format: 'records', ok: true, counts: zeroTotals(), created: [], updated: [], unchanged: [], refusals: [] }));
  const totals: ImportTotals = opts.resume ? { ...opts.resume.totals } : zeroTotals();
  const refuse = (source: number, outcome: OperationOutcome, items: number) => {
    const report = reports[source];
    report.ok = false;
    report.counts.refused += items;
    if (report.refusals.length < maxRefusals) report.refusals.push(outcome);
  };

  // Scan: counts and phases per source; bad files and bad lines are refused here, before anything is written.
  const scans: Scan[] = [];
  let total = 0;
  let scanRefused = 0;
  for (const [si, source] of opts.sources.entries()) {
    const scan: Scan = { items: 0, phases: new Set(), minPhase: Infinity, small: true, refusedWhole: false };
    // A large source is read once per phase it has items in; a bad line refuses that line only.
    const lineRefusals: OperationOutcome[] = [];
    for await (const entry of source.entries()) {
      if ('item' in entry) {
        scan.items++;
        scan.phases.add(entry.item.phase);
        scan.minPhase = Math.min(scan.minPhase, entry.item.phase);
        scan.firstItem ??= entry.item;
        setLinePhase(scan, entry.item.index, entry.item.phase);
      } else if (entry.index < 0) {
        scan.refusedWhole = true;
        lineRefusals.push(entry.refused);
      } else {
        lineRefusals.push(entry.refused);
      }
    }
    scan.small = scan.items + lineRefusals.length <= batchSize;
    if (scan.small) scan.linePhases = undefined;
    reports[si].format = formatOf(scan.firstItem, source.name);
    if (scan.small && lineRefusals.length) scan.refusedWhole = true;
    if (scan.refusedWhole && scan.small) {
      refuse(si, lineRefusals[0], scan.items + lineRefusals.length);
      scanRefused += scan.items + lineRefusals.length;
      scan.items = 0;
    } else {
      for (const o of lineRefusals) refuse(si, o, 1);
      scanRefused += lineRefusals.length;
      total += scan.items;
    }
    scans.push(scan);
  }
  if (!opts.resume) {
    totals.refused += scanRefused;
    totals.done += scanRefused;
  }

  const known: KnownReferences = createKnownReferences();
  const guess = createExistenceGuess();
  const progress = () => opts.onProgress?.({ total: total + scanRefused, totals });

  let currentStore: ResourceStore | undefined;
  const pending = createPendingCreates(() => currentStore as ResourceStore, guess);

  /** `defer`: new FHIR resources may wait in `pending` to be inserted with others; the batch flushes it before it commits. */
  async function applyItem(source: ImportSource, item: ImportItem, log: ImportLog, defer: boolean): Promise<void> {
    const r = createReferenceResolver(currentStore as ResourceStore, log);
    if (item.kind === 'fhir') return importFhirResource(`${source.name}: ${item.path}`, item.value, r, known, guess, defer ? pending : undefined);
    // Mapped records look their references up by identifier: the store must hold everything before them.
    if (defer) await pending.flush();
    if (item.kind === 'cda') await importCda(item.value, r);
    else await importRecord(source.name, item.path, item.value, r);
  }

  async function commit(batch: Unit[]): Promise<void> {
    if (!batch.length) return;
    let units = batch;
    const position = batch[batch.length - 1].position;
    // First try: the batch in one transaction. After a refusal it is written again with a savepoint per unit, so
    // further bad units roll back alone instead of restarting the batch each time.
    let savepoints = false;
    for (;;) {
      let failed: Unit | undefined;
      const logs = new Map<Unit, ImportLog>();
      const refusedInSavepoint: Array<{ unit: Unit; outcome: OperationOutcome }> = [];
      try {
        await opts.transaction(async (store, db) => {
          currentStore = store;
          const log = emptyLog(!!opts.onBatch);
          // Only the first try defers: a refusal then cannot be told apart by record, and the second try names it.
          const defer = !savepoints && typeof store.createAbsent === 'function';
          for (const unit of units) {
            const unitLog = emptyLog(!!opts.onBatch);
            if (savepoints) {
              try {
                await store.transaction(async (sp) => {
                  currentStore = sp;
                  for (const item of unit.items) await applyItem(opts.sources[unit.source], item, unitLog, false);
                });
              } catch (err) {
                if (!(err instanceof OperationOutcomeError)) throw err;
                known.clear();
                refusedInSavepoint.push({ unit, outcome: err.outcome });
                continue;
              } finally {
                currentStore = store;
              }
            } else {
              failed = unit;
              for (const item of unit.items) await applyItem(opts.sources[unit.source], item, unitLog, defer);
            }
            logs.set(unit, unitLog);
          }
          failed = undefined;
          // The units' logs are complete only once their waiting inserts are in.
          if (defer) await pending.flush();
          for (const unitLog of logs.values()) {
            log.created.push(...unitLog.created);
            log.updated.push(...unitLog.updated);
            log.unchanged.push(...unitLog.unchanged);
            log.written?.push(...(unitLog.written ?? []));
          }
          const refusedNow = batch.filter((u) => !logs.has(u)).reduce((n, u) => n + u.items.length, 0);
          const next: ImportTotals = {
            created: totals.created + log.created.length,
            updated: totals.updated + log.updated.length,
            unchanged: totals.unchanged + log.unchanged.length,
            refused: totals.refused + refusedNow,
            done: totals.done + batch.reduce((n, u) => n + u.items.length, 0),
          };
          await opts.onBatch?.({ store, db, log, position, totals: next });
        });
      } catch (err) {
        known.clear();
        pending.discard();
        if (err instanceof DeferredCreateRefused) {
          // Written again one unit at a time, without deferring: the refused record then answers for itself.
          savepoints = true;
          continue;
        }
        // A refused unit leaves the batch; the rest is written again without it. Anything else stops the run.
        if (!failed || !(err instanceof OperationOutcomeError)) throw err;
        const unit = failed;
        refuse(unit.source, err.outcome, unit.items.length);
        units = units.filter((u) => u !== unit);
        savepoints = true;
        continue;
      } finally {
        currentStore = undefined;
      }
      for (const { unit, outcome } of refusedInSavepoint) refuse(unit.source, outcome, unit.items.length);
      for (const unit of batch) {
        const counts = reports[unit.source].counts;
        const log = logs.get(unit);
        if (log) {
          counts.created += log.created.length;
          counts.updated += log.updated.length;
          counts.unchanged += log.unchanged.length;
          if (opts.keepRefs) {
            reports[unit.source].created.push(...log.created);
            reports[unit.source].updated.push(...log.updated);
            reports[unit.source].unchanged.push(...log.unchanged);
          }
          totals.created += log.created.length;
          totals.updated += log.updated.length;
          totals.unchanged += log.unchanged.length;
        } else totals.refused += unit.items.length;
        counts.done += unit.items.length;
        totals.done += unit.items.length;
      }
      progress();
      return;
    }
  }

  const phases = [...new Set(scans.flatMap((s) => (s.small ? (s.items ? [s.minPhase] : []) : [...s.phases])))].sort((a, b) => a - b);
  let batch: Unit[] = [];
  let inBatch = 0;
  // With `prepare`, batch N+1 is prepared while batch N is written; batches are still written one at a time, in order.
  let writing: Promise<void> = Promise.resolve();
  const flush = async (ready: Unit[]): Promise<void> => {
    if (!opts.prepare) return commit(ready);
    const prepared = opts.prepare(ready.flatMap((u) => u.items)).catch(() => undefined);
    await writing;
    writing = prepared.then(() => commit(ready));
    // Awaited by the next flush or at the end; until then a failure must not count as unhandled.
    writing.catch(() => undefined);
  };
  const add = async (unit: Unit) => {
    if (opts.resume && !after(unit.position, opts.resume.position)) return;
    batch.push(unit);
    inBatch += unit.items.length;
    if (inBatch >= batchSize) {
      const ready = batch;
      batch = [];
      inBatch = 0;
      await flush(ready);
    }
  };
  progress();
  for (const phase of phases) {
    for (const [si, source] of opts.sources.entries()) {
      const scan = scans[si];
      if (scan.small) {
        if (!scan.items || scan.minPhase !== phase) continue;
        const items: ImportItem[] = [];
        for await (const entry of source.entries()) if ('item' in entry) items.push(entry.item);
        items.sort((a, b) => a.phase - b.phase || a.index - b.index);
        await add({ source: si, position: { phase, source: si, index: 0 }, items });
        continue;
      }
      if (!scan.phases.has(phase)) continue;
      const phases = scan.linePhases;
      for await (const entry of source.entries(phases ? (i) => phases[i] === phase : undefined)) {
        if ('item' in entry && entry.item.phase === phase) await add({ source: si, position: { phase, source: si, index: entry.item.index }, items: [entry.item] });
      }
    }
  }
  await flush(batch);
  await writing;
  return { ok: reports.every((r) => r.ok), sources: reports, totals, total: total + scanRefused };
}
