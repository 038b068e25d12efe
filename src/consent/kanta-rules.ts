// Fixed facts of the Finnish disclosure rules the consent engine applies (dates, hidden kinds, guardian codes). https://www.kanta.fi/tietojen-kaytto-ja-luvat
import { LocalSystem, SocialDocumentKind } from '../kanta/codes.js';

/** D10: permissions given before this instant cover only data stored in Kanta. */
export const BROAD_PERMISSION_FROM = '2024-01-01';

/** C3: guardians see children's data from visits since this date (while the child was under 10). */
export const GUARDIAN_VIEW_FROM = '2016-08-01';
export const GUARDIAN_FULL_VIEW_UNDER_AGE = 10;
export const ADULT_AGE = 18;

/** RestrictionParent (urn:oid:1.2.246.537.5.40202.201901): the minor's decision on guardians. */
export const RestrictionParentCode = {
  NotCapableDisclosed: '1',
  CapableAllows: '2',
  CapableForbids: '3',
  Unknown: '4',
} as const;
/** 10-17: shown only when decision capacity and will were recorded as allowing it (codes 1 and 2). */
export const GuardianAllowedCodes: readonly string[] = [RestrictionParentCode.NotCapableDisclosed, RestrictionParentCode.CapableAllows];
/** Under 10: shown unless restricted from the guardian (3) or decision unknown/not disclosed (4). */
export const GuardianRestrictedCodes: readonly string[] = [RestrictionParentCode.CapableForbids, RestrictionParentCode.Unknown];

/**
 * C2: social-care document kinds OmaKanta never (or not yet) shows. `phase-1` and `old` are local codes of
 * LocalSystem.SocialDocumentKind added here for "old and phase-1 documents" (no published code exists).
 */
export const SocialKindPhase1 = 'phase-1';
export const SocialKindOld = 'old';
export const CitizenHiddenSocialKinds: readonly string[] = [
  SocialKindOld,
  SocialKindPhase1,
  SocialDocumentKind.ParenthoodDetermination,
  SocialDocumentKind.Shelter,
  SocialDocumentKind.PaymentCommitment,
  SocialDocumentKind.ClientRecordEntry,
  SocialDocumentKind.SharedMatter,
  SocialDocumentKind.ClientRelationship,
  SocialDocumentKind.AdoptionCounselling,
];
export const SocialKindSystem = LocalSystem.SocialDocumentKind;

/** The calendar day in Finland (release dates and ages are Finnish calendar days). */
export function finnishDate(now: Date): string {
  const t = now.getTime();
  // Since May 1921 Helsinki is a whole number of hours from UTC, so the date changes only on a UTC minute boundary
  // (before, local mean time was +1:39:49).
  if (!(t >= WholeHourOffsetsSince)) return FinnishDay.format(now);
  const minute = Math.floor(t / 60_000);
  const hit = DayByMinute.get(minute);
  if (hit !== undefined) return hit;
  const day = FinnishDay.format(now);
  if (DayByMinute.size >= DayCacheSize) DayByMinute.clear();
  DayByMinute.set(minute, day);
  return day;
}

/** Formatting through Intl costs ~5 us, and a request asks for today's date and its records' days several times. */
const DayByMinute = new Map<number, string>();
const DayCacheSize = 4096;
const WholeHourOffsetsSince = Date.UTC(1921, 4, 1);

/** Built once: constructing an Intl.DateTimeFormat costs more than the whole consent decision of a request. */
const FinnishDay = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Helsinki', year: 'numeric', month: '2-digit', day: '2-digit' });

/** `birthDate` + `years` as YYYY-MM-DD (29 Feb births turn a year older on 1 Mar). */
export function addYears(birthDate: string, years: number): string {
  const [y, m, d] = birthDate.slice(0, 10).split('-').map(Number);
  const dt = new Date(Date.UTC(y + years, (m ?? 1) - 1, d ?? 1));
  return dt.toISOString().slice(0, 10);
}

/** Full years on `day`; same answer as counting addYears steps (a 29 Feb birthday falls on 1 Mar), without the loop. */
export function ageOn(birthDate: string, day: string): number {
  const years = Number(day.slice(0, 4)) - Number(birthDate.slice(0, 4)) - (day.slice(5, 10) < birthDate.slice(5, 10) ? 1 : 0);
  return Math.max(0, years);
}

export const stripOid = (v: string): string => (v.startsWith('urn:oid:') ? v.slice(8) : v);

/** UTC offset of Finland at the start of the Finnish calendar day `day` (YYYY-MM-DD), as `+02:00` or `+03:00`. */
export function finnishOffset(day: string): string {
  // At 00:00 UTC Finland is at 02:00 or 03:00 of the same day, and clocks change only at 01:00 UTC, so this is midnight's offset.
  const name = FinnishOffset.formatToParts(new Date(`${day}T00:00:00Z`)).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT+02:00';
  const m = /GMT([+-]\d{2}):?(\d{2})?/.exec(name);
  return m ? `${m[1]}:${m[2] ?? '00'}` : '+02:00';
}
const FinnishOffset = new Intl.DateTimeFormat('en-US', { timeZone: 'Europe/Helsinki', timeZoneName: 'longOffset' });

/** The instant Finnish day `day` begins, as a FHIR dateTime with its offset. */
export function finnishDayStart(day: string): string {
  return `${day}T00:00:00${finnishOffset(day)}`;
}

/** The last millisecond before Finnish day `day` begins (a search value whose `sa` means "starts on or after `day`"). */
export function finnishDayEve(day: string): string {
  const prev = new Date(Date.UTC(Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1, Number(day.slice(8, 10)) - 1)).toISOString().slice(0, 10);
  return `${prev}T23:59:59.999${finnishOffset(day)}`;
}

/** The Finnish calendar day of a FHIR date or dateTime (a bare date already is one). */
export function finnishDayOf(value: string): string | undefined {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : finnishDate(new Date(t));
}
