// The pipeline's view of authentication, scopes, consent and audit: small ports the app wires to their modules.
import type { AuditEvent, OperationOutcome, Resource } from '@medplum/fhirtypes';
import type { Principal, RequestContext } from '../context.js';
import type { ExplainDisclosure, InteractionCode } from '../fhir/types.js';
import type { ResourceStore } from '../store/resource-store.js';
import type { SqlDatabase } from '../store/sql/database.js';

export interface Authentication {
  /** Verifies the bearer token; throws an OperationOutcomeError (401) when it is missing or bad. */
  authenticate(authorization: string | undefined): Promise<Principal>;
}

export interface ScopeCheck {
  /** SMART scope letter check for an interaction on a type (operations pass their own letter). */
  isAllowed(principal: Principal, resourceType: string, interaction: InteractionCode, operationScope?: string): boolean;
}

/** What a consent gate reports about one request, for its AuditEvent. */
export interface DisclosureRecord {
  disclosed: Resource[];
  withheld: Array<{ resourceType: string; id: string }>;
}

export interface ConsentGate {
  /** A guarded view of `raw` for this caller; every route below reads only through it. */
  open(
    ctx: RequestContext,
    raw: ResourceStore
  ): Promise<{
    store: ResourceStore;
    record: () => DisclosureRecord;
    /** `$disclosure` explanations bound to the same decisions as `store`. */
    explain?: ExplainDisclosure;
    /** Which of the `Type/id` references the caller may see, recording nothing (redaction of audit answers, D11). */
    visible?: (refs: string[]) => Promise<Set<string>>;
    /** Who may run an operation at all (role limits beyond record access); throws a 403 OperationOutcomeError. */
    authorizeOperation?: (name: string, target: { resourceType?: string; id?: string }) => void;
  }>;
}

export interface AuditInput {
  ctx: RequestContext;
  interaction: InteractionCode;
  resourceType?: string;
  id?: string;
  /** Operation name without `$`, for interaction 'operation'. */
  operation?: string;
  /** HTTP status answered (or about to be answered). */
  status: number;
  /** The error outcome of a failed request (status >= 400); its first text becomes the AuditEvent's outcomeDesc. */
  outcome?: OperationOutcome;
  /** Raw request line for searches (BALP puts it in entity.query). */
  query?: string;
  record: DisclosureRecord;
  /** Resource written by create/update. */
  written?: Resource;
  /** Resources a conditional interaction acted on (the URL names none): each is named in the AuditEvent. */
  targets?: Array<{ resourceType: string; id: string }>;
}

/** A bearer token that was refused (401): only what can be said without trusting any of its claims. */
export interface AuthenticationFailureAuditInput {
  requestId: string;
  remoteAddress?: string;
  now: Date;
  /** The 401 outcome sent to the client; its coded issue names the reason. */
  outcome: OperationOutcome;
}

export interface AuditTrail {
  build(input: AuditInput): AuditEvent[];
  /** The login-failure event (DCM 110114) for a refused token; optional so minimal trails can skip it. */
  buildAuthenticationFailure?(input: AuthenticationFailureAuditInput): AuditEvent;
  /** Stores the events in the caller's transaction; throws when it cannot (fail-closed). */
  append(tx: { db: SqlDatabase }, events: AuditEvent[]): Promise<void>;
}

/** Metrics and traces of the pipeline; label values are closed sets (interaction codes, served types, statuses, rule IDs). */
export interface PipelineTelemetry {
  /** Runs one step (authentication, consent, store, audit) in a child span of the request's span. */
  span<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** Names the request's span after its FHIR route. */
  annotate(route: { interaction: string; resourceType?: string }): void;
  observeRequest(labels: { interaction: string; resourceType: string; status: number }, seconds: number): void;
  /** `rule`: the spec rule ID that refused a request, or `policy` for what the compiled consents disclosed (never what they withheld, D11). */
  consentDecision(rule: string, decision: 'disclosed' | 'refused', count?: number): void;
  observeAuditCommit(batchSize: number, seconds: number): void;
  auditFailure(): void;
}
