// `npm run import -- [--batch-size N] [--resume] FILES|FOLDERS...`: imports Kanta CDA, JSON/NDJSON records and FHIR NDJSON in resumable, audited batches. https://hl7.org/fhir/R4/http.html#transaction
import { readdirSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import cliProgress from 'cli-progress';
import type { RequestContext } from '../context.js';
import { sqlitePath } from '../config.js';
import { importAuditInputs } from '../kanta/import-audit.js';
import { finishCheckpoint, loadCheckpoint, migrateCheckpoints, runIdOf, saveCheckpoint } from '../kanta/import-checkpoint.js';
import { DefaultBatchSize, runImport as runBatches, type ImportProgress, type ImportRunReport, type ImportTotals } from '../kanta/import-run.js';
import { storedForm } from '../kanta/import-fhir.js';
import { fileSource } from '../kanta/import-sources.js';
import { startPrevalidation, type Prevalidation } from '../validation/prevalidation.js';
import { openStorage, type Storage } from '../storage.js';
import { createValidatingStore } from '../store/validating-store.js';

export interface ImportEnv {
  DATABASE_URL?: string;
  DATA_DIR?: string;
  AUDIT_HMAC_KEY?: string;
  IMPORT_OPERATOR?: string;
}

/** Exit codes: 0 every record imported, 1 some record or file refused (nothing of it stored), 2 could not run. */
export const ImportExitCode = { Ok: 0, Refused: 1, Error: 2 } as const;

const USAGE =
  'usage: npm run import -- [--batch-size N] [--resume] [--operator NAME] [--one-thread] FILE|FOLDER ...\n' +
  '  --one-thread: validate on the import\'s own thread (by default FHIR resources are validated a batch ahead on a second one, which costs a second copy of the validator, ~250 MB)\n' +
  '  FILE: CDA R2 (.xml), Kanta records (.json, .ndjson) or FHIR resources (.ndjson, e.g. from npm run generate or $export); FOLDER: every such file in it';

const Importable = /\.(xml|json|ndjson)$/i;

/** Folders expand to their importable files, sorted (order does not matter to the import, but positions must be stable). */
export function expandPaths(paths: string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    const abs = resolve(p);
    if (statSync(abs).isDirectory()) {
      const walk = (dir: string): void => {
        for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
          const full = join(dir, e.name);
          if (e.isDirectory()) walk(full);
          else if (Importable.test(e.name)) out.push(full);
        }
      };
      walk(abs);
    } else out.push(abs);
  }
  return out;
}

const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`;
const peakRss = () => process.resourceUsage().maxRSS * 1024;

/**
 * `before`: the totals a resumed run started from, so the rate is this process's own. `cpuSeconds`: this process's CPU
 * time over the run, reported per resource because on a shared machine it varies much less than the rate.
 */
export function formatSummary(t: ImportTotals, seconds: number, before?: ImportTotals, cpuSeconds?: number): string {
  const resources = (x: ImportTotals) => x.created + x.updated + x.unchanged;
  const count = resources(t) - (before ? resources(before) : 0);
  const rate = seconds > 0 ? Math.round(count / seconds) : 0;
  const cpu = cpuSeconds !== undefined && count > 0 ? `; CPU ${((cpuSeconds * 1000) / count).toFixed(2)} ms per resource` : '';
  return `${t.created} created, ${t.updated} updated, ${t.unchanged} unchanged, ${t.refused} refused (${t.done} source records); ${seconds.toFixed(1)} s, ${rate} resources/s; peak RSS ${mb(peakRss())}${cpu}`;
}

export function formatReport(report: ImportRunReport, detailed: boolean): string[] {
  const lines: string[] = [];
  for (const s of report.sources) {
    if (detailed || !s.ok) {
      const c = s.counts;
      lines.push(s.ok ? `imported ${s.name} (${s.format}): ${c.created} created, ${c.updated} updated, ${c.unchanged} unchanged` : `REFUSED  ${s.name} (${s.format}): ${c.refused} record(s) refused, nothing of them stored; ${c.created} created, ${c.updated} updated, ${c.unchanged} unchanged`);
    }
    for (const o of s.refusals.slice(0, detailed ? 20 : 5)) lines.push(`  ${(o.issue ?? []).map((x) => x.details?.text ?? x.diagnostics).join('; ')}`);
  }
  return lines;
}

/** A bar with rate and ETA on a terminal; a log line every few seconds otherwise. */
function progressReporter(print: (line: string) => void, tty: boolean): { update(p: ImportProgress): void; stop(): void } {
  if (tty) {
    const bar = new cliProgress.SingleBar(
      { format: 'import |{bar}| {percentage}% {value}/{total} records | {rate}/s | ETA {eta_formatted} | RSS {rss}', hideCursor: true, etaBuffer: 50 },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    const t0 = Date.now();
    return {
      update(p) {
        const payload = { rate: Math.round(p.totals.done / Math.max((Date.now() - t0) / 1000, 0.001)), rss: mb(process.memoryUsage.rss()) };
        if (!started) {
          bar.start(p.total, p.totals.done, payload);
          started = true;
        } else bar.update(p.totals.done, payload);
      },
      stop: () => started && bar.stop(),
    };
  }
  let last = 0;
  const t0 = Date.now();
  return {
    update(p) {
      const now = Date.now();
      if (now - last < 5000 && p.totals.done < p.total) return;
      last = now;
      const s = (now - t0) / 1000;
      print(`import: ${p.totals.done}/${p.total} records (${p.total ? ((100 * p.totals.done) / p.total).toFixed(1) : '100'}%), ${Math.round(p.totals.done / Math.max(s, 0.001))}/s, RSS ${mb(process.memoryUsage.rss())}`);
    },
    stop() {},
  };
}

export async function runImport(argv: string[], env: ImportEnv, print: (line: string) => void = console.log, tty = false): Promise<number> {
  let args: ReturnType<typeof parseArgs<{ options: { 'batch-size': { type: 'string' }; resume: { type: 'boolean' }; operator: { type: 'string' }; 'one-thread': { type: 'boolean' } }; allowPositionals: true }>>;
  try {
    args = parseArgs({ args: argv, options: { 'batch-size': { type: 'string' }, resume: { type: 'boolean' }, operator: { type: 'string' }, 'one-thread': { type: 'boolean' } }, allowPositionals: true });
  } catch (err) {
    print(`import: ${(err as Error).message}\n${USAGE}`);
    return ImportExitCode.Error;
  }
  const batchSize = args.values['batch-size'] === undefined ? DefaultBatchSize : Number(args.values['batch-size']);
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    print(`import: --batch-size must be a whole number of at least 1\n${USAGE}`);
    return ImportExitCode.Error;
  }
  if (!args.positionals.length) {
    print(USAGE);
    return ImportExitCode.Error;
  }
  let files: string[];
  try {
    files = expandPaths(args.positionals);
  } catch (err) {
    print(`import: cannot read ${(err as NodeJS.ErrnoException).path ?? ''}: ${(err as Error).message}`);
    return ImportExitCode.Error;
  }
  if (!files.length) {
    print('import: no .xml, .json or .ndjson files found');
    return ImportExitCode.Error;
  }
  let storage: Storage;
  const config = { databaseUrl: env.DATABASE_URL || undefined, dataDir: resolve(env.DATA_DIR ?? './data'), auditHmacKey: env.AUDIT_HMAC_KEY || undefined };
  try {
    storage = await openStorage(config);
    await migrateCheckpoints(storage.db);
  } catch (err) {
    print(`import: cannot open the database: ${(err as Error).message}`);
    return ImportExitCode.Error;
  }
  const progress = progressReporter(print, tty);
  let ahead: Prevalidation | undefined;
  try {
    const runId = runIdOf(files, batchSize);
    const checkpoint = args.values.resume ? await loadCheckpoint(storage.db, runId) : undefined;
    if (args.values.resume && !checkpoint) print('import: no checkpoint for these files and batch size; starting from the beginning');
    if (checkpoint?.finished) {
      print(`import: this run already finished: ${formatSummary(checkpoint.totals, 0)}`);
      return checkpoint.totals.refused ? ImportExitCode.Refused : ImportExitCode.Ok;
    }
    // The operator's own back-end (A1): every batch is audited per patient as BALP create/update events.
    const operator = args.values.operator ?? env.IMPORT_OPERATOR ?? userInfo().username;
    const ctx: RequestContext = {
      principal: { kind: 'system', subject: `import:${operator}`, name: operator, scopes: ['system/*.cruds'] },
      requestId: `import-${runId.slice(0, 16)}-${Date.now()}`,
      now: new Date(),
      language: 'en',
    };
    // FHIR resources of the next batch are validated on a second core while this one is written (prevalidation.ts).
    if (!args.values['one-thread']) ahead = startPrevalidation((message) => print(`import: validating on this thread only (${message})`));
    const validate = (r: Parameters<typeof storage.validator.validate>[0]) => ahead?.take(r) ?? storage.validator.validate(r);
    print(
      `Importing ${files.length} file(s) into ${config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : sqlitePath(config)} in batches of ${batchSize}` +
        (checkpoint ? `, resuming after ${checkpoint.totals.done} records` : ''),
    );
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const report = await runBatches({
      sources: files.map((f) => fileSource(f, f)),
      batchSize,
      resume: checkpoint ? { position: checkpoint.position, totals: checkpoint.totals } : undefined,
      // Same indexes and profiles as the gateway: every record is validated before it is stored.
      transaction: (fn) => storage.db.transaction((tx) => fn(createValidatingStore(storage.rawStore(tx), validate), tx)),
      async onBatch({ db, log, position, totals }) {
        if (!db) throw new Error('an import batch needs its SQL connection');
        const events = importAuditInputs({ ...ctx, now: new Date() }, log).flatMap((input) => storage.audit.build(input));
        if (events.length) await storage.audit.append({ db }, events);
        await saveCheckpoint(db, runId, position, totals);
      },
      onProgress: (p) => progress.update(p),
      prepare: ahead && ((items) => ahead!.prepare(items.flatMap((item) => (item.kind === 'fhir' ? [JSON.stringify(storedForm(item.value))] : [])))),
    });
    progress.stop();
    await finishCheckpoint(storage.db, runId, report.totals);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    for (const line of formatReport(report, files.length <= 50)) print(line);
    print(`import: ${formatSummary(report.totals, seconds, checkpoint?.totals, (cpu.user + cpu.system) / 1e6)}`);
    return report.ok ? ImportExitCode.Ok : ImportExitCode.Refused;
  } catch (err) {
    progress.stop();
    print(`import: stopped: ${(err as Error).message} (committed batches are kept; run again with --resume to continue)`);
    return ImportExitCode.Error;
  } finally {
    await ahead?.close();
    await storage.db.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  runImport(process.argv.slice(2), process.env, console.log, !!process.stdout.isTTY).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err);
      process.exit(ImportExitCode.Error);
    },
  );
}
