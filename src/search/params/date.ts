// Date search parameters: values become [start, end) ranges in epoch ms at their precision. https://hl7.org/fhir/R4/search.html#date
import { badRequest, OperationOutcomeError, type TypedValue } from '@medplum/core';
import type { Period, SearchParameter, Timing } from '@medplum/fhirtypes';
import type { ParamType } from './param-type.js';
import { rangePredicate, splitPrefix } from './prefix.js';
import { joinSql, ridIn, sql } from './sql-fragments.js';

/** Open ends of a Period are stored as these sentinels so comparisons need no NULL handling. */
export const MIN_INSTANT = -8.64e15;
export const MAX_INSTANT = 8.64e15;

const DATE_RE = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

/** Parses a FHIR date, dateTime or instant into the range it denotes; undefined when malformed. */
export function parseDateRange(value: string): [number, number] | undefined {
  const m = DATE_RE.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, tz] = m;
  const year = Number(y);
  const month = mo ? Number(mo) : 1;
  const day = d ? Number(d) : 1;
  if (month < 1 || month > 12) return undefined;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > daysInMonth) return undefined;
  if (h !== undefined && (Number(h) > 23 || Number(mi) > 59 || (s !== undefined && Number(s) > 59))) return undefined;
  let offsetMs = 0;
  if (tz && tz !== 'Z') {
    const sign = tz[0] === '-' ? -1 : 1;
    offsetMs = sign * (Number(tz.slice(1, 3)) * 60 + Number(tz.slice(4, 6))) * 60_000;
  }
  const ms = frac ? Math.round(Number(`0${frac}`) * 1000) : 0;
  const start = Date.UTC(year, month - 1, day, h ? Number(h) : 0, mi ? Number(mi) : 0, s ? Number(s) : 0, ms) - offsetMs;
  let end: number;
  if (!mo) end = Date.UTC(year + 1, 0, 1);
  else if (!d) end = Date.UTC(year, month, 1);
  else if (h === undefined) end = Date.UTC(year, month - 1, day + 1);
  else if (s === undefined) end = start + 60_000;
  else if (!frac) end = start + 1000;
  else end = start + 1;
  return [start, end];
}

function extractOne(tv: TypedValue): [number, number][] {
  const v = tv.value as unknown;
  if (typeof v === 'string') {
    const r = parseDateRange(v);
    return r ? [r] : [];
  }
  if (v && typeof v === 'object') {
    const period = v as Period;
    if ('start' in period || 'end' in period) {
      const lo = period.start ? parseDateRange(period.start)?.[0] : MIN_INSTANT;
      const hi = period.end ? parseDateRange(period.end)?.[1] : MAX_INSTANT;
      return lo !== undefined && hi !== undefined ? [[lo, hi]] : [];
    }
    const timing = v as Timing;
    if (Array.isArray(timing.event)) return timing.event.flatMap((e) => extractOne({ type: 'dateTime', value: e }));
  }
  return [];
}

function searchRange(raw: string, code: string): { prefix: ReturnType<typeof splitPrefix>['prefix']; range: [number, number] } {
  const { prefix, rest } = splitPrefix(raw, code);
  const range = parseDateRange(rest);
  if (!range) {
    throw new OperationOutcomeError(badRequest(`Invalid date '${raw}' for search parameter '${code}'`, code));
  }
  return { prefix, range };
}

/** `ap` widens the range by 10% of its distance from now, at least a day. */
function approximateDelta(lo: number): number {
  return Math.max(Math.abs(Date.now() - lo) * 0.1, 86_400_000);
}

export const dateParam: ParamType = {
  table: 'search_date',
  columns: ['lo', 'hi'],
  modifiers: [],
  extract(values: TypedValue[]) {
    return values.flatMap(extractOne);
  },
  validate(value: string, sp: SearchParameter) {
    searchRange(value, sp.code as string);
  },
  compile(leaf, sp, ridExpr, env, mode) {
    const tests = leaf.values.map((raw) => {
      const { prefix, range } = searchRange(raw, sp.code as string);
      const p = rangePredicate(prefix, 'lo', 'hi', range[0], range[1], approximateDelta(range[0]));
      return sql(p.sql, p.params);
    });
    return ridIn('search_date', leaf.code, ridExpr, joinSql(tests, 'OR', 'FALSE'), false, mode, env.dialect);
  },
  sortColumn: (descending) => (descending ? 'hi' : 'lo'),
};
