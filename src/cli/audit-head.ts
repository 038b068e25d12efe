// `npm run audit:head`: prints the audit chain's last link as JSON, to keep outside the database for `audit:verify --expect-head` (A3). https://www.rfc-editor.org/rfc/rfc6962#section-3.5
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createAuditLog } from '../audit/audit-log.js';
import { ExitCode, openConfigured, type VerifyEnv } from './audit-verify.js';

/**
 * Truncating the chain's tail leaves a shorter chain that verifies; only a head recorded elsewhere (a ticket, a
 * second system, a signed log) shows the cut. With AUDIT_HMAC_KEY set nobody without the key can re-extend it.
 */
export async function runAuditHead(env: VerifyEnv, print: (line: string) => void = console.log): Promise<number> {
  let opened;
  try {
    opened = openConfigured(env);
  } catch (err) {
    print(`audit:head: ${(err as Error).message}`);
    return ExitCode.Error;
  }
  try {
    const head = await createAuditLog({ hmacKey: env.AUDIT_HMAC_KEY }).head(opened.db);
    print(JSON.stringify({ ...head, keyed: !!env.AUDIT_HMAC_KEY, at: new Date().toISOString() }));
    return ExitCode.Ok;
  } catch (err) {
    print(`audit:head: cannot read the audit chain: ${(err as Error).message}`);
    return ExitCode.Error;
  } finally {
    await opened.db.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  runAuditHead(process.env).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err);
      process.exit(ExitCode.Error);
    },
  );
}
