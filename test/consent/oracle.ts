// Reference oracle of the disclosure policy, rewritten from the seed sentences (../shared/seeds/), SPEC §3 and issue 11 without
// reading the engine (src/consent/): who is refused, and for each resource 'yes' (must be shown), 'no' (must never leave) or 'open'.
import type { Resource } from '@medplum/fhirtypes';
import type { Principal, RequestContext } from '../../src/context.js';
import { ConsentKind, GuardianRelationship, LocalSystem, LocalSystemMore, Oid } from '../../src/kanta/codes.js';
import { personSees, type PersonView } from './oracle-citizen.js';
import { ageOn, finnishDate, type Verdict, WorldFacts } from './oracle-facts.js';
import { ALL_READINGS, professionalSees } from './oracle-professional.js';

export type { Verdict } from './oracle-facts.js';

/** What a search of one type must return: every id of `must`, and nothing outside `must` and `may`. */
export interface Expectation {
  must: string[];
  may: string[];
}

const CARE_TYPES = ['Encounter', 'EpisodeOfCare', 'DocumentReference', 'MedicationRequest', 'MedicationDispense', 'Task', 'Observation'];

/**
 * S1 (SPEC): "SMART v2 scopes limit types and interactions on every route (includes and `$everything` too)." Issue 11, item 10:
 * every resource that leaves by any route must be inside the token's scopes as well as the consent policy.
 */
export function scopeAllows(scopes: readonly string[], type: string): boolean {
  return scopes.some((s) => {
    const m = /^(patient|user|system)\/([A-Za-z]+|\*)\.([a-z*]+)$/.exec(s);
    if (!m || (m[2] !== '*' && m[2] !== type)) return false;
    return m[3] === 'read' || m[3] === '*' || m[3].includes('r') || m[3].includes('s');
  });
}

const combine = (vs: Verdict[]): Verdict => (vs.every((v) => v === 'yes') ? 'yes' : vs.every((v) => v === 'no') ? 'no' : 'open');

export class Oracle {
  readonly facts: WorldFacts;
  constructor(readonly world: Resource[]) {
    this.facts = new WorldFacts(world);
  }

  private patient(id: string | undefined): Resource | undefined {
    return id ? this.facts.resolve(`Patient/${id}`) : undefined;
  }
  private hetuOf(p: Resource | undefined): string | undefined {
    return (p as any)?.identifier?.find((i: any) => i.system === Oid.Hetu)?.value;
  }
  private today(ctx: RequestContext): string {
    return finnishDate(ctx.now.toISOString()) as string;
  }
  private isMinor(p: Resource | undefined, ctx: RequestContext): boolean {
    const birth = (p as any)?.birthDate as string | undefined;
    return !!birth && ageOn(birth, this.today(ctx)) < 18;
  }
  /** P1: the citizen's active authorisation of this wellness app. */
  appAuthorised(p: Principal): boolean {
    return this.facts
      .consents(`Patient/${p.patient}`, ConsentKind.WellnessApp)
      .some((c) => c.provision?.type === 'permit' && (c.provision.actor ?? []).some((a) => a.reference?.identifier?.system === LocalSystemMore.AppClientId && a.reference.identifier.value === p.clientId));
  }

  /** Issue 11, item 8: "A unit must belong to the token's organisation in the organisation registry; if not, 403 naming the claim." */
  private unitOutside(p: Principal): boolean {
    return !!p.unit && p.unit !== p.organization && this.facts.parentOf(this.facts.org(p.unit)) !== p.organization;
  }

  /** Must the request be refused outright (403)? 'open' where the texts leave it open. */
  refuses(ctx: RequestContext): Verdict {
    const p = ctx.principal;
    const f = this.facts;
    switch (p.kind) {
      case 'professional': {
        if (!p.organization || !p.sector) return 'yes';
        // D9 (SPEC): "A professional request must assert a care or client relationship or another justified purpose; without it, 403."
        if (!p.relationship && !p.legalBasis) return 'yes';
        // A statutory basis without a relationship: claims.ts lets it stand in (D8); whether it is the "muu perusteltu
        // asiayhteys" of seed 004 ("asiakassuhde tai muu perusteltu asiayhteys") the texts do not settle.
        if (!p.relationship) return this.unitOutside(p) ? 'yes' : 'open';
        // Issue 11, item 8: "A unit must belong to the token's organisation in the organisation registry; if not, 403 naming the claim."
        if (this.unitOutside(p)) return 'yes';
        // D9 names no patient: either refused or shown no one's records (oracle.verdict withholds them all).
        return p.patient ? 'no' : 'open';
      }
      case 'citizen': {
        // S1 (SPEC): "A citizen acts only for the Patient whose HETU is the token's subject."
        const self = this.patient(p.patient);
        return !self || this.hetuOf(self) !== p.subject ? 'yes' : 'no';
      }
      case 'guardian': {
        // Seed 003: "tietoja on voitu näyttää huoltajalle, kunhan henkilöllä on oikeus lapsen puolesta asiointiin eli huoltajuus on
        // voimassa." Guardianship is a RelatedPerson (GUARD) of the child naming the guardian's HETU; the child must be a minor.
        const child = this.patient(p.patient);
        const link = this.world.some(
          (r) =>
            r.resourceType === 'RelatedPerson' &&
            r.patient?.reference === `Patient/${p.patient}` &&
            r.identifier?.some((i) => i.system === Oid.Hetu && i.value === p.subject) &&
            r.relationship?.some((c) => c.coding?.some((x) => x.code === GuardianRelationship))
        );
        return !child || !link || !this.isMinor(child, ctx) ? 'yes' : 'no';
      }
      case 'proxy': {
        // Seed 003: "Täysi-ikäisen puolesta asiointia varten tarvitaan sähköisesti annettava Suomi.fi-valtuutus."
        if (!this.patient(p.patient)) return 'yes';
        // Issue 11: "proxies (mandate) are the only ways to act for another person, and both are verified against the store".
        if (!this.mandatesOf(ctx).length) return 'yes';
        return this.isMinor(this.patient(p.patient), ctx) ? 'open' : 'no';
      }
      case 'app':
        // P1 (SPEC): an app reads only while the citizen's authorisation is active. The README's personal-data-store section
        // answers 403 P1 over HTTP (the HTTP property test checks that); the store may equally show it nothing.
        if (!p.patient || !p.clientId) return 'yes';
        return this.appAuthorised(p) ? 'no' : 'open';
      case 'system':
        return 'no';
    }
  }

  /**
   * The Suomi.fi mandates a proxy holds: those the token asserts that the store also records for this proxy and principal
   * (a RelatedPerson of the principal naming the proxy's HETU, relationship POWATT, with the mandates as codings).
   */
  mandatesOf(ctx: RequestContext): string[] {
    const p = ctx.principal;
    const recorded = this.world
      .filter(
        (r: any) =>
          r.resourceType === 'RelatedPerson' &&
          r.active !== false &&
          r.patient?.reference === `Patient/${p.patient}` &&
          r.identifier?.some((i: any) => i.system === Oid.Hetu && i.value === p.subject) &&
          r.relationship?.some((c: any) => c.coding?.some((x: any) => x.code === 'POWATT'))
      )
      .flatMap((r: any) => r.relationship.flatMap((c: any) => (c.coding ?? []).filter((x: any) => x.system === LocalSystem.SuomiFiMandate).map((x: any) => x.code)));
    return (p.mandates ?? []).filter((m) => recorded.includes(m));
  }

  /** May this resource leave the server for this caller? */
  verdict(ctx: RequestContext, r: Resource): Verdict {
    const p = ctx.principal;
    if (!scopeAllows(p.scopes, r.resourceType)) return 'no';
    if (p.kind === 'system') return p.organization ? 'open' : 'yes';
    if (r.resourceType === 'Organization') return 'open';
    if (r.resourceType === 'AuditEvent') return p.kind === 'citizen' || p.kind === 'professional' ? 'open' : 'no';
    const f = this.facts;
    const about = f.patientRef(r);
    switch (p.kind) {
      case 'professional': {
        const mine = !!p.patient && about === `Patient/${p.patient}`;
        if (r.resourceType === 'Patient') return mine ? 'yes' : 'no';
        if (!CARE_TYPES.includes(r.resourceType)) return mine ? 'open' : 'no';
        return combine(ALL_READINGS.map((reading) => (professionalSees(f, p, r, reading) ? 'yes' : 'no')));
      }
      case 'app': {
        const mine = about === `Patient/${p.patient}`;
        if (!mine) return 'no';
        if (r.resourceType === 'Patient') return this.appAuthorised(p) ? 'yes' : 'no';
        if (r.resourceType === 'Consent') return 'open';
        // SPEC P1: "A wellness app writes or reads a citizen's personal-data-store Observations only while the citizen's
        // authorisation of that app is active."
        return r.resourceType === 'Observation' && f.isWellness(r) && this.appAuthorised(p) ? 'yes' : 'no';
      }
      default: {
        const subject = this.patient(p.patient);
        const v: PersonView = {
          role: p.kind as PersonView['role'],
          patient: `Patient/${p.patient}`,
          birthDate: ((subject as any)?.birthDate as string) ?? '1900-01-01',
          today: this.today(ctx),
          mandates: p.kind === 'proxy' ? this.mandatesOf(ctx) : p.mandates,
        };
        const mine = about === v.patient && (v.role !== 'proxy' || !!v.mandates?.length);
        if (r.resourceType === 'Patient') return mine ? 'yes' : 'no';
        if (r.resourceType === 'Consent') {
          if (!mine) return 'no';
          // Seed 003: "Valtuutettu ... hänellä ei ole oikeutta käsitellä elinluovutustahtoa, hoitotahtoa eikä hyvinvointitietoja."
          const kind = f.consentKind(r);
          if (v.role === 'proxy' && [ConsentKind.LivingWill, ConsentKind.OrganDonationWill, ConsentKind.WellnessApp].includes(kind as any)) return 'no';
          // C6: the citizen gives, changes and revokes them, so sees own; for a minor or a guardian the seeds do not say.
          return v.role === 'citizen' && !this.isMinor(subject, ctx) ? 'yes' : 'open';
        }
        if (!CARE_TYPES.includes(r.resourceType)) return mine ? 'open' : 'no';
        return personSees(f, v, r);
      }
    }
  }

  expect(ctx: RequestContext, type: string): Expectation {
    const must: string[] = [];
    const may: string[] = [];
    for (const r of this.world) {
      if (r.resourceType !== type) continue;
      const v = this.verdict(ctx, r);
      if (v === 'yes') must.push(r.id as string);
      else if (v === 'open') may.push(r.id as string);
    }
    return { must: must.sort(), may: may.sort() };
  }
}

/** The ids a search returned disagree with the expectation: what is missing, and what leaked. */
export function disagreement(ids: string[], e: Expectation): { missing: string[]; leaked: string[] } | undefined {
  const got = new Set(ids);
  const allowed = new Set([...e.must, ...e.may]);
  const missing = e.must.filter((id) => !got.has(id));
  const leaked = ids.filter((id) => !allowed.has(id));
  return missing.length || leaked.length ? { missing, leaked } : undefined;
}
