// Which node-postgres failures mean "the database is not there (in time)" rather than a bug or a constraint. https://www.postgresql.org/docs/15/errcodes-appendix.html
import { DatabaseUnavailable } from '../sql/unavailable.js';

/** SQLSTATE classes and codes of an unreachable, restarting or overloaded server, or a cancelled statement. */
const UnavailableStates = new Set(['57014', '57P01', '57P02', '57P03', '53300', '53400', '55P03']);
const NetworkCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const Messages = [/Connection terminated/i, /timeout exceeded when trying to connect/i, /Query read timeout/i, /Client has encountered a connection error/i, /Connection ended/i, /not queryable/i];

export function isUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | undefined;
  const code = typeof e?.code === 'string' ? e.code : '';
  if (UnavailableStates.has(code) || code.startsWith('08') || NetworkCodes.has(code)) return true;
  return typeof e?.message === 'string' && Messages.some((m) => m.test(e.message as string));
}

/** Why, in words fit for a client (no host names, no SQL). */
export function reasonOf(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  if (e?.code === '57014') return 'the statement took too long';
  if (typeof e?.message === 'string' && /trying to connect/i.test(e.message)) return 'no connection in time';
  if (typeof e?.message === 'string' && /read timeout/i.test(e.message)) return 'no answer in time';
  if (e?.code === '53300') return 'too many connections';
  return 'connection lost';
}

export function asUnavailable(err: unknown): unknown {
  return isUnavailable(err) ? new DatabaseUnavailable(reasonOf(err)) : err;
}
