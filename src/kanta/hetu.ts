// Finnish personal identity code (henkilötunnus, HETU): check character, birth date and sex. https://dvv.fi/en/personal-identity-code
const CHECK_CHARACTERS = '0123456789ABCDEFHJKLMNPRSTUVWXY';
const CENTURY_BY_SIGN: Record<string, number> = {
  '+': 1800,
  '-': 1900, Y: 1900, X: 1900, W: 1900, V: 1900, U: 1900,
  A: 2000, B: 2000, C: 2000, D: 2000, E: 2000, F: 2000,
};
const HETU_PATTERN = /^(\d{2})(\d{2})(\d{2})([-+ABCDEFUVWXY])(\d{3})([0-9A-Y])$/;

/** The check character for the nine digits DDMMYY + NNN. */
export function hetuCheckCharacter(dateDigits: string, individualNumber: string): string {
  return CHECK_CHARACTERS[Number(dateDigits + individualNumber) % 31];
}

/** True when the code is well formed, names a real date and carries the right check character. */
export function isValidHetu(hetu: string): boolean {
  const m = HETU_PATTERN.exec(hetu);
  if (!m) return false;
  if (hetuCheckCharacter(m[1] + m[2] + m[3], m[5]) !== m[6]) return false;
  return birthDateFromHetu(hetu) !== undefined;
}

/** Birth date (YYYY-MM-DD) encoded in the code, or undefined when it is not a real date. */
export function birthDateFromHetu(hetu: string): string | undefined {
  const m = HETU_PATTERN.exec(hetu);
  if (!m) return undefined;
  const year = CENTURY_BY_SIGN[m[4]] + Number(m[3]);
  const month = Number(m[2]);
  const day = Number(m[1]);
  const d = new Date(Date.UTC(year, month - 1, day));
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return undefined;
  return `${year}-${m[2]}-${m[1]}`;
}

/** Odd individual numbers are men, even ones women. */
export function sexFromHetu(hetu: string): 'male' | 'female' | undefined {
  const m = HETU_PATTERN.exec(hetu);
  return m ? (Number(m[5]) % 2 === 1 ? 'male' : 'female') : undefined;
}

/** Builds a HETU for a birth date (YYYY-MM-DD) and individual number 2-999 (900-999 are the test range). */
export function makeHetu(birthDate: string, individualNumber: number): string {
  const [y, mo, d] = birthDate.split('-');
  const year = Number(y);
  const sign = year >= 2000 ? 'A' : year >= 1900 ? '-' : '+';
  const nnn = String(individualNumber).padStart(3, '0');
  const dateDigits = `${d}${mo}${y.slice(2)}`;
  return `${dateDigits}${sign}${nnn}${hetuCheckCharacter(dateDigits, nnn)}`;
}
