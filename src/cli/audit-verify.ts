// `npm run audit:verify [-- --expect-head HASH --from T --to T]`: checks the AuditEvent hash chain of the configured database and names every broken event (A3). https://hl7.org/fhir/R4/auditevent.html
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { createAuditLog, type VerifyOptions, type VerifyResult } from '../audit/audit-log.js';
import { periodBounds } from '../audit/audit-export.js';
import type { SqlDatabase } from '../store/sql/database.js';
import { openPostgresDatabase } from '../store/postgres/postgres-database.js';
import { openSqliteDatabase } from '../store/sqlite/sqlite-database.js';

export interface VerifyEnv {
  DATABASE_URL?: string;
  DATA_DIR?: string;
  AUDIT_HMAC_KEY?: string;
}

/** Exit codes: 0 chain intact, 1 chain broken, 2 could not check. */
export const ExitCode = { Ok: 0, Broken: 1, Error: 2 } as const;

export function openConfigured(env: VerifyEnv): { db: SqlDatabase; where: string } {
  if (env.DATABASE_URL) return { db: openPostgresDatabase(env.DATABASE_URL, { max: 1 }), where: 'PostgreSQL (DATABASE_URL)' };
  const file = resolve(join(env.DATA_DIR ?? './data', 'gateway.db'));
  // Opening a missing file would create an empty database and report an empty, "intact" chain.
  if (!existsSync(file)) throw new Error(`No database at ${file} (set DATA_DIR or DATABASE_URL)`);
  return { db: openSqliteDatabase(file), where: file };
}

export function formatResult(result: VerifyResult): string[] {
  if (result.ok) return [`Audit chain intact: ${result.checked} AuditEvents checked; head ${result.head}`];
  return [
    `Audit chain BROKEN: ${result.problems.length} problem(s) in ${result.checked} chain rows`,
    ...result.problems.map((p) => `  ${p.kind.padEnd(9)} seq ${p.seq ?? '-'} AuditEvent/${p.resourceId ?? '(unknown)'}: ${p.detail}`),
  ];
}

/** `--expect-head HASH` (from audit:head, kept outside the database); `--from`/`--to` (dates or instants) check a period only. */
export function parseVerifyArgs(argv: string[]): VerifyOptions {
  const { values } = parseArgs({ args: argv, options: { 'expect-head': { type: 'string' }, from: { type: 'string' }, to: { type: 'string' } } });
  const head = values['expect-head'];
  if (head !== undefined && !/^[0-9a-f]{64}$/.test(head)) throw new Error(`--expect-head must be a 64-digit hex hash, got '${head}'`);
  let range: { start?: string; end?: string } = {};
  if (values.from || values.to) {
    const b = periodBounds({ from: values.from ?? '0001-01-01', to: values.to ?? '9999-12-31' });
    range = { start: values.from ? b.start : undefined, end: values.to ? b.end : undefined };
  }
  return { expectHead: head, from: range.start, to: range.end };
}

export async function runAuditVerify(env: VerifyEnv, print: (line: string) => void = console.log, argv: string[] = []): Promise<number> {
  let opened: { db: SqlDatabase; where: string };
  let options: VerifyOptions;
  try {
    options = parseVerifyArgs(argv);
    opened = openConfigured(env);
  } catch (err) {
    print(`audit:verify: ${(err as Error).message}`);
    return ExitCode.Error;
  }
  try {
    const scope = [options.from && `from ${options.from}`, options.to && `before ${options.to}`, options.expectHead && `against head ${options.expectHead}`].filter(Boolean).join(', ');
    print(`Verifying ${opened.where}${env.AUDIT_HMAC_KEY ? ' (HMAC chain)' : ''}${scope ? ` ${scope}` : ''}`);
    const result = await createAuditLog({ hmacKey: env.AUDIT_HMAC_KEY }).verify(opened.db, options);
    for (const line of formatResult(result)) print(line);
    return result.ok ? ExitCode.Ok : ExitCode.Broken;
  } catch (err) {
    print(`audit:verify: cannot read the audit chain: ${(err as Error).message}`);
    return ExitCode.Error;
  } finally {
    await opened.db.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  runAuditVerify(process.env, console.log, process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err);
      process.exit(ExitCode.Error);
    },
  );
}
