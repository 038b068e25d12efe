// One path for every FHIR request: authenticate, route, check scope, open the consent-guarded store, run the handler, audit, respond.
import { OperationOutcomeError } from '@medplum/core';
import type { AuditEvent } from '@medplum/fhirtypes';
import type { Principal, RequestContext } from '../context.js';
import { insufficientScope, serviceUnavailable, statusOf, toOutcome } from '../fhir/outcomes.js';
import type { FhirRouter, RouteMatch } from '../fhir/router.js';
import { Interaction, type ExplainDisclosure, type FhirRequest, type FhirResponse, type FhirServices } from '../fhir/types.js';
import type { ResourceStore } from '../store/resource-store.js';
import type { SqlDatabase } from '../store/sql/database.js';
import type { Authentication, AuditInput, AuditTrail, ConsentGate, DisclosureRecord, ScopeCheck } from './ports.js';
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
  services: Omit<FhirServices, 'dispatch' | 'validate'> & {
    validate(resource: unknown, options: { profileUrl?: string; language: RequestContext['language'] }): ReturnType<FhirServices['validate']>;
  };
}

export interface RequestMeta {
  authorization?: string;
  requestId: string;
  remoteAddress?: string;
  language: RequestContext['language'];
}

/** Marks a failure of the audit store, which always becomes 503 with no data (A2). */
class AuditUnavailable extends Error {}

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
      m = deps.router.match(req);
      if (nested && m.interaction === Interaction.Transaction) {
        throw new OperationOutcomeError({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-supported', details: { text: 'A Bundle entry cannot itself be a batch or transaction' } }] });
      }
      checkScope(deps, ctx.principal, m);
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
    return {
      ctx,
      interaction: m.interaction,
      resourceType: m.resourceType,
      id: m.id ?? written?.id,
      operation: m.operation?.name,
      status,
      query: m.interaction === Interaction.SearchType || m.interaction === Interaction.SearchSystem ? rawQuery(req) : undefined,
      record,
      written,
    };
  }

  function refusalInput(ctx: RequestContext, req: FhirRequest, err: unknown): AuditInput | undefined {
    let m: RouteMatch;
    try {
      m = deps.router.match(req);
    } catch {
      return undefined; // no such endpoint: nothing personal was asked for
    }
    const outcome = toOutcome(err);
    return { ...auditInput(ctx, req, m, statusOf(outcome), { disclosed: [], withheld: [] }), outcome };
  }

  /** A refused token is a failed login (A1): recorded in its own transaction; the client gets its 401 either way. */
  async function auditAuthenticationFailure(err: unknown, meta: RequestMeta): Promise<void> {
    const outcome = toOutcome(err);
    if (statusOf(outcome) !== 401 || !deps.audit.buildAuthenticationFailure) return;
    try {
      const event = deps.audit.buildAuthenticationFailure({ requestId: meta.requestId, remoteAddress: meta.remoteAddress, now: new Date(), outcome });
      await deps.db.transaction((tx) => appendAudit(tx, [event]));
    } catch {
      // Refusing is already the safe answer; an unwritable log must not turn a 401 into something else.
    }
  }

  async function appendAudit(tx: SqlDatabase, events: AuditEvent[]): Promise<void> {
    try {
      await deps.audit.append({ db: tx, store: deps.rawStore(tx) }, events);
    } catch (err) {
      throw new AuditUnavailable(String(err));
    }
  }

  return {
    async handle(req: FhirRequest, meta: RequestMeta): Promise<FhirResponse> {
      let principal: Principal;
      try {
        principal = await deps.auth.authenticate(meta.authorization);
      } catch (err) {
        await auditAuthenticationFailure(err, meta);
        throw err;
      }
      const ctx: RequestContext = { principal, requestId: meta.requestId, now: new Date(), remoteAddress: meta.remoteAddress, language: meta.language };
      const audits: AuditInput[] = [];
      try {
        return await deps.db.transaction(async (tx) => {
          const raw = deps.rawStore(tx);
          let gate: Awaited<ReturnType<ConsentGate['open']>>;
          try {
            gate = await deps.consent.open(ctx, raw);
          } catch (err) {
            // A caller refused before any route ran (no justified connection, unverified guardian) is still audited.
            const refused = refusalInput(ctx, req, err);
            if (refused) audits.push(refused);
            throw err;
          }
          const res = await dispatch(req, gate.store, ctx, audits, gate, false);
          const shown = await redactAuditEvents(ctx.principal, res, gate.visible);
          await appendAudit(tx, audits.flatMap((a) => deps.audit.build(a)));
          return shown;
        });
      } catch (err) {
        if (err instanceof AuditUnavailable) {
          return { outcome: serviceUnavailable('The audit log cannot be written, so no data is released. Try again later.') };
        }
        // The work rolled back; its refusal or failure is still audited, in a transaction of its own.
        if (audits.length > 0) {
          try {
            await deps.db.transaction((tx) => appendAudit(tx, audits.flatMap((a) => deps.audit.build({ ...a, record: { disclosed: [], withheld: a.record.withheld } }))));
          } catch {
            return { outcome: serviceUnavailable('The audit log cannot be written, so no data is released. Try again later.') };
          }
        }
        throw err;
      }
    },
  };
}

export type RequestPipeline = ReturnType<typeof createRequestPipeline>;
