// Per-request consent enforcement: loads consents, builds the policy and hands out the guarded store. https://hl7.org/fhir/R4/security.html
import { OperationOutcomeError } from '@medplum/core';
import type { RequestContext } from '../context.js';
import type { ResourceStore } from '../store/resource-store.js';
import { buildAccessPolicy, type ConsentAccessPolicy } from './access-policy.js';
import type { CompiledConsents } from './consent-compiler.js';
import { loadRequestFacts } from './consent-facts.js';
import { createDisclosureRecorder, type DisclosureRecord } from './disclosure-observer.js';
import { explainDisclosure, type DisclosureExplanation, type ExplainTarget } from './explanation.js';
import { createGuardedStore } from './guarded-store.js';
import { AccessRefusal, forbiddenOutcome } from './messages.js';
import { createWriteGuard } from './write-guard.js';

export interface ConsentSession {
  /** The consent-guarded store: the only store handlers may use. */
  store: ResourceStore;
  /** What was disclosed and withheld so far in this request (for its AuditEvent). */
  record: () => DisclosureRecord;
  /** The Consent resources this caller's decisions rest on (`Consent/id`), for BALP AuthZconsent entities. */
  consentsUsed: () => string[];
  /** `$disclosure`: why a resource (or a type) is disclosed to this caller; withheld resources answer 404. */
  explain: (target: ExplainTarget) => Promise<DisclosureExplanation>;
  policy: ConsentAccessPolicy;
}

export interface ConsentService {
  forRequest(ctx: RequestContext, raw: ResourceStore): Promise<ConsentSession>;
  /** The pipeline port (src/pipeline/ports.ts ConsentGate). */
  open(ctx: RequestContext, raw: ResourceStore): Promise<{ store: ResourceStore; record: () => DisclosureRecord }>;
}

function usedConsents(compiled: CompiledConsents | undefined, policy: ConsentAccessPolicy, types: Iterable<string>): string[] {
  if (!compiled) return [];
  const out = new Set<string>();
  for (const t of types) for (const b of policy.branches(t)) for (const p of b.provisions) out.add(p.consent);
  return [...out];
}

/** No state is kept between requests: a consent change takes effect on the next request. */
export function createConsentService(): ConsentService {
  async function forRequest(ctx: RequestContext, raw: ResourceStore): Promise<ConsentSession> {
    const p = ctx.principal;
    if (p.kind === 'professional' && !p.relationship?.trim() && !p.purposeOfUse?.trim()) {
      throw new OperationOutcomeError(forbiddenOutcome('D9', AccessRefusal.JustifiedConnection, ctx.language));
    }
    const { compiled, facts } = await loadRequestFacts(ctx, raw);
    if (p.kind === 'guardian' && !facts.guardianVerified) {
      throw new OperationOutcomeError(forbiddenOutcome('C3', AccessRefusal.GuardianRelationship, ctx.language));
    }
    const policy = buildAccessPolicy(ctx, compiled, facts);
    const recorder = createDisclosureRecorder();
    const store = createGuardedStore(raw, policy, recorder.observer, createWriteGuard(ctx, compiled, facts));
    return {
      store,
      policy,
      record: recorder.record,
      consentsUsed: () => usedConsents(compiled, policy, new Set(recorder.record().disclosed.map((r) => r.resourceType))),
      explain: (target) => explainDisclosure(raw, policy, target),
    };
  }
  return {
    forRequest,
    async open(ctx, raw) {
      const s = await forRequest(ctx, raw);
      return { store: s.store, record: s.record };
    },
  };
}
