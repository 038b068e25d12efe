// One path for every FHIR request: authenticate, route, check scope, open the consent-guarded store, run the handler, audit, respond.
import { OperationOutcomeError } from '@medplum/core';
import type { AuditEvent, OperationOutcome } from '@medplum/fhirtypes';
import type { Principal, RequestContext } from '../context.js';
import { insufficientScope, serviceUnavailable, statusOf, toOutcome } from '../fhir/outcomes.js';
import { callerRefusal } from '../fhir/operations.js';
import type { FhirRouter, RouteMatch } from '../fhir/router.js';
import { Interaction, type FhirRequest, type FhirResponse, type FhirServices } from '../fhir/types.js';
import type { ResourceStore } from '../store/resource-store.js';
import type { SqlDatabase } from '../store/sql/database.js';
import { AuditUnavailable, type AuditBatchWriter } from '../audit/audit-batch.js';
import { DatabaseUnavailable } from '../store/sql/unavailable.js';
import type { Authentication, AuditInput, AuditTrail, ConsentGate, DisclosureRecord, PipelineTelemetry, ScopeCheck } from './ports.js';
import { redactAuditEvents } from './redact-audit.js';

export interface PipelineDeps {
  db: SqlDatabase;
  /** The raw store over a connection; only the consent gate and the audit trail ever see it. */
  rawStore(db: SqlDatabase): ResourceStore;
  router: FhirRouter;
  auth: Authentication;
  scopes: ScopeCheck;
  consent: ConsentGate;
  audit: AuditTrail;
  /** Group commit of AuditEvents and writes (src/audit/audit-batch.ts). */
  auditWriter: AuditBatchWriter;
  services: Omit<FhirServices, 'dispatch' | 'validate'> & {
    validate(resource: unknown, options: { profileUrl?: string; language: RequestContext['language'] }): ReturnType<FhirServices['validate']>;
  };
  /** Metrics and traces (src/observability); absent = none. */
  telemetry?: PipelineTelemetry;
}

const NoTelemetry: PipelineTelemetry = {
  span: (_name, fn) => fn(),
  annotate: () => undefined,
  observeRequest: () => undefined,
  consentDecision: () => undefined,
  observeAuditCommit: () => undefined,
  auditFailure: () => undefined,
};

/** The spec rule that refused a request (consent's 403 texts open with it, e.g. `D9: ...`). */
function refusingRule(outcome: OperationOutcome): string | undefined {
  if (outcome.id !== 'forbidden') return undefined;
  return /^([A-Z][0-9]{1,2}):/.exec(outcome.issue?.[0]?.details?.text ?? '')?.[1];
}

export interface RequestMeta {
  authorization?: string;
  requestId: string;
  remoteAddress?: string;
  language: RequestContext['language'];
}


function checkScope(deps: PipelineDeps, principal: Principal, m: RouteMatch): void {
  if (m.interaction === Interaction.Transaction) return; // each entry is checked on its own
  const type = m.resourceType ?? '*';
  if (!deps.scopes.isAllowed(principal, type, m.interaction, m.operation?.scope)) {
    throw new OperationOutcomeError(insufficientScope(`The token's scopes do not allow ${m.operation ? `$${m.operation.name}` : m.interaction} on ${type}`));
  }
}

/** The query string as received (BALP's entity.query); the audit builder prefixes the resource type. */
function rawQuery(req: FhirRequest): string {
  const qs = new URLSearchParams();
  for (const [k, vs] of Object.entries(req.query)) for (const v of vs) qs.append(k, v);
  return qs.toString();
}

/** The parts of an opened consent gate that (sub)requests share. */
type Gate = Pick<Awaited<ReturnType<ConsentGate['open']>>, 'record' | 'explain' | 'authorizeOperation'>;

export function createRequestPipeline(deps: PipelineDeps) {
  const telemetry = deps.telemetry ?? NoTelemetry;
  /** The read connection's raw store holds no request state: built once, not per read (closures of every store layer). */
  let readStore: ResourceStore | undefined;
  const readStoreOf = (): ResourceStore => (readStore ??= readOnly(deps.rawStore(deps.db)));

  /** One routing per request object: metrics labels, the write/read split, dispatch and refusal audit all ask. */
  const routed = new WeakMap<FhirRequest, { match?: RouteMatch; error?: unknown }>();
  function route(req: FhirRequest): RouteMatch {
    let r = routed.get(req);
    if (!r) {
      try {
        r = { match: deps.router.match(req) };
      } catch (error) {
        r = { error };
      }
      routed.set(req, r);
    }
    if (!r.match) throw r.error;
    return r.match;
  }

  /** Metric labels and span name of a request: only router-validated values (served types, known operations). */
  function routeOf(req: FhirRequest): { interaction: string; resourceType: string } {
    try {
      const m = route(req);
      return { interaction: m.operation ? `$${m.operation.name}` : m.interaction, resourceType: m.resourceType ?? 'none' };
    } catch {
      return { interaction: 'unrouted', resourceType: 'none' };
    }
  }

  /** Runs one (sub)request against an already opened guarded store, collecting audit inputs. */
  async function dispatch(req: FhirRequest, store: ResourceStore, ctx: RequestContext, audits: AuditInput[], gate: Gate, nested: boolean): Promise<FhirResponse> {
    const { record, explain } = gate;
    let m: RouteMatch | undefined;
    // Each entry of a batch or transaction is audited with what it disclosed itself, not what earlier entries did.
    const before = record();
    const own = (): DisclosureRecord => {
      const now = record();
      return { disclosed: now.disclosed.slice(before.disclosed.length), withheld: now.withheld.slice(before.withheld.length) };
    };
    try {
      m = route(req);
      if (nested && m.interaction === Interaction.Transaction) {
        throw new OperationOutcomeError({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-supported', details: { text: 'A Bundle entry cannot itself be a batch or transaction' } }] });
      }
      checkScope(deps, ctx.principal, m);
      // Before the handler: a caller the operation is not reserved for learns nothing from its input or the data (D11).
      const refusal = m.operation && callerRefusal(m.operation, ctx.principal, ctx.language);
      if (refusal) throw new OperationOutcomeError(refusal);
      if (m.operation) gate.authorizeOperation?.(m.operation.name, { resourceType: m.resourceType, id: m.id });
      const match = m;
      const services: FhirServices = {
        ...deps.services,
        validate: (resource, options) => deps.services.validate(resource, { ...options, language: ctx.language }),
        dispatch: (sub, subStore) => dispatch(sub, subStore, ctx, audits, gate, true),
      };
      const res = await match.handler({ ...req, params: { ...req.params, ...match.params } }, { store, ctx, services, explain });
      if (match.interaction !== Interaction.Transaction) audits.push(auditInput(ctx, req, match, statusOf(res.outcome), own(), res));
      return res;
    } catch (err) {
      if (m && m.interaction !== Interaction.Transaction) {
        const outcome = toOutcome(err);
        audits.push({ ...auditInput(ctx, req, m, statusOf(outcome), own()), outcome });
      }
      throw err;
    }
  }

  function auditInput(ctx: RequestContext, req: FhirRequest, m: RouteMatch, status: number, record: DisclosureRecord, res?: FhirResponse): AuditInput {
    const written = m.interaction === Interaction.Create || m.interaction === Interaction.Update || m.interaction === Interaction.Patch ? res?.resource : undefined;
    const conditional = !m.id && m.interaction === Interaction.Delete;
    return {
      ctx,
      interaction: m.interaction,
      resourceType: m.resourceType,
      id: m.id ?? written?.id,
      targets: res?.targets,
      operation: m.operation?.name,
      status,
      // A conditional delete's criteria are its query (BALP entity.query), like a search's.
      query: m.interaction === Interaction.SearchType || m.interaction === Interaction.SearchSystem || conditional ? rawQuery(req) : undefined,
      record,
      written,
    };
  }

  function refusalInput(ctx: RequestContext, req: FhirRequest, err: unknown): AuditInput | undefined {
    let m: RouteMatch;
    try {
      m = route(req);
    } catch {
      return undefined; // no such endpoint: nothing personal was asked for
    }
    const outcome = toOutcome(err);
    return { ...auditInput(ctx, req, m, statusOf(outcome), { disclosed: [], withheld: [] }), outcome };
  }

  /** A refused token is a failed login (A1): recorded in the next audit batch; the client gets its 401 either way. */
  async function auditAuthenticationFailure(err: unknown, meta: RequestMeta): Promise<void> {
    const outcome = toOutcome(err);
    if (statusOf(outcome) !== 401 || !deps.audit.buildAuthenticationFailure) return;
    try {
      await deps.auditWriter.record([deps.audit.buildAuthenticationFailure({ requestId: meta.requestId, remoteAddress: meta.remoteAddress, now: new Date(), outcome })]);
    } catch {
      // Refusing is already the safe answer; an unwritable log must not turn a 401 into something else.
    }
  }

  /** Whether the request may change the store: only these take part in the serialised write transaction. */
  function writes(req: FhirRequest): boolean {
    let m: RouteMatch;
    try {
      m = route(req);
    } catch {
      return false; // no such endpoint: it will answer an error without touching the store
    }
    switch (m.interaction) {
      case Interaction.Create:
      case Interaction.Update:
      case Interaction.Patch:
      case Interaction.Delete:
      case Interaction.Transaction:
      case Interaction.Batch:
        return true;
      case Interaction.Operation:
        return m.operation?.affectsState !== false;
      default:
        return false;
    }
  }

  /** Opens the consent gate and runs the request on `raw`; a refusal before any route ran is still audited. */
  async function run(req: FhirRequest, ctx: RequestContext, raw: ResourceStore, audits: AuditInput[]): Promise<FhirResponse> {
    let gate: Awaited<ReturnType<ConsentGate['open']>>;
    try {
      gate = await telemetry.span('consent', () => deps.consent.open(ctx, raw));
    } catch (err) {
      const refused = refusalInput(ctx, req, err);
      if (refused) audits.push(refused);
      throw err;
    }
    const res = await telemetry.span('store', () => dispatch(req, gate.store, ctx, audits, gate, false));
    // Only what the caller is shown is counted. Withheld records are not (D11: a withheld read answers exactly as a
    // missing one, also in counts): a per-request withheld count on the open /metrics would tell the two apart.
    // They are named in the audit trail only, for auditors.
    telemetry.consentDecision('policy', 'disclosed', gate.record().disclosed.length);
    return redactAuditEvents(ctx.principal, res, gate.visible);
  }

  /** A failed request discloses nothing; what it withheld is still recorded. */
  const failedEvents = (audits: AuditInput[]): AuditEvent[] =>
    audits.flatMap((a) => deps.audit.build({ ...a, record: { disclosed: [], withheld: a.record.withheld } }));

  return {
    async handle(req: FhirRequest, meta: RequestMeta): Promise<FhirResponse> {
      const started = performance.now();
      const route = routeOf(req);
      telemetry.annotate(route);
      const seconds = () => (performance.now() - started) / 1000;
      try {
        const res = await handleRequest(req, meta);
        telemetry.observeRequest({ ...route, status: statusOf(res.outcome) }, seconds());
        return res;
      } catch (err) {
        const outcome = toOutcome(err);
        telemetry.observeRequest({ ...route, status: statusOf(outcome) }, seconds());
        const rule = refusingRule(outcome);
        if (rule) telemetry.consentDecision(rule, 'refused');
        throw err;
      }
    },
  };

  async function handleRequest(req: FhirRequest, meta: RequestMeta): Promise<FhirResponse> {
      let principal: Principal;
      try {
        principal = await telemetry.span('authentication', () => deps.auth.authenticate(meta.authorization));
      } catch (err) {
        await auditAuthenticationFailure(err, meta);
        throw err;
      }
      const ctx: RequestContext = { principal, requestId: meta.requestId, now: new Date(), remoteAddress: meta.remoteAddress, language: meta.language };
      const audits: AuditInput[] = [];
      try {
        if (writes(req)) {
          // The data and its AuditEvents commit in one transaction (the audit batch), or neither does.
          return await deps.auditWriter.write(
            (tx) => run(req, ctx, deps.rawStore(tx), audits),
            (outcome) => (outcome.ok ? audits.flatMap((a) => deps.audit.build(a)) : failedEvents(audits)),
          );
        }
        // Reads never take the write lock: they run on the read connection and only their events join the batch.
        let res: FhirResponse;
        try {
          res = await run(req, ctx, readStoreOf(), audits);
        } catch (err) {
          await telemetry.span('audit', () => deps.auditWriter.record(failedEvents(audits)));
          throw err;
        }
        // The response waits for the group commit holding its events (A2).
        await telemetry.span('audit', () => deps.auditWriter.record(audits.flatMap((a) => deps.audit.build(a))));
        return res;
      } catch (err) {
        if (err instanceof AuditUnavailable) {
          // The database being away or busy is the truer reason (its 503 says so); anything else is the audit log's.
          if (err.cause instanceof DatabaseUnavailable) return { outcome: err.cause.outcome };
          return { outcome: serviceUnavailable('The audit log cannot be written, so no data is released. Try again later.') };
        }
        throw err;
      }
  }
}

/** A read request's store: a write here would escape the audit batch, so it is a bug, never silently allowed. */
function readOnly(store: ResourceStore): ResourceStore {
  const refuse = (): never => {
    throw new Error('A read request tried to write to the store');
  };
  return { ...store, create: refuse, update: refuse, delete: refuse, purge: refuse, transaction: refuse };
}

export type RequestPipeline = ReturnType<typeof createRequestPipeline>;
