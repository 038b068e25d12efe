// Finnish personal identity code (henkilötunnus, HETU) check, Identifier.system urn:oid:1.2.246.21. https://dvv.fi/en/personal-identity-code

/** Century signs per the 2023 reform of the Population Information Act (VTJL 128/2010, 12 §). */
export const HetuCenturySign = {
  '+': 1800,
  '-': 1900,
  Y: 1900,
  X: 1900,
  W: 1900,
  V: 1900,
  U: 1900,
  A: 2000,
  B: 2000,
  C: 2000,
  D: 2000,
  E: 2000,
  F: 2000,
} as const;

/** Remainder (DDMMYYNNN mod 31) -> check character; G, I, O, Q and Z are left out to avoid misreading. */
export const HETU_CHECK_CHARACTERS = '0123456789ABCDEFHJKLMNPRSTUVWXY';

const HETU_PATTERN = /^(\d{2})(\d{2})(\d{2})([-+A-FU-Y])(\d{3})([0-9A-Y])$/;

/** The check character the individual part DDMMYY + NNN calls for. */
export function hetuCheckCharacter(birthDate: string, individualNumber: string): string {
  return HETU_CHECK_CHARACTERS[Number(birthDate + individualNumber) % 31];
}

/**
 * True when `value` is a well-formed HETU: a real calendar date in the century its sign names,
 * individual number 002-999 (900-999 are temporary/test numbers, still well-formed) and the right check character.
 */
export function isValidHetu(value: unknown): boolean {
  if (typeof value !== 'string') {
    return false;
  }
  const match = HETU_PATTERN.exec(value);
  if (!match) {
    return false;
  }
  const [, dd, mm, yy, sign, individual, check] = match;
  const century = HetuCenturySign[sign as keyof typeof HetuCenturySign];
  const year = century + Number(yy);
  const month = Number(mm);
  const day = Number(dd);
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    return false;
  }
  if (Number(individual) < 2) {
    return false;
  }
  return hetuCheckCharacter(dd + mm + yy, individual) === check;
}
