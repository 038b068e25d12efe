// Oracle of disclosure to professionals (D1-D10, P2), read afresh from the seed sentences (../shared/seeds/), SPEC §3 and issue 11.
// Each rule quotes the Finnish sentence it implements. It never looks at src/consent/.
import type { Consent, ConsentProvision, Resource } from '@medplum/fhirtypes';
import type { Principal } from '../../src/context.js';
import { ConsentKind, LocalExtension, RegisterKind } from '../../src/kanta/codes.js';
import { PRESCRIPTION_TYPES, type Sector, type WorldFacts } from './oracle-facts.js';

/**
 * Points the seeds, SPEC and issue leave open. The oracle evaluates every combination; where they disagree the
 * answer is 'open' (either is accepted), so a disagreement it reports is one the texts decide.
 */
export interface Readings {
  /** A deny nested in a permission: a prohibition binding every basis, or only an exception to that permission. */
  nestedDenyBindsAll: boolean;
  /** D5: informing needed too (seed 004 asks it before any permission can be given), or only permission and flag. */
  crossSectorNeedsInforming: boolean;
  /** D8: only a public social-care authority ("viranomaisena toimivilla"), or any social-care worker stating a basis. */
  statutoryNeedsPublicOrg: boolean;
  /** Several active permissions of one kind: any negative one vetoes, or the latest given one decides. */
  negativePermissionVetoes: boolean;
  /** D2: a same-sector permission's targeting (provider, data, time) honoured, or targeting is D5's only (seed 002). */
  sameSectorHonoursTargeting: boolean;
  /**
   * D8: the statutory right reaches health data too (SPEC D1: "crossing sectors ... needs D5 or D8"), or only social-care
   * data (seed 004 states it among the rules for disclosing social-care client data).
   */
  statutoryReachesHealth: boolean;
  /** A pharmacy worker (D6) reads prescription data only, or whatever the token's organisation and sector allow besides. */
  pharmacyOnlyPrescriptions: boolean;
}

export const ALL_READINGS: Readings[] = (() => {
  const keys: (keyof Readings)[] = ['nestedDenyBindsAll', 'crossSectorNeedsInforming', 'statutoryNeedsPublicOrg', 'negativePermissionVetoes', 'sameSectorHonoursTargeting', 'statutoryReachesHealth', 'pharmacyOnlyPrescriptions'];
  const out: Readings[] = [];
  for (let bits = 0; bits < 1 << keys.length; bits++) out.push(Object.fromEntries(keys.map((k, i) => [k, (bits & (1 << i)) !== 0])) as unknown as Readings);
  return out;
})();

const PERMISSION_KIND: Record<Sector, Record<Sector, string>> = {
  health: { health: ConsentKind.PermissionHealth, social: ConsentKind.PermissionHealthToSocial },
  social: { social: ConsentKind.PermissionSocial, health: ConsentKind.PermissionSocialToHealth },
};

const dated = (c: Consent): string => c.dateTime ?? '';

/** Is r covered by permission c for this viewer (targeting and D10)? */
function permits(f: WorldFacts, c: Consent, r: Resource, viewer: Principal, honourTargets: boolean, readings: Readings): boolean {
  // D10, seed 000: "Vuoden 2024 alusta alkaen luovutusluvalla on voitu luovuttaa myös sellaisia tietoja, jotka eivät ole
  // Kannassa." and "Jos olet antanut luovutusluvan vuonna 2023 tai aiemmin, se kannattaa päivittää" (year in Finnish time).
  const year = c.dateTime ? Number(f.date({ resourceType: 'Consent', dateTime: c.dateTime } as Resource)?.slice(0, 4)) : 0;
  if (year < 2024 && !f.inKanta(r)) return false;
  const nested = c.provision?.provision ?? [];
  if (!readings.nestedDenyBindsAll && nested.some((p) => p.type === 'deny' && f.denyReaches(p, r))) return false;
  const targets = nested.filter((p) => p.type !== 'deny');
  if (!honourTargets || targets.length === 0) return true;
  // Seed 002: "Luovutusluvan voi kohdentaa asetuksen mukaan: palvelunantajan, tietojen ja/tai ajan perusteella".
  return targets.some((t) => targetMatches(f, t, r, viewer));
}

function targetMatches(f: WorldFacts, t: ConsentProvision, r: Resource, viewer: Principal): boolean {
  const recipients = (t.actor ?? []).map((a) => f.oidOf(f.org(a.reference?.reference)));
  if (recipients.length && !recipients.some((o) => o && (o === viewer.organization || o === viewer.unit))) return false;
  if (t.class?.length && !t.class.some((c) => c.code === r.resourceType)) return false;
  if (t.dataPeriod) {
    const d = f.date(r);
    const start = t.dataPeriod.start?.slice(0, 10);
    const end = t.dataPeriod.end?.slice(0, 10);
    if (!d || (start && d < start) || (end && d > end)) return false;
  }
  const codes = (t.code ?? []).flatMap((c) => c.coding ?? []).map((x) => x.code as string);
  if (codes.length && !f.tasks(r).some((task) => codes.includes(task))) return false;
  return true;
}

/** An active permission of `kind` covers r. Seed 004: "Jos asiakas ei anna luovutuslupaa tai antaa sen kielteisenä, Kanta ei luovuta mitään tietoja". */
function permitted(f: WorldFacts, kind: string, r: Resource, viewer: Principal, honourTargets: boolean, readings: Readings): boolean {
  const all = f.consents(f.patientRef(r), kind);
  const negative = (c: Consent) => c.provision?.type === 'deny';
  let live = all;
  if (readings.negativePermissionVetoes) {
    if (all.some(negative)) return false;
  } else {
    const latest = all.reduce((m, c) => (dated(c) > m ? dated(c) : m), '');
    live = all.filter((c) => dated(c) === latest);
    if (live.some(negative)) return false;
  }
  return live.some((c) => permits(f, c, r, viewer, honourTargets, readings));
}

/** D3 + issue 11: does any active prohibition, of any target kind, reach r? */
function prohibited(f: WorldFacts, r: Resource, readings: Readings): boolean {
  const p = f.patientRef(r);
  // Seed 001: "Voit esimerkiksi kieltää jonkin tietyn käyntikerran tietojen luovuttamisen." Seed 004: "Kiellon voi kohdistaa:
  // Julkiseen tai yksityiseen sosiaalihuollon rekisterinpitäjään / Sosiaalihuollon palvelutehtävään / Yksittäiseen ... asiakasasiakirjaan".
  // Seed 003: "luovutuskiellot (kohdistuen palvelunantajaan tai sen rekisteriin tai käyntiin/hoitojaksoon)".
  for (const c of f.consents(p, ConsentKind.Prohibition)) {
    const denies = [c.provision, ...(c.provision?.provision ?? [])].filter((x): x is ConsentProvision => !!x && x.type === 'deny');
    if (denies.some((d) => f.denyReaches(d, r))) return true;
  }
  // Seed 000: "Luovutuskiellolla voit määrittää, mitä resepti- tai potilastietojasi ei saa luovuttaa muille terveydenhuollon
  // toimijoille." Seed 003 groups "reseptit, lääkeostot ja reseptien luovutustiedot": a prescription prohibition reaches the
  // prescription, its dispensings and its renewal requests.
  const rx = f.prescriptionOf(r);
  if (rx) {
    for (const c of f.consents(p, ConsentKind.PrescriptionProhibition)) {
      const data = [c.provision, ...(c.provision?.provision ?? [])].flatMap((x) => (x?.type === 'deny' ? (x.data ?? []) : []));
      if (data.some((d) => d.reference?.reference === rx)) return true;
    }
  }
  if (readings.nestedDenyBindsAll) {
    for (const kind of [ConsentKind.PermissionHealth, ConsentKind.PermissionSocial, ConsentKind.PermissionHealthToSocial, ConsentKind.PermissionSocialToHealth]) {
      for (const c of f.consents(p, kind)) if ((c.provision?.provision ?? []).some((x) => x.type === 'deny' && f.denyReaches(x, r))) return true;
    }
  }
  return false;
}

/** Professional, under one reading: may this care record be disclosed? (Patient, Consent etc. are decided in oracle.ts.) */
export function professionalSees(f: WorldFacts, viewer: Principal, r: Resource, readings: Readings): boolean {
  // P2 (SPEC): "Wellness data stays apart from care records and is never disclosed to professionals by D1-D8."
  if (r.resourceType === 'Observation' || f.isWellness(r)) return false;
  // D9, seed 000: "Tietojasi saa käyttää vain, jos ammattilaisella on siihen oikeus asiakas- tai hoitosuhteen tai
  // työtehtävän perusteella." The asserted connection is to the token's patient only; others stay withheld, own register too.
  if (!viewer.patient || f.patientRef(r) !== `Patient/${viewer.patient}`) return false;
  const sector = f.sector(r);
  if (!sector) return false;
  if (readings.pharmacyOnlyPrescriptions && viewer.pharmacy && !PRESCRIPTION_TYPES.includes(r.resourceType)) return false;
  const holder = f.holder(r);
  const here = viewer.sector as Sector;
  // D1, seed 000: "Sosiaali- ja terveydenhuollon palvelunantajat voivat katsoa tietojasi omasta potilas- tai asiakasrekisteristään
  // ilman erillistä lupaa. Esimerkiksi hyvinvointialueella tallennettuja potilastietoja voidaan käyttää kyseisen hyvinvointialueen
  // terveydenhuollossa. Hyvinvointialueen sosiaalipalvelujen asiakastietoja voidaan vastaavasti käyttää kyseisen hyvinvointialueen
  // sosiaalihuollossa." Within the viewer's sector only. Seed 000: "Jos kiellät ... ne näkyvät vain sille palvelunantajalle ...,
  // jonka rekisteriin tiedot on tallennettu": prohibitions never bind D1.
  if (holder === viewer.organization && sector === here) return true;

  const informed = f.informed(f.patientRef(r));
  let basis = false;
  // D2/D4, seed 000: "Huomaa, että potilastietojen ja sosiaalipalvelujen asiakastietojen luovuttamiseen on erilliset luovutusluvat."
  // Seed 004: "Kanta voi luovuttaa ... kun asiakas on vastaanottanut Kanta-informoinnin [ja] antanut luovutusluvan ... [eikä] ole
  // erikseen kieltänyt kyseisten tietojensa luovuttamista."
  if (sector === here && informed && permitted(f, PERMISSION_KIND[sector][here], r, viewer, readings.sameSectorHonoursTargeting, readings)) basis = true;
  // D5, seed 002: "Lupa luovuttaa potilastietoja sosiaalihuoltoon / Lupa luovuttaa sosiaalihuollon asiakastietoja terveydenhuoltoon";
  // "Sos.PäävastuullinenYksikkö ... jolle potilastietoja voidaan luovuttaa"; "Kenttä voidaan jättää tyhjäksi, jolloin oletusarvona on F."
  if (!basis && sector !== here && viewer.unit) {
    const flag = here === 'social' ? LocalExtension.MainResponsibleUnitSocial : LocalExtension.MainResponsibleUnitHealth;
    const unitOk = f.flag(f.org(viewer.unit), flag);
    if (unitOk && (informed || !readings.crossSectorNeedsInforming) && permitted(f, PERMISSION_KIND[sector][here], r, viewer, true, readings)) basis = true;
  }
  // D6, seed 000: "Reseptitietojasi voidaan käyttää ilman erillistä lupaa hoitotilanteessa tai kun haet lääkettä apteekista."
  if (!basis && PRESCRIPTION_TYPES.includes(r.resourceType) && sector === 'health' && (here === 'health' || viewer.pharmacy === true)) basis = true;
  // D7, seed 000: "Uudenmaan maakunnan alueella julkisen terveydenhuollon palvelunantajat saavat käyttää toistensa rekistereissä
  // olevia potilastietojasi, kun olet saanut Kanta-informoinnin".
  if (!basis && here === 'health' && informed && f.kind(r) === RegisterKind.PublicHealth) {
    const mine = f.org(viewer.organization);
    const theirs = f.org(holder);
    if (f.isPublic(mine) && f.inUusimaa(mine) && f.isPublic(theirs) && f.inUusimaa(theirs)) basis = true;
  }
  // D8, seed 004: "Sosiaalihuollon viranomaisena toimivilla työntekijöillä on joissakin tilanteissa lakisääteinen viranomaisen
  // tiedonsaantioikeus." (SPEC: only when the request states its legal basis.)
  if (!basis && here === 'social' && viewer.legalBasis && (sector === 'social' || readings.statutoryReachesHealth) && (!readings.statutoryNeedsPublicOrg || f.isPublic(f.org(viewer.organization)))) basis = true;
  if (!basis) return false;
  // Issue 11 + seed 000: "Luovutuskiellolla voit rajata potilastietojesi käyttöä myös Uudellamaalla." Every basis (D2, D5, D6,
  // D7, D8) yields to every active prohibition that reaches the record.
  return !prohibited(f, r, readings);
}
