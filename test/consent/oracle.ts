// Reference oracle: the disclosure rules (D1-D10, C1-C5, P1-P2, A4) evaluated directly on plain resources, written from the seeds and SPEC.
import type { Consent, ConsentProvision, Organization, Resource } from '@medplum/fhirtypes';
import type { RequestContext } from '../../src/context.js';
import { FiBaseExtension, LocalExtension, LocalSystem, Oid } from '../../src/kanta/codes.js';

/** Everything in the store, consents, organisations and persons included. */
export type World = Resource[];

type R = Resource & Record<string, any>;
const HEALTH = ['public-health', 'private-health', 'occupational-health'];
const SOCIAL = ['social-care'];
const DIRECTORY = ['Organization', 'Practitioner', 'PractitionerRole', 'Location', 'HealthcareService', 'Medication', 'Endpoint', 'StructureDefinition', 'SearchParameter', 'CodeSystem', 'ValueSet', 'ConceptMap', 'NamingSystem', 'OperationDefinition', 'CapabilityStatement'];
const HIDDEN_SOCIAL = ['old', 'phase-1', 'parenthood-determination', 'shelter', 'payment-commitment', 'client-record-entry', 'shared-matter', 'client-relationship', 'adoption-counselling'];

const codesOf = (r: R, system: string): string[] => (r.meta?.security ?? []).filter((s: any) => s.system === system).map((s: any) => s.code);
const holderOf = (r: R): string | undefined => codesOf(r, LocalSystem.RegisterHolder)[0];
const kindOf = (r: R): string | undefined => codesOf(r, LocalSystem.RegisterKind)[0];
const sectorOf = (r: R): 'health' | 'social' | 'pds' | undefined => {
  const k = kindOf(r);
  return k === undefined ? undefined : HEALTH.includes(k) ? 'health' : SOCIAL.includes(k) ? 'social' : k === 'personal-data-store' ? 'pds' : undefined;
};
const day = (v: string | undefined): string | undefined => v?.slice(0, 10);

function patientOf(r: R): string | undefined {
  const ref: string | undefined = r.resourceType === 'Task' ? r.for?.reference : r.resourceType === 'AuditEvent' ? undefined : (r.patient?.reference ?? r.subject?.reference);
  if (r.resourceType === 'AuditEvent') {
    const refs = [...(r.entity ?? []).map((e: any) => e.what?.reference), ...(r.agent ?? []).map((a: any) => a.who?.reference)];
    return refs.find((x: string | undefined) => x?.startsWith('Patient/'))?.slice(8);
  }
  return ref?.startsWith('Patient/') ? ref.slice(8) : undefined;
}

function dateOf(r: R): string | undefined {
  switch (r.resourceType) {
    case 'Encounter':
    case 'EpisodeOfCare':
      return day(r.period?.start);
    case 'DocumentReference':
      return day(r.date);
    case 'Observation':
      return day(r.effectiveDateTime);
    case 'MedicationRequest':
      return day(r.authoredOn);
    case 'MedicationDispense':
      return day(r.whenHandedOver);
    case 'Task':
      return day(r.authoredOn);
    default:
      return undefined;
  }
}

const ext = (r: R, url: string): any => (r.extension ?? []).find((e: any) => e.url === url);
const rpOf = (r: R): string | undefined => ext(r, FiBaseExtension.RestrictionParent)?.valueCoding?.code;
const releaseOf = (r: R): string | undefined => ext(r, FiBaseExtension.ReleaseDateForPatientViewing)?.valueDate;

function helsinkiDay(now: Date): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Helsinki', year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}
function plusYears(birth: string, n: number): string {
  const [y, m, d] = birth.split('-').map(Number);
  return new Date(Date.UTC(y + n, m - 1, d)).toISOString().slice(0, 10);
}

export class Oracle {
  private byKey = new Map<string, R>();
  constructor(private world: World) {
    for (const r of world) this.byKey.set(`${r.resourceType}/${r.id}`, r as R);
  }
  get(ref: string | undefined): R | undefined {
    return ref ? this.byKey.get(ref) : undefined;
  }

  private orgOid(ref: string | undefined): string | undefined {
    const o = this.get(ref) as (Organization & R) | undefined;
    const v = o?.identifier?.find((i: any) => i.system === Oid.SoteOrganisationRegister)?.value;
    return v?.replace(/^urn:oid:/, '');
  }
  private orgByOid(oid: string | undefined): R | undefined {
    return this.world.find((r: any) => r.resourceType === 'Organization' && (r.identifier ?? []).some((i: any) => i.value === `urn:oid:${oid}`)) as R | undefined;
  }

  private consentsOf(p: string, kind?: string): Consent[] {
    return this.world.filter(
      (r: any) =>
        r.resourceType === 'Consent' &&
        r.status === 'active' &&
        r.patient?.reference === `Patient/${p}` &&
        (!kind || (r.category ?? []).some((cc: any) => (cc.coding ?? []).some((c: any) => c.system === LocalSystem.ConsentKind && c.code === kind)))
    ) as Consent[];
  }
  private kindOfConsent(c: Consent): string | undefined {
    return c.category?.flatMap((cc) => cc.coding ?? []).find((x) => x.system === LocalSystem.ConsentKind)?.code;
  }

  /** The service event and the service tasks a record belongs to. */
  private eventsOf(r: R): string[] {
    const out: string[] = [`${r.resourceType}/${r.id}`];
    if (r.resourceType === 'Encounter') for (const e of r.episodeOfCare ?? []) out.push(e.reference as string);
    const links: string[] = [...(r.context?.encounter ?? []).map((e: any) => e.reference), ...(r.encounter?.reference ? [r.encounter.reference] : [])];
    for (const link of links) {
      out.push(link);
      const enc = this.get(link);
      if (enc?.resourceType === 'Encounter') for (const ep of enc.episodeOfCare ?? []) out.push(ep.reference as string);
    }
    return out;
  }
  private tasksOf(r: R): string[] {
    const eps = this.eventsOf(r).filter((x) => x.startsWith('EpisodeOfCare/'));
    return eps.flatMap((ref) => (this.get(ref)?.type ?? []).flatMap((cc: any) => (cc.coding ?? []).flatMap((c: any) => [c.code, `${c.system}|${c.code}`])));
  }

  private denyMatches(p: ConsentProvision, r: R): boolean {
    const holders = (p.actor ?? []).filter((a) => a.role?.coding?.some((c) => c.code === 'CST')).map((a) => this.orgOid(a.reference?.reference) ?? a.reference?.identifier?.value?.replace(/^urn:oid:/, ''));
    const datas = (p.data ?? []).map((d) => d.reference?.reference as string);
    const codes = (p.code ?? []).flatMap((cc) => (cc.coding ?? []).map((c) => (c.system ? `${c.system}|${c.code}` : (c.code as string))));
    if (holders.length + datas.length + codes.length === 0) return true;
    if (holders.some((h) => h === holderOf(r))) return true;
    const events = this.eventsOf(r);
    if (datas.some((d) => events.includes(d))) return true;
    const tasks = this.tasksOf(r);
    return codes.some((c) => tasks.includes(c as string));
  }

  /** D3: any active deny provision in any consent of the patient that targets the record. */
  private prohibited(P: string, r: R): boolean {
    for (const c of this.consentsOf(P)) {
      const kind = this.kindOfConsent(c);
      if (!kind || !(kind === 'prohibition' || kind.startsWith('permission-'))) continue;
      const root = c.provision ?? {};
      const nestedDenies = (root.provision ?? []).filter((n) => (n.type ?? 'deny') === 'deny');
      const provisions = [...nestedDenies];
      if (kind === 'prohibition' && (root.type ?? 'deny') === 'deny' && (root.actor?.length || root.data?.length || root.code?.length || nestedDenies.length === 0)) provisions.push(root);
      if (provisions.some((p) => this.denyMatches(p, r))) return true;
    }
    return false;
  }

  private prescriptionProhibited(P: string, r: R): boolean {
    const rx = r.resourceType === 'MedicationRequest' ? [`MedicationRequest/${r.id}`] : (r.authorizingPrescription ?? []).map((a: any) => a.reference);
    for (const c of this.consentsOf(P, 'prescription-prohibition')) {
      const root = c.provision ?? {};
      const denies = [...(root.provision ?? []).filter((n) => (n.type ?? 'deny') === 'deny')];
      if ((root.type ?? 'deny') === 'deny' && (root.data?.length || denies.length === 0)) denies.push(root);
      for (const p of denies) {
        const targets = (p.data ?? []).map((d) => d.reference?.reference);
        if (targets.length === 0 || targets.some((t) => rx.includes(t))) return true;
      }
    }
    return false;
  }

  private informed(P: string): boolean {
    return this.consentsOf(P, 'informing').some((c) => (c.provision?.type ?? 'permit') === 'permit');
  }

  /** Does an active, positive permission of `kind` cover record r for a receiver org/unit? (D2, D5, D10) */
  private permitted(P: string, kind: string, r: R, org: string, unit?: string): boolean {
    const list = this.consentsOf(P, kind);
    if (list.some((c) => (c.provision?.type ?? 'deny') === 'deny')) return false;
    return list.some((c) => {
      const oldOnlyKanta = !c.dateTime || c.dateTime.slice(0, 10) < '2024-01-01';
      if (oldOnlyKanta && !codesOf(r, LocalSystem.DataOrigin).includes('kanta')) return false;
      const nested = (c.provision?.provision ?? []).filter((n) => n.type === 'permit');
      const slices = nested.length ? nested : [c.provision as ConsentProvision];
      return slices.some((s) => {
        const rec = (s.actor ?? []).filter((a) => a.role?.coding?.some((x) => x.code === 'IRCP')).map((a) => this.orgOid(a.reference?.reference));
        if (rec.length && !rec.includes(org) && !(unit && rec.includes(unit))) return false;
        const cst = (s.actor ?? []).filter((a) => a.role?.coding?.some((x) => x.code === 'CST')).map((a) => this.orgOid(a.reference?.reference));
        if (cst.length && !cst.includes(holderOf(r))) return false;
        if (s.class?.length) {
          const types = s.class.filter((k) => k.system === 'http://hl7.org/fhir/resource-types').map((k) => k.code);
          if (!types.includes(r.resourceType)) return false;
        }
        if (s.code?.length) {
          const tasks = this.tasksOf(r);
          if (!s.code.some((cc) => (cc.coding ?? []).some((k) => tasks.includes(`${k.system}|${k.code}`)))) return false;
        }
        if (s.dataPeriod) {
          const d = dateOf(r);
          if (!d || (s.dataPeriod.start && d < s.dataPeriod.start) || (s.dataPeriod.end && d > s.dataPeriod.end)) return false;
        }
        return true;
      });
    });
  }

  /** OmaKanta display rules (C1, C2) for the person the record is about. */
  private displayable(r: R, today: string): boolean {
    const invalid = ['Condition', 'AllergyIntolerance'].includes(r.resourceType) ? r.verificationStatus?.coding?.some((c: any) => c.code === 'entered-in-error') : r.status === 'entered-in-error';
    if (invalid) return false;
    if (r.resourceType !== 'DocumentReference') return true;
    if (r.status !== 'current') return false;
    if (!(r.context?.encounter ?? []).length) return false;
    const marks = codesOf(r, LocalSystem.DocumentMark);
    if (marks.includes('other-person') || marks.includes('local-main-view')) return false;
    const release = releaseOf(r);
    if (release && release > today) return false;
    if (sectorOf(r) === 'social') {
      const kinds = [...(r.type?.coding ?? []), ...(r.category ?? []).flatMap((c: any) => c.coding ?? [])].filter((c: any) => c.system === LocalSystem.SocialDocumentKind).map((c: any) => c.code);
      if (kinds.some((k: string) => HIDDEN_SOCIAL.includes(k))) return false;
      if (marks.includes('special-content')) return false;
      if (marks.includes('professional-delay') && !(release && release <= today)) return false;
    }
    return true;
  }

  /** Professionals must state a justified connection (D9); the store then answers 403 to everything. */
  refuses(ctx: RequestContext): boolean {
    const p = ctx.principal;
    if (p.kind === 'professional') return !p.relationship && !p.purposeOfUse;
    if (p.kind === 'guardian') return !this.guardianOk(ctx);
    return false;
  }

  private guardianOk(ctx: RequestContext): boolean {
    const p = ctx.principal;
    const child = this.get(`Patient/${p.patient}`);
    if (!child?.birthDate) return false;
    const link = this.world.some(
      (r: any) =>
        r.resourceType === 'RelatedPerson' &&
        r.patient?.reference === `Patient/${p.patient}` &&
        r.active !== false &&
        (r.identifier ?? []).some((i: any) => i.system === Oid.Hetu && i.value === p.subject) &&
        (r.relationship ?? []).some((cc: any) => (cc.coding ?? []).some((c: any) => c.code === 'GUARD'))
    );
    return link && helsinkiDay(ctx.now) < plusYears(child.birthDate, 18);
  }

  canSee(ctx: RequestContext, res: Resource): boolean {
    const r = res as R;
    const p = ctx.principal;
    const t = r.resourceType;
    if (DIRECTORY.includes(t)) return true;
    // The archive operator's own back-end (a system with no organisation) acts as the register itself.
    if (p.kind === 'system') return !p.organization;
    const P = p.patient;
    const today = helsinkiDay(ctx.now);
    const RECORD = ['Encounter', 'EpisodeOfCare', 'DocumentReference', 'Observation', 'MedicationRequest', 'MedicationDispense', 'Task', 'Condition', 'Procedure'];

    if (p.kind === 'professional') {
      if (this.refuses(ctx) || !p.organization) return false;
      const org = p.organization;
      if (t === 'Patient') return !!P && r.id === P;
      if (t === 'RelatedPerson') return !!P && patientOf(r) === P;
      if (t === 'Consent') return !!P && patientOf(r) === P && !['prohibition', 'prescription-prohibition', 'wellness-app'].includes(this.kindOfConsent(r as Consent) ?? '') && !!this.kindOfConsent(r as Consent);
      if (!RECORD.includes(t)) return false;
      const sector = sectorOf(r);
      if (sector === 'pds') return false; // P2
      if (!P || patientOf(r) !== P) return false; // D9
      if (holderOf(r) === org && sector === p.sector) return true; // D1

      const informed = this.informed(P);
      const pharmacy = !!p.pharmacy;
      const callerOrg = this.orgByOid(org);
      const unit = this.orgByOid(p.unit);
      // D6
      if ((p.sector === 'health' || pharmacy) && (t === 'MedicationRequest' || t === 'MedicationDispense') && sector === 'health' && !this.prescriptionProhibited(P, r) && !this.prohibited(P, r)) return true;
      if (pharmacy || !p.sector) return false;
      const notProhibited = !this.prohibited(P, r);
      // D2 (D4: the permission of the caller's own sector only)
      if (informed && sector === p.sector && this.permitted(P, p.sector === 'health' ? 'permission-health' : 'permission-social', r, org, p.unit) && notProhibited) return true;
      // D5
      const flagUrl = p.sector === 'social' ? LocalExtension.MainResponsibleUnitSocial : LocalExtension.MainResponsibleUnitHealth;
      const flag = unit ? ext(unit, flagUrl)?.valueBoolean === true : false;
      const other = p.sector === 'social' ? 'health' : 'social';
      const cross = p.sector === 'social' ? 'permission-health-to-social' : 'permission-social-to-health';
      if (informed && flag && sector === other && this.permitted(P, cross, r, org, p.unit) && notProhibited) return true;
      // D7
      const isPublic = (o: R | undefined): boolean => !!o && (o.type ?? []).some((cc: any) => (cc.coding ?? []).some((c: any) => c.code === '1'));
      const region = (o: R | undefined): string | undefined => (o ? ext(o, LocalExtension.Region)?.valueCoding?.code : undefined);
      const holderOrg = this.orgByOid(holderOf(r));
      if (p.sector === 'health' && informed && isPublic(callerOrg) && region(callerOrg) === 'uusimaa' && kindOf(r) === 'public-health' && isPublic(holderOrg) && region(holderOrg) === 'uusimaa' && notProhibited) return true;
      // D8
      if (p.sector === 'social' && p.legalBasis && sector === 'social' && notProhibited) return true;
      return false;
    }

    if (!P) return false;
    const patientRes = this.get(`Patient/${P}`);
    const birth: string | undefined = patientRes?.birthDate;
    const sector = sectorOf(r);

    if (p.kind === 'app') {
      const ok = this.consentsOf(P, 'wellness-app').some((c) => c.provision?.type === 'permit' && (c.provision.actor ?? []).some((a) => a.reference?.identifier?.value === p.clientId));
      if (!ok || !p.clientId) return false;
      if (t === 'Patient') return r.id === P;
      return t === 'Observation' && patientOf(r) === P && sector === 'pds';
    }
    if (p.kind !== 'citizen' && p.kind !== 'guardian' && p.kind !== 'proxy') return false;
    if (p.kind === 'guardian' && !this.guardianOk(ctx)) return false;
    if (p.kind === 'proxy' && !(p.mandates ?? []).length) return false;

    if (t === 'Patient') return r.id === P;
    if (t === 'RelatedPerson') return p.kind !== 'proxy' && patientOf(r) === P;
    if (t === 'AuditEvent') return p.kind === 'citizen' && patientOf(r) === P; // A4
    if (t === 'Consent') {
      if (patientOf(r) !== P) return false;
      const k = this.kindOfConsent(r as Consent) ?? '';
      if (p.kind === 'citizen') return true;
      const perms = k.startsWith('permission-') || k === 'informing';
      return p.kind === 'guardian' ? perms : perms || k === 'eu-eprescription';
    }
    if (!RECORD.includes(t) || patientOf(r) !== P || !this.displayable(r, today)) return false;
    if (p.kind === 'citizen') return true; // C1, C2, C5
    if (p.kind === 'proxy') {
      // C4
      if (sector === 'pds') return false;
      return sector === 'social' ? (p.mandates ?? []).includes('social') : (p.mandates ?? []).includes('health');
    }
    // C3
    if (sector === 'pds') return false;
    const rp = ['DocumentReference', 'Encounter', 'EpisodeOfCare'].includes(t) ? rpOf(r) : undefined;
    if (sector === 'social') return rp !== '3' && rp !== '4';
    const d = dateOf(r);
    if (!d || !birth) return false;
    const tenth = plusYears(birth, 10);
    if (d < tenth) return d >= '2016-08-01' && rp !== '3' && rp !== '4';
    return rp === '1' || rp === '2';
  }

  visible(ctx: RequestContext, resourceType: string): string[] {
    return this.world.filter((r) => r.resourceType === resourceType && this.canSee(ctx, r)).map((r) => r.id as string).sort();
  }
}
