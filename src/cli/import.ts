// `npm run import -- FILES...`: imports Kanta CDA R2 documents and JSON record files into the configured store, each file all-or-nothing. https://hl7.org/fhir/R4/http.html#transaction
import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { importSources, type ImportInput, type ImportReport } from '../kanta/import.js';
import { sqlitePath } from '../config.js';
import { openStorage, type Storage } from '../storage.js';
import { createValidatingStore } from '../store/validating-store.js';

export interface ImportEnv {
  DATABASE_URL?: string;
  DATA_DIR?: string;
  AUDIT_HMAC_KEY?: string;
}

/** Exit codes: 0 every file imported, 1 some file refused (nothing of it stored), 2 could not run. */
export const ImportExitCode = { Ok: 0, Refused: 1, Error: 2 } as const;

export function formatReport(report: ImportReport): string[] {
  return report.inputs.map((i) =>
    i.ok
      ? `imported ${i.name} (${i.format}): ${i.created.length} created, ${i.updated.length} updated, ${i.unchanged.length} unchanged`
      : `REFUSED  ${i.name} (${i.format}): ${(i.outcome?.issue ?? []).map((x) => x.details?.text ?? x.diagnostics).join('; ')} — nothing of it was stored`,
  );
}

export async function runImport(files: string[], env: ImportEnv, print: (line: string) => void = console.log): Promise<number> {
  if (!files.length) {
    print('usage: npm run import -- FILE.xml|FILE.json ... (CDA R2 documents and JSON record files; see mappings/README.md)');
    return ImportExitCode.Error;
  }
  const inputs: ImportInput[] = [];
  for (const file of files) {
    try {
      inputs.push({ name: basename(file), content: readFileSync(file, 'utf8') });
    } catch (err) {
      print(`import: cannot read ${file}: ${(err as Error).message}`);
      return ImportExitCode.Error;
    }
  }
  let storage: Storage;
  const config = { databaseUrl: env.DATABASE_URL || undefined, dataDir: resolve(env.DATA_DIR ?? './data'), auditHmacKey: env.AUDIT_HMAC_KEY || undefined };
  try {
    storage = await openStorage(config);
  } catch (err) {
    print(`import: cannot open the database: ${(err as Error).message}`);
    return ImportExitCode.Error;
  }
  try {
    // Same indexes and profiles as the gateway; every record is validated before it is stored.
    const store = createValidatingStore(storage.rawStore(storage.db), (r) => storage.validator.validate(r));
    print(`Importing ${inputs.length} file(s) into ${config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : sqlitePath(config)}`);
    const report = await importSources(inputs, store);
    for (const line of formatReport(report)) print(line);
    return report.ok ? ImportExitCode.Ok : ImportExitCode.Refused;
  } catch (err) {
    print(`import: ${(err as Error).message}`);
    return ImportExitCode.Error;
  } finally {
    await storage.db.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  runImport(process.argv.slice(2), process.env).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err);
      process.exit(ImportExitCode.Error);
    },
  );
}
