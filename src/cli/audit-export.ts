// `npm run audit:export -- --from YYYY-MM-DD --to YYYY-MM-DD [--out FILE]`: the operator's NDJSON export of AuditEvents for a period. https://hl7.org/fhir/R4/nd-json.html
import { open, type FileHandle } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { exportAuditEvents } from '../audit/audit-export.js';
import type { SqlDatabase } from '../store/sql/database.js';
import { openConfigured, type VerifyEnv } from './audit-verify.js';

/** Exit codes: 0 exported (possibly nothing), 2 could not export. */
export const ExportExitCode = { Ok: 0, Error: 2 } as const;

export interface ExportIo {
  /** Where NDJSON goes without --out. */
  stdout: { write(chunk: string): boolean; once(event: 'drain', fn: () => void): unknown };
  /** Progress and errors: never mixed into the NDJSON. */
  info(line: string): void;
}

/** Lines are written in chunks of about this many characters. */
const FLUSH_AT = 64 * 1024;

const processIo: ExportIo = { stdout: process.stdout, info: (line) => console.error(line) };

export async function runAuditExport(argv: string[], env: VerifyEnv, io: ExportIo = processIo): Promise<number> {
  let args: { from?: string; to?: string; out?: string };
  try {
    args = parseArgs({ args: argv, options: { from: { type: 'string' }, to: { type: 'string' }, out: { type: 'string' } }, strict: true }).values;
    if (!args.from || !args.to) throw new Error('--from and --to are required (YYYY-MM-DD or ISO instants)');
  } catch (err) {
    io.info(`audit:export: ${(err as Error).message}`);
    return ExportExitCode.Error;
  }
  let opened: { db: SqlDatabase; where: string };
  try {
    opened = openConfigured(env);
  } catch (err) {
    io.info(`audit:export: ${(err as Error).message}`);
    return ExportExitCode.Error;
  }
  let file: FileHandle | undefined;
  try {
    if (args.out) file = await open(resolve(args.out), 'w');
    const out = file;
    let buffered = '';
    const flush = async (): Promise<void> => {
      if (!buffered) return;
      const chunk = buffered;
      buffered = '';
      if (out) await out.write(chunk);
      else if (!io.stdout.write(chunk)) await new Promise<void>((done) => io.stdout.once('drain', done));
    };
    const count = await exportAuditEvents(opened.db, { from: args.from, to: args.to }, async (line) => {
      buffered += line;
      if (buffered.length >= FLUSH_AT) await flush();
    });
    await flush();
    io.info(`Exported ${count} AuditEvents recorded ${args.from} .. ${args.to} from ${opened.where}${args.out ? ` to ${resolve(args.out)}` : ''}`);
    return ExportExitCode.Ok;
  } catch (err) {
    io.info(`audit:export: ${(err as Error).message}`);
    return ExportExitCode.Error;
  } finally {
    await file?.close();
    await opened.db.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  runAuditExport(process.argv.slice(2), process.env).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err);
      process.exit(ExportExitCode.Error);
    },
  );
}
