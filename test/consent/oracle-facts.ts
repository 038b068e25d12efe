// The oracle's index of a generated world: who a record belongs to, its register, sector, dates (Finnish time), links and marks.
// Written from the data format of src/kanta/codes.ts only (never from the consent engine), for test/consent/oracle.ts.
import type { Consent, ConsentProvision, DocumentReference, Organization, Resource } from '@medplum/fhirtypes';
import {
  ConsentKind,
  DataOrigin,
  DocumentMark,
  FiBaseExtension,
  HealthRegisterKinds,
  LocalExtension,
  LocalSystem,
  Oid,
  OidMore,
  RegisterKind,
  SocialRegisterKinds,
} from '../../src/kanta/codes.js';

export type Sector = 'health' | 'social';
/** Three-valued answer: the seeds decide yes or no; 'open' where they (and SPEC and the issue) leave the reading open. */
export type Verdict = 'yes' | 'no' | 'open';

/** Every date rule of the seeds is in Finnish time (issue 11, item 7). */
const HELSINKI = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Helsinki', year: 'numeric', month: '2-digit', day: '2-digit' });
/** YYYY-MM-DD of an instant in Europe/Helsinki; a plain date stays as it is. */
export function finnishDate(value: string | undefined): string | undefined {
  if (!value) return undefined;
  if (!value.includes('T')) return value.slice(0, 10);
  return HELSINKI.format(new Date(value));
}

/** Whole years from `birth` to `on` (both YYYY-MM-DD). */
export function ageOn(birth: string, on: string): number {
  const years = Number(on.slice(0, 4)) - Number(birth.slice(0, 4));
  return on.slice(5) < birth.slice(5) ? years - 1 : years;
}

const security = (r: Resource, system: string): string[] => (r.meta?.security ?? []).filter((s) => s.system === system).map((s) => s.code as string);

export const PRESCRIPTION_TYPES = ['MedicationRequest', 'MedicationDispense', 'Task'];
export const EVENT_TYPES = ['Encounter', 'EpisodeOfCare'];

export class WorldFacts {
  readonly byRef = new Map<string, Resource>();
  private readonly orgByOid = new Map<string, Organization>();
  private readonly consentsOf = new Map<string, Consent[]>();
  private readonly ancestorCache = new Map<string, Resource[]>();

  constructor(readonly world: Resource[]) {
    for (const r of world) this.byRef.set(`${r.resourceType}/${r.id}`, r);
    for (const r of world) {
      if (r.resourceType === 'Organization') {
        for (const i of r.identifier ?? []) if (i.system === Oid.SoteOrganisationRegister && i.value) this.orgByOid.set(i.value.replace(/^urn:oid:/, ''), r);
        if (!this.orgByOid.has(r.id as string)) this.orgByOid.set(r.id as string, r);
      }
      if (r.resourceType === 'Consent' && r.status === 'active') {
        const p = r.patient?.reference as string;
        this.consentsOf.set(p, [...(this.consentsOf.get(p) ?? []), r]);
      }
    }
  }

  resolve(ref: string | undefined): Resource | undefined {
    return ref ? this.byRef.get(ref) : undefined;
  }

  /** `Patient/<id>` a record is about (subject, patient or Task.for). */
  patientRef(r: Resource): string | undefined {
    const x = r as any;
    if (r.resourceType === 'Patient') return `Patient/${r.id}`;
    return (x.subject ?? x.patient ?? x.for)?.reference;
  }

  holder = (r: Resource): string | undefined => security(r, LocalSystem.RegisterHolder)[0];
  kind = (r: Resource): string | undefined => security(r, LocalSystem.RegisterKind)[0];
  marks = (r: Resource): string[] => security(r, LocalSystem.DocumentMark);
  /** D10: whether a record is stored in Kanta or only outside it (paper, local systems). */
  inKanta = (r: Resource): boolean => (security(r, LocalSystem.DataOrigin)[0] ?? DataOrigin.Kanta) === DataOrigin.Kanta;
  isWellness = (r: Resource): boolean => this.kind(r) === RegisterKind.PersonalDataStore;

  sector(r: Resource): Sector | undefined {
    const k = this.kind(r) as any;
    if (HealthRegisterKinds.includes(k)) return 'health';
    if (SocialRegisterKinds.includes(k)) return 'social';
    return undefined;
  }

  /** The day (Finnish time) a record was born: visit start, document date, prescription, dispensing, request. */
  date(r: Resource): string | undefined {
    const x = r as any;
    return finnishDate(x.period?.start ?? x.date ?? x.authoredOn ?? x.whenHandedOver ?? x.effectiveDateTime ?? x.dateTime);
  }

  /** Records this one is linked to and through them further: service event, service task, prescription. */
  parents(r: Resource): Resource[] {
    const x = r as any;
    const refs: (string | undefined)[] = [];
    if (r.resourceType === 'DocumentReference') for (const e of x.context?.encounter ?? []) refs.push(e.reference);
    if (r.resourceType === 'Encounter') for (const e of x.episodeOfCare ?? []) refs.push(e.reference);
    if (r.resourceType === 'MedicationRequest') refs.push(x.encounter?.reference);
    if (r.resourceType === 'MedicationDispense') for (const p of x.authorizingPrescription ?? []) refs.push(p.reference);
    if (r.resourceType === 'Task') refs.push(x.focus?.reference);
    return refs.map((ref) => this.resolve(ref)).filter((p): p is Resource => !!p);
  }

  ancestors(r: Resource): Resource[] {
    const key = `${r.resourceType}/${r.id}`;
    const hit = this.ancestorCache.get(key);
    if (hit) return hit;
    const out: Resource[] = [];
    const walk = (x: Resource, depth: number) => {
      for (const p of this.parents(x)) {
        if (depth > 5 || out.includes(p)) continue;
        out.push(p);
        walk(p, depth + 1);
      }
    };
    walk(r, 0);
    this.ancestorCache.set(key, out);
    return out;
  }

  /** Social-care service tasks (palvelutehtävä) a record belongs to, through its EpisodeOfCare. */
  tasks(r: Resource): string[] {
    return [r, ...this.ancestors(r)]
      .filter((x) => x.resourceType === 'EpisodeOfCare')
      .flatMap((x) => ((x as any).type ?? []).flatMap((t: any) => (t.coding ?? []).map((c: any) => c.code as string)));
  }

  /** RestrictionParent codes (1-4) on the record and on every record it is linked to (issue 11, item 4). */
  restrictionParent(r: Resource): string[] {
    return [r, ...this.ancestors(r)].flatMap((x) => ((x as any).extension ?? []).filter((e: any) => e.url === FiBaseExtension.RestrictionParent).map((e: any) => e.valueCoding?.code as string));
  }

  releaseDate(r: Resource): string | undefined {
    return ((r as any).extension ?? []).find((e: any) => e.url === FiBaseExtension.ReleaseDateForPatientViewing)?.valueDate;
  }

  socialDocumentKind(r: Resource): string | undefined {
    return ((r as any).type?.coding ?? []).find((c: any) => c.system === LocalSystem.SocialDocumentKind)?.code;
  }

  // ---- organisation registry ----
  org(oidOrRef: string | undefined): Organization | undefined {
    if (!oidOrRef) return undefined;
    const r = this.resolve(oidOrRef);
    if (r?.resourceType === 'Organization') return r;
    return this.orgByOid.get(oidOrRef.replace(/^Organization\//, '').replace(/^urn:oid:/, ''));
  }
  oidOf(o: Organization | undefined): string | undefined {
    const i = o?.identifier?.find((x) => x.system === Oid.SoteOrganisationRegister)?.value;
    return i ? i.replace(/^urn:oid:/, '') : (o?.id as string | undefined);
  }
  isPublic = (o: Organization | undefined): boolean => !!o?.type?.some((t) => t.coding?.some((c) => c.system === OidMore.CustodianTypeCode && c.code === '1'));
  inUusimaa = (o: Organization | undefined): boolean => !!o?.extension?.some((e) => e.url === LocalExtension.Region && e.valueCoding?.code === 'uusimaa');
  flag = (o: Organization | undefined, url: string): boolean => o?.extension?.find((e) => e.url === url)?.valueBoolean === true;
  /** The organisation a unit is part of in the registry (Organization.partOf). */
  parentOf = (unit: Organization | undefined): string | undefined => this.oidOf(this.org(unit?.partOf?.reference));

  // ---- the citizen's will ----
  consents(patientRef: string | undefined, kind: string): Consent[] {
    if (!patientRef) return [];
    return (this.consentsOf.get(patientRef) ?? []).filter((c) => c.category?.some((cc) => cc.coding?.some((x) => x.system === LocalSystem.ConsentKind && x.code === kind)));
  }
  consentKind = (c: Consent): string | undefined => c.category?.flatMap((cc) => cc.coding ?? []).find((x) => x.system === LocalSystem.ConsentKind)?.code;
  informed = (patientRef: string | undefined): boolean => this.consents(patientRef, ConsentKind.Informing).length > 0;

  /** Two versions of one document: DocumentReferences whose masterIdentifier (the version set) is the same. */
  sameDocument(ref: string, r: Resource): boolean {
    const named = this.byRef.get(ref);
    if (named?.resourceType !== 'DocumentReference' || r.resourceType !== 'DocumentReference') return false;
    const a = (named as DocumentReference).masterIdentifier;
    const b = (r as DocumentReference).masterIdentifier;
    return !!a?.value && a.value === b?.value && (a.system ?? '') === (b?.system ?? '');
  }

  /** Does one deny provision (a prohibition target) reach record r? */
  denyReaches(p: ConsentProvision, r: Resource): boolean {
    const family = [r, ...this.ancestors(r)];
    const refs = new Set(family.map((x) => `${x.resourceType}/${x.id}`));
    for (const a of p.actor ?? []) {
      const target = this.oidOf(this.org(a.reference?.reference));
      if (target && target === this.holder(r)) return true;
    }
    for (const d of p.data ?? []) {
      const ref = d.reference?.reference as string;
      // A service event reaches everything linked to it; a single document (or prescription) is the instance itself,
      // and a document is all its versions: seed 004 "Yksittäiseen ... asiakasasiakirjaan", and a corrected document
      // is a new version in the same set (masterIdentifier).
      if (d.meaning === 'instance' ? ref === `${r.resourceType}/${r.id}` || this.sameDocument(ref, r) : refs.has(ref)) return true;
    }
    const tasks = this.tasks(r);
    for (const c of p.code ?? []) for (const x of c.coding ?? []) if (tasks.includes(x.code as string)) return true;
    return false;
  }

  /** Prescription prohibition targets: the prescription itself, its dispensings and its renewal requests. */
  prescriptionOf(r: Resource): string | undefined {
    if (r.resourceType === 'MedicationRequest') return `MedicationRequest/${r.id}`;
    const x = r as any;
    if (r.resourceType === 'MedicationDispense') return x.authorizingPrescription?.[0]?.reference;
    if (r.resourceType === 'Task') return x.focus?.reference;
    return undefined;
  }

  isMark = (r: Resource, m: (typeof DocumentMark)[keyof typeof DocumentMark]): boolean => this.marks(r).includes(m);
}
