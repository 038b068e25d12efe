// Calendar-true checks of FHIR date, dateTime and instant strings (the R4 regexes accept 2026-02-30 and a time without zone). https://hl7.org/fhir/R4/datatypes.html#dateTime
const DateTimeRe = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

export type DateKind = 'date' | 'dateTime' | 'instant';

/** Why `value` is not a valid `kind`, or undefined when it is. */
export function dateProblem(value: string, kind: DateKind): string | undefined {
  const m = DateTimeRe.exec(value);
  if (!m) return `'${value.slice(0, 40)}' is not a valid ${kind}`;
  const [, y, mo, d, h, mi, s, zone] = m;
  if (kind === 'date' && h !== undefined) return `a date has no time: '${value.slice(0, 40)}'`;
  if (kind === 'instant' && (d === undefined || h === undefined)) return `an instant needs date, time and zone: '${value.slice(0, 40)}'`;
  if (h !== undefined && zone === undefined) return `a time needs a time zone (Z or ±hh:mm): '${value.slice(0, 40)}'`;
  if (Number(y) < 1) return `year 0000 does not exist: '${value.slice(0, 40)}'`;
  if (mo !== undefined && (Number(mo) < 1 || Number(mo) > 12)) return `month ${mo} does not exist: '${value.slice(0, 40)}'`;
  if (d !== undefined) {
    const days = new Date(Date.UTC(Number(y), Number(mo), 0)).getUTCDate();
    if (Number(d) < 1 || Number(d) > days) return `${y}-${mo} has no day ${d}: '${value.slice(0, 40)}'`;
  }
  if (h !== undefined && (Number(h) > 23 || Number(mi) > 59 || Number(s) > 60)) return `${h}:${mi}:${s} is not a time of day`;
  if (zone && zone !== 'Z' && (Number(zone.slice(1, 3)) > 14 || Number(zone.slice(4, 6)) > 59)) return `time zone ${zone} does not exist`;
  return undefined;
}
