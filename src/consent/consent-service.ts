// Per-request consent enforcement: loads consents, builds the policy and hands out the guarded store. https://hl7.org/fhir/R4/security.html
import { OperationOutcomeError } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import type { RequestContext } from '../context.js';
import type { ResourceStore } from '../store/resource-store.js';
import { buildAccessPolicy, type ConsentAccessPolicy } from './access-policy.js';
import type { CompiledConsents } from './consent-compiler.js';
import { loadRequestFacts } from './consent-facts.js';
import type { ConsentFactsCache } from './consent-facts-cache.js';
import { createDisclosureRecorder, type DisclosureRecord } from './disclosure-observer.js';
import { explainDisclosure, type DisclosureExplanation, type ExplainTarget } from './explanation.js';
import { createGuardedStore } from './guarded-store.js';
import { AccessRefusal, forbiddenOutcome, WriteRefusal } from './messages.js';
import { ADULT_AGE, ageOn, finnishDate } from './kanta-rules.js';
import { createWriteGuard } from './write-guard.js';
import type { WellnessPort } from './wellness-port.js';

export interface ConsentSession {
  /** The consent-guarded store: the only store handlers may use. */
  store: ResourceStore;
  /** What was disclosed and withheld so far in this request (for its AuditEvent). */
  record: () => DisclosureRecord;
  /** The Consent resources this caller's decisions rest on (`Consent/id`), for BALP AuthZconsent entities. */
  consentsUsed: () => string[];
  /** `$disclosure`: why a resource (or a type) is disclosed to this caller; withheld resources answer 404. */
  explain: (target: ExplainTarget) => Promise<DisclosureExplanation>;
  /** Which of `refs` (`Type/id`) this caller may see; records nothing (used to redact references in answers, D11). */
  visible: (refs: string[]) => Promise<Set<string>>;
  /** Role limits of operations that are more than reads and writes of records (throws 403 OperationOutcomeError). */
  authorizeOperation: (name: string, target: { resourceType?: string; id?: string }) => void;
  policy: ConsentAccessPolicy;
}

export interface ConsentService {
  forRequest(ctx: RequestContext, raw: ResourceStore): Promise<ConsentSession>;
  /** The pipeline port (src/pipeline/ports.ts ConsentGate). */
  open(
    ctx: RequestContext,
    raw: ResourceStore
  ): Promise<{
    store: ResourceStore;
    record: () => DisclosureRecord;
    explain: ConsentSession['explain'];
    visible: ConsentSession['visible'];
    authorizeOperation: ConsentSession['authorizeOperation'];
  }>;
}

function usedConsents(compiled: CompiledConsents | undefined, policy: ConsentAccessPolicy, types: Iterable<string>): string[] {
  if (!compiled) return [];
  const out = new Set<string>();
  for (const t of types) for (const b of policy.branches(t)) for (const p of b.provisions) out.add(p.consent);
  return [...out];
}

export interface ConsentServiceOptions {
  /** How resources are shown to this caller as they leave the guarded store (the audit module cuts withheld entities, D11). */
  presentFor?(ctx: RequestContext): ((r: Resource) => Resource) | undefined;
  /** S1: whether the caller's token scopes let resources of a type leave at all (read or search); absent = no limit. */
  readable?(principal: RequestContext['principal'], resourceType: string): boolean;
  /** Registered wellness apps and the personal data store's write rules (src/pds); absent = any authorised app, any kind. */
  wellness?: WellnessPort;
  /** Remembers the consent look-ups between requests, checked against the store's change stamp on every request. */
  factsCache?: ConsentFactsCache;
}

/** One policy-constrained search per type, so a page of AuditEvents costs a query per referenced type, not per reference. */
async function visibleRefs(raw: ResourceStore, policy: ConsentAccessPolicy, refs: string[]): Promise<Set<string>> {
  const byType = new Map<string, Set<string>>();
  for (const ref of refs) {
    const [type, id, ...rest] = ref.split('/');
    if (!type || !id || rest.length) continue;
    (byType.get(type) ?? byType.set(type, new Set()).get(type)!).add(id);
  }
  const out = new Set<string>();
  for (const [resourceType, ids] of byType) {
    // A type the store does not know holds nothing the caller may see.
    const res = await raw
      .search({ resourceType, where: [{ kind: 'param', code: '_id', values: [...ids] }], sort: [], count: ids.size, offset: 0, total: 'none', include: [], revinclude: [] }, policy)
      .catch(() => undefined);
    for (const r of res?.resources ?? []) out.add(`${resourceType}/${r.id}`);
  }
  return out;
}

/** Decisions are made afresh per request; cached look-ups are checked against the change stamp, so a consent change takes effect on the next request. */
export function createConsentService(options: ConsentServiceOptions = {}): ConsentService {
  async function forRequest(request: RequestContext, raw: ResourceStore): Promise<ConsentSession> {
    let ctx = request;
    let p = ctx.principal;
    // D9 (seed 004: "asiakassuhde tai muu perusteltu asiayhteys"): a relationship, a purpose or a stated statutory basis.
    if (p.kind === 'professional' && !p.relationship?.trim() && !p.purposeOfUse?.trim() && !p.legalBasis?.trim()) {
      throw new OperationOutcomeError(forbiddenOutcome('D9', AccessRefusal.JustifiedConnection, ctx.language));
    }
    const { compiled, facts } = await loadRequestFacts(ctx, options.factsCache ? await options.factsCache.view(raw, p.patient) : raw);
    if (p.kind === 'proxy') {
      // C4: a proxy holds only the mandates both the token asserts and the store records (seed 003: Suomi.fi-valtuutus).
      const held = facts.proxyMandates ?? [];
      const mandates = (p.mandates ?? []).filter((m) => held.includes(m));
      if (mandates.length === 0) throw new OperationOutcomeError(forbiddenOutcome('C4', AccessRefusal.ProxyMandateNotFound, ctx.language));
      p = { ...p, mandates };
      ctx = { ...ctx, principal: p };
    }
    const minorNow = !!facts.patientBirthDate && ageOn(facts.patientBirthDate, finnishDate(ctx.now)) < ADULT_AGE;
    if (p.kind === 'guardian' && (!facts.guardianVerified || !minorNow)) {
      throw new OperationOutcomeError(forbiddenOutcome('C3', AccessRefusal.GuardianRelationship, ctx.language));
    }
    if (p.kind === 'citizen' && p.patient && !facts.patientIsSubject) {
      // S1: a citizen acts only for the Patient whose HETU is the token's subject; guardians and proxies are the other ways.
      throw new OperationOutcomeError(forbiddenOutcome('S1', AccessRefusal.CitizenNotSubject, ctx.language));
    }
    if (p.kind === 'professional' && p.unit && !facts.unitOfOrganization) {
      throw new OperationOutcomeError(forbiddenOutcome('D5', AccessRefusal.UnitNotOfOrganization, ctx.language));
    }
    if (p.kind === 'app' && options.wellness) {
      // P1 with an app registry: an unregistered client, or an app the user has not (or no longer) authorised, is refused
      // outright, so revocation shows on the app's next request as a refusal rather than as an empty record.
      if (!p.clientId || !options.wellness.codesOf(p.clientId)) throw new OperationOutcomeError(forbiddenOutcome('P1', WriteRefusal.AppNotRegistered, ctx.language));
      if (!compiled?.wellnessApps.get(p.clientId)?.length) throw new OperationOutcomeError(forbiddenOutcome('P1', WriteRefusal.AppNotAuthorised, ctx.language));
    }
    const readable = options.readable;
    const policy = buildAccessPolicy(ctx, compiled, facts, options.wellness, readable ? (t) => readable(p, t) : undefined);
    const refuseType = (t: string): never => {
      const r = policy.refusal(t);
      throw new OperationOutcomeError(forbiddenOutcome(r?.rule ?? 'A4', AccessRefusal.AuditLogNotByProxy, ctx.language));
    };
    const recorder = createDisclosureRecorder();
    const store = createGuardedStore(raw, policy, recorder.observer, createWriteGuard(ctx, compiled, facts, options.wellness), buildAccessPolicy(ctx, compiled, facts, options.wellness), refuseType, options.presentFor?.(ctx));
    return {
      store,
      policy,
      record: recorder.record,
      consentsUsed: () => usedConsents(compiled, policy, new Set(recorder.record().disclosed.map((r) => r.resourceType))),
      explain: (target) => explainDisclosure(raw, policy, target),
      visible: (refs) => visibleRefs(raw, policy, refs),
      authorizeOperation: (name, target) => options.wellness?.authorizeOperation?.(name, ctx.principal, target, ctx.language),
    };
  }
  return {
    forRequest,
    async open(ctx, raw) {
      const s = await forRequest(ctx, raw);
      return { store: s.store, record: s.record, explain: s.explain, visible: s.visible, authorizeOperation: s.authorizeOperation };
    },
  };
}
