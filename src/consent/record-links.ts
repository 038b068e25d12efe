// How a record hangs off a service event or a prescription, so marks and prohibitions on those reach it (D3, C3). https://hl7.org/fhir/R4/encounter.html
import type { Resource } from '@medplum/fhirtypes';
import type { Condition } from '../store/resource-store.js';
import { chain, FALSE, has, or, param } from './conditions.js';
import { isEncounterLinked } from './record-types.js';

/** A test on the service event itself: `encounter` is evaluated on an Encounter, `episode` on an EpisodeOfCare. */
export interface EventTest {
  encounter: Condition;
  episode: Condition;
}

/** Types whose R4 `context` parameter names the Encounter or EpisodeOfCare they belong to. */
const ContextLinked: ReadonlySet<string> = new Set(['MedicationDispense', 'MedicationAdministration', 'MedicationStatement']);

/**
 * The record of type `t` is a service event passing `ev`, or is linked to one: through `encounter`/`context`, an
 * Encounter's care period, or the prescription it concerns (a dispensing or renewal request inherits its
 * prescription's visit). One definition for every rule that binds "a service event and everything linked to it".
 */
export function linkedToEvent(t: string, ev: EventTest): Condition {
  if (ev.encounter.kind === 'false' && ev.episode.kind === 'false') return FALSE;
  const encounterSide = or(ev.encounter, chain('episode-of-care', 'EpisodeOfCare', ev.episode));
  switch (t) {
    case 'Encounter':
      return encounterSide;
    case 'EpisodeOfCare':
      return ev.episode;
    case 'Task':
      return or(chain('encounter', 'Encounter', encounterSide), chain('focus', 'MedicationRequest', linkedToEvent('MedicationRequest', ev)));
  }
  if (ContextLinked.has(t)) {
    return or(
      chain('context', 'Encounter', encounterSide),
      chain('context', 'EpisodeOfCare', ev.episode),
      t === 'MedicationDispense' ? chain('prescription', 'MedicationRequest', linkedToEvent('MedicationRequest', ev)) : FALSE
    );
  }
  if (!isEncounterLinked(t)) return FALSE;
  return or(chain('encounter', 'Encounter', encounterSide), t === 'DocumentReference' ? chain('encounter', 'EpisodeOfCare', ev.episode) : FALSE);
}

/**
 * The record is a prescription passing `mr` (a test on the MedicationRequest), or its dispensing or renewal
 * request: seed 003 groups "reseptit, lääkeostot ja reseptien luovutustiedot", so a prescription prohibition
 * reaches all three.
 */
export function concernsPrescription(t: string, mr: Condition): Condition {
  switch (t) {
    case 'MedicationRequest':
      return mr;
    case 'MedicationDispense':
      return chain('prescription', 'MedicationRequest', mr);
    case 'Task':
      return chain('focus', 'MedicationRequest', mr);
    default:
      return FALSE;
  }
}

/** A token test on the event itself, for marks both Encounter and EpisodeOfCare carry (e.g. RestrictionParent). */
export function eventParam(code: string, values: string[]): EventTest {
  return { encounter: param(code, values), episode: param(code, values) };
}

/**
 * Types that hold the content of a record rather than being records themselves: each resource of such a type is
 * reached through the record that references it (an archived CDA is a Binary named by its DocumentReference's
 * `content.attachment.url`, indexed as the project parameter `binary`). R4 Binary.securityContext names the same
 * DocumentReference; visibility follows the referencing record, never the Binary's own claims.
 */
export const ContentLinks: Readonly<Record<string, { sourceType: string; refParam: string }>> = {
  Binary: { sourceType: 'DocumentReference', refParam: 'binary' },
};

/**
 * The content links a record makes (DocumentReference `content.attachment.url`), as written: any url naming a content
 * type, in whatever form (relative, absolute, versioned), so none escapes by spelling. Visibility follows these links,
 * so only the writer of the content (the archive operator) may add one; write-guard.ts refuses everyone else.
 */
export function contentLinksOf(resource: Resource): string[] {
  const names = Object.keys(ContentLinks).filter((t) => ContentLinks[t].sourceType === resource.resourceType);
  if (names.length === 0) return [];
  const naming = new RegExp(`(^|/)(${names.join('|')})/`, 'i');
  const content = (resource as { content?: unknown }).content;
  const urls: string[] = [];
  for (const c of Array.isArray(content) ? content : []) {
    const url = (c as { attachment?: { url?: unknown } } | null)?.attachment?.url;
    if (typeof url === 'string' && naming.test(url)) urls.push(url);
  }
  return urls;
}

/** The content resource of type `t` is referenced by a record of its holder type that passes `holderCond`. */
export function referencedByVisible(t: string, holderCond: Condition): Condition {
  const link = ContentLinks[t];
  return link ? has(link.sourceType, link.refParam, holderCond) : FALSE;
}
