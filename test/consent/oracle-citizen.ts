// Oracle of the citizen's own view and of acting for another (C1-C5, P1), read afresh from the seed sentences and SPEC §3.
// Each rule quotes the Finnish sentence it implements. It never looks at src/consent/.
import type { Resource } from '@medplum/fhirtypes';
import { DocumentMark, LocalSystemMore, SocialDocumentKind } from '../../src/kanta/codes.js';
import { ageOn, EVENT_TYPES, PRESCRIPTION_TYPES, type Verdict, type WorldFacts } from './oracle-facts.js';

/** Who a person acts as in OmaKanta. */
export type PersonRole = 'citizen' | 'guardian' | 'proxy';

export interface PersonView {
  role: PersonRole;
  /** `Patient/<id>` whose data is viewed (self, the child, the principal). */
  patient: string;
  /** Birth date of that patient. */
  birthDate: string;
  /** Today in Finnish time. */
  today: string;
  /** Proxy: Suomi.fi mandates held. */
  mandates?: string[];
}

/** Seed 003: "1.8.2016 alkaen Omakannassa otettiin käyttöön alaikäisen puolesta asiointi". */
export const CUT_OFF = '2016-08-01';

/** Seed 004: "OmaKannassa ei näytetä ..." (C2), as the codes of codes.ts name them. */
const SOCIAL_NOT_SHOWN: string[] = [
  'old', // "vanhoja ... asiakirjoja" (no code in codes.ts; the test worlds use these two)
  'phase-1', // "... ja 1. vaiheen asiakirjoja"
  SocialDocumentKind.ParenthoodDetermination, // "vanhemmuuden selvittämiseen liittyviä asiakirjoja"
  SocialDocumentKind.Shelter, // "turvakotipalvelujen sekä lähisuhde- ja perheväkivallan ehkäisytyöhön liittyviä asiakirjoja"
  SocialDocumentKind.PaymentCommitment, // "maksusitoumuksia"
  SocialDocumentKind.ClientRecordEntry, // "Alkuvaiheessa OmaKannassa ei näytetä asiakaskertomus-merkintöjä"
  SocialDocumentKind.SharedMatter, // "yhteiseen asiaan liittyviä asiakasasiakirjoja"
  SocialDocumentKind.ClientRelationship, // "asiakkuusasiakirjaa"
  SocialDocumentKind.AdoptionCounselling, // "adoptioneuvonnan asiakirjoja"
];

const both = (a: Verdict, b: Verdict): Verdict => (a === 'no' || b === 'no' ? 'no' : a === 'open' || b === 'open' ? 'open' : 'yes');

/** C1/C2: the OmaKanta display rules of one document (the same for the citizen, the guardian and the proxy). */
function displayRules(f: WorldFacts, r: Resource, v: PersonView): Verdict {
  if (r.resourceType !== 'DocumentReference') return 'yes';
  const x = r as any;
  // Seed 003: "Omakannassa näytettävän tiedon on oltava tallennettuna asiakirjan viimeisimpään versioon ja tietoa ei näytetä,
  // mikäli asiakirjan viimeinen versio on mitätöity." Seed 004: "poistettuja eli mitätöityjä asiakirjoja / korjattujen
  // asiakirjojen aiempia versiota".
  if (x.status === 'superseded' || x.status === 'entered-in-error') return 'no';
  // Seed 003: "vain niistä asiakirjoista, jotka on yhdistetty tälle henkilölle kirjattuun käyntiin/hoitojaksoon."
  const events = f.parents(r).filter((p) => EVENT_TYPES.includes(p.resourceType) && f.patientRef(p) === v.patient);
  if (events.length === 0) return 'no';
  // Seed 003: "eivät ole viivästetty, jolloin tiedot näytetään Omakannassa vasta viivästämisen jälkeen" (the release date is
  // the first day it may be shown). Seed 004: "Ammattihenkilö voi ... viivästä näyttämistä määräaikaisesti".
  const release = f.releaseDate(r);
  if (release && release > v.today) return 'no';
  const social = f.sector(r) === 'social';
  let verdict: Verdict = 'yes';
  // Seed 003: "mikäli asiakirjan on merkitty sisältävän tietoja toisesta henkilöstä" / "Omakanta ei näytä tietoja, mikäli
  // päänäkymänä on paikallinen näkymä" (said of the patient archive: for social documents the seeds are silent).
  for (const m of [DocumentMark.OtherPerson, DocumentMark.LocalMainView]) if (f.isMark(r, m)) verdict = both(verdict, social ? 'open' : 'no');
  // Seed 004: "jättää kokonaan näyttämättä käyttämällä erityissisältömerkintää" (social care; for health the seeds are silent).
  if (f.isMark(r, DocumentMark.SpecialContent)) verdict = both(verdict, social ? 'no' : 'open');
  // Seed 004: "viivästä näyttämistä määräaikaisesti": for a fixed time, so a professional's delay whose end date has come is over.
  if (f.isMark(r, DocumentMark.ProfessionalDelay) && !release) verdict = both(verdict, social ? 'no' : 'open');
  const kind = f.socialDocumentKind(r);
  if (social && kind && SOCIAL_NOT_SHOWN.includes(kind)) return 'no';
  return verdict;
}

/**
 * C3/C5: the 2016-08-01 cut-off (and, for the guardian, the child's age and the minor's decision). The dates tested are the
 * record's own and, for a document, its visit's (seed 003: "Mikäli käynti terveydenhuollossa on tapahtunut 1.8.2016 jälkeen").
 */
function minorRules(f: WorldFacts, r: Resource, v: PersonView, guardian: boolean): Verdict {
  const rp = guardian ? f.restrictionParent(r) : [];
  // Seed 001: "Päätöskykyinen nuori saa itse valita, näkyvätkö hänen tietonsa huoltajalle OmaKannassa." RestrictionParent
  // 3 = capable and forbids, 4 = capability unknown, not disclosed; a mark on a visit binds everything linked to it (issue 11).
  if (rp.includes('3') || rp.includes('4')) return 'no';
  const allowed = rp.includes('1') || rp.includes('2');
  // Seed 003: "alle 10-vuotiaiden lasten huoltajille ja alaikäisille itselleen näytetään 1.8.2016 jälkeen syntyneet tiedot."
  // Seed 003: "Tietojen näkyminen yli 10-vuotiaan alaikäisen lailliselle edustajalle Omakannassa on mahdollista siinä kohtaa,
  // kun terveydenhuollon organisaatiossa on mahdollista kirjata rakenteisesti alaikäisen päätöskyky ja tahto".
  // Seed 004 (social care): "Alaikäisen asiakkaan puolesta asioiva huoltaja näkee OmaKannassa samat tiedot kuin alaikäinen
  // asiakas itse, ellei erillisiä näyttämisen rajoituksia tehdä." The age-10 rule of seed 003 is the patient archive's.
  const ageRule = guardian && f.sector(r) !== 'social';
  const ok = (d: string | undefined): boolean => !!d && d >= CUT_OFF && (!ageRule || allowed || ageOn(v.birthDate, d) < 10);
  if (!ok(f.date(r))) return 'no';
  const linked = f.ancestors(r);
  if (linked.every((p) => ok(f.date(p)))) return 'yes';
  // A document belongs to its visit (seed 003 names the visit); for a dispensing or renewal request of an old prescription
  // the seeds are silent.
  return r.resourceType === 'DocumentReference' ? 'no' : 'open';
}

/** A person's view of one care record of `v.patient` (Encounter, EpisodeOfCare, DocumentReference, prescriptions, Observation). */
export function personSees(f: WorldFacts, v: PersonView, r: Resource): Verdict {
  // Seed 003: "Omakanta näyttää vain niiden asiakirjojen tietoja, joissa potilaan henkilötunnukseksi on merkitty Omakantaan
  // kirjautuneen henkilön henkilötunnus".
  if (f.patientRef(r) !== v.patient) return 'no';
  const minor = ageOn(v.birthDate, v.today) < 18;
  if (r.resourceType === 'Observation' || f.isWellness(r)) {
    // Seed 003: "Valtuutettu ... hänellä ei ole oikeutta käsitellä elinluovutustahtoa, hoitotahtoa eikä hyvinvointitietoja."
    // Guardians: the README's personal-data-store section ("Professionals, proxies, guardians: never").
    if (v.role !== 'citizen') return 'no';
    if (r.resourceType !== 'Observation') return 'open';
    // Seed 003 lists "hyvinvointitiedot" among what the user browses; whether the 2016 cut-off applies to them is unsaid.
    return minor && (f.date(r) ?? '') < CUT_OFF ? 'open' : 'yes';
  }
  const sector = PRESCRIPTION_TYPES.includes(r.resourceType) ? 'health' : f.sector(r);
  if (!sector) return 'open';
  if (r.resourceType === 'Task' && !(r as any).code?.coding?.some((c: any) => c.system === LocalSystemMore.TaskKind)) return 'open';
  // Seed 003: "Omakannassa voi asioida toisen aikuisen puolesta Suomi.fi:n Terveydenhuollon asioiden hoito -valtuudella";
  // seed 001: "OmaKannassa asiointiin tarvittavat valtuudet ovat • Terveydenhuollon asioiden hoito • Sosiaalihuollon asioiden hoito."
  if (v.role === 'proxy' && !(v.mandates ?? []).includes(sector)) return 'no';
  let verdict = displayRules(f, r, v);
  // Seed 001: "Näet OmaKannasta ne tiedot, jotka sinusta on tallennettu Kanta-palveluihin eli Kantaan." Records kept only
  // outside Kanta: the seeds do not say whether the gateway shows them in the citizen's view.
  if (!f.inKanta(r)) verdict = both(verdict, 'open');
  if (v.role === 'guardian') return both(verdict, minorRules(f, r, v, true));
  if (v.role === 'citizen' && minor) return both(verdict, minorRules(f, r, v, false));
  return verdict;
}
