// HL7 v3 TS timestamps (YYYYMMDDHHMMSS[.s][+ZZZZ]) to FHIR date/dateTime/instant. https://hl7.org/fhir/R4/datatypes.html#dateTime
const TS = /^(\d{4})(\d{2})?(\d{2})?(?:(\d{2})(\d{2})(\d{2})?(?:\.\d+)?)?([+-]\d{4})?$/;

/** A FHIR dateTime for an HL7 TS, or undefined when it is not one. Time without a zone is taken as UTC. */
export function tsToDateTime(ts: string): string | undefined {
  const m = TS.exec(ts);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, zone] = m;
  if (mo && (Number(mo) < 1 || Number(mo) > 12)) return undefined;
  if (d && (Number(d) < 1 || Number(d) > 31)) return undefined;
  if (!h) return [y, mo, d].filter(Boolean).join('-');
  if (Number(h) > 23 || Number(mi) > 59 || Number(s ?? '0') > 59) return undefined;
  const tz = zone ? `${zone.slice(0, 3)}:${zone.slice(3)}` : 'Z';
  return `${y}-${mo}-${d}T${h}:${mi}:${s ?? '00'}${tz}`;
}

/** A FHIR instant (needs seconds and a zone): a date alone becomes midnight UTC. */
export function tsToInstant(ts: string): string | undefined {
  const dt = tsToDateTime(ts);
  if (!dt) return undefined;
  if (dt.includes('T')) return dt;
  return dt.length === 10 ? `${dt}T00:00:00Z` : undefined;
}

export function tsToDate(ts: string): string | undefined {
  const dt = tsToDateTime(ts);
  return dt && dt.length >= 10 ? dt.slice(0, 10) : undefined;
}
