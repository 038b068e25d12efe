// Birth date, sex and test-identity construction from a Finnish personal identity code; the check itself lives in the validator. https://dvv.fi/en/personal-identity-code
import { HetuCenturySign, hetuCheckCharacter, isValidHetu } from '../validation/hetu.js';

export { hetuCheckCharacter, isValidHetu };

const HETU_PATTERN = /^(\d{2})(\d{2})(\d{2})([-+A-FU-Y])(\d{3})([0-9A-Y])$/;

/** Birth date (YYYY-MM-DD) encoded in the code, or undefined when it is not a real date. */
export function birthDateFromHetu(hetu: string): string | undefined {
  const m = HETU_PATTERN.exec(hetu);
  if (!m) return undefined;
  const year = HetuCenturySign[m[4] as keyof typeof HetuCenturySign] + Number(m[3]);
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
