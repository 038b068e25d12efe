// Builds BALP-shaped AuditEvents for FHIR REST interactions, disclosures across registers and refusals (A1, D8, D11). https://profiles.ihe.net/ITI/BALP/
import type { AuditEvent, AuditEventAgent, AuditEventEntity, CodeableConcept, Coding, OperationOutcome, Resource } from '@medplum/fhirtypes';
import { isArchiveOperator, type Principal } from '../context.js';
import { Interaction, type InteractionCode } from '../fhir/types.js';
import { Oid } from '../kanta/codes.js';
import type { AuditInput } from '../pipeline/ports.js';
import {
  AuditAgentKind,
  AuditEntityKind,
  AuditEntityType,
  AuditEventAction,
  AuditEventOutcome,
  AuditEventType,
  AuditLocalSystem,
  BasicAuditEntityType,
  Confidentiality,
  DETAIL_REGISTER_HOLDER,
  DicomRole,
  Lifecycle,
  NETWORK_TYPE_IP,
  OAUTH_JTI_PREFIX,
  ObjectRole,
  ParticipationType,
  PURPOSE_OF_USE_SYSTEM,
  RESTFUL_INTERACTION_SYSTEM,
  RoleClass,
  RoleCode,
  SecuritySourceType,
  UserAuthenticationSubtype,
  type AuditEventActionCode,
  type AuditEventOutcomeCode,
} from './audit-codes.js';

/** A record that left the server, and the register holder (organisation OID) it came from. */
export interface DisclosedEntry {
  reference: string;
  registerHolder?: string;
  /** Patient the record belongs to; lets buildRestAuditEvents put it only in that patient's event. */
  patientId?: string;
}

/** A record the consent layer kept back (D11). */
export interface WithheldEntry {
  reference: string;
  patientId?: string;
}

export interface AuditSource {
  /** Stable id of this gateway deployment (identifier value of source.observer). */
  id: string;
  display?: string;
}

export const DEFAULT_AUDIT_SOURCE: AuditSource = { id: 'kanta-gateway', display: 'Kanta FHIR Gateway' };

/** The request facts shared with the pipeline's AuditInput (one field list, kept there), plus what the audit trail resolved. */
export interface RestAuditInput extends Pick<AuditInput, 'ctx' | 'interaction' | 'resourceType' | 'id' | 'operation' | 'status' | 'outcome' | 'targets'> {
  /** Every patient the request touched (the lead collects them). */
  patientIds: string[];
  disclosed: DisclosedEntry[];
  withheld: WithheldEntry[];
  /** The search query as received: a query string (without `?`) or the parsed map. */
  query?: string | Record<string, string[]>;
  source?: AuditSource;
  /** Defaults to ctx.now. */
  recorded?: Date;
}

/** See: http://hl7.org/fhir/audit-event-action — reads R, searches E, writes C/U/D, operations E. */
export function actionFor(interaction: InteractionCode): AuditEventActionCode {
  switch (interaction) {
    case Interaction.Read:
    case Interaction.Vread:
    case Interaction.HistoryInstance:
    case Interaction.HistoryType:
    case Interaction.HistorySystem:
      return AuditEventAction.Read;
    case Interaction.Create:
      return AuditEventAction.Create;
    case Interaction.Update:
    case Interaction.Patch:
      return AuditEventAction.Update;
    case Interaction.Delete:
      return AuditEventAction.Delete;
    default:
      return AuditEventAction.Execute;
  }
}

/** Success below 400; a client error is minor; 503 (service withheld, e.g. audit down) major; other 5xx serious. */
export function outcomeFor(status: number): AuditEventOutcomeCode {
  if (status < 400) return AuditEventOutcome.Success;
  if (status < 500) return AuditEventOutcome.MinorFailure;
  if (status === 503) return AuditEventOutcome.MajorFailure;
  return AuditEventOutcome.SeriousFailure;
}

const isSearch = (i: InteractionCode): boolean => i === Interaction.SearchType || i === Interaction.SearchSystem;
const isRead = (i: InteractionCode): boolean => actionFor(i) === AuditEventAction.Read;

/** Parameters that must never reach an audit record. */
const SECRET_PARAMS = new Set(['access_token']);

function queryPairs(query: string | Record<string, string[]>): Array<[string, string]> {
  if (typeof query === 'string') return [...new URLSearchParams(query.startsWith('?') ? query.slice(1) : query)];
  return Object.entries(query).flatMap(([k, vs]) => vs.map((v): [string, string] => [k, v]));
}

/** The search as BALP wants it: base64 of the request in `query`, a readable form in `description`. */
export function buildQueryEntity(resourceType: string | undefined, query: string | Record<string, string[]>): AuditEventEntity {
  const pairs = queryPairs(query).filter(([k]) => !SECRET_PARAMS.has(k));
  const raw = new URLSearchParams(pairs).toString();
  const readable = pairs.map(([k, v]) => `${k}=${v}`).join('&');
  const path = resourceType ?? '';
  return {
    type: AuditEntityType.SystemObject,
    role: ObjectRole.Query,
    query: Buffer.from(`${path}?${raw}`, 'utf8').toString('base64'),
    description: `${path}?${readable}`,
  };
}

/**
 * A refusal (D11): names the withheld record for auditors only. The entity is labelled restricted and
 * `redactWithheld` removes it before anyone but an auditor sees the event.
 */
export function buildWithheldEntity(entry: WithheldEntry | string): AuditEventEntity {
  const reference = typeof entry === 'string' ? entry : entry.reference;
  return {
    what: { reference },
    type: AuditEntityKind.Withheld,
    role: ObjectRole.DomainResource,
    securityLabel: [Confidentiality.Restricted],
  };
}

export function isWithheldEntity(e: AuditEventEntity): boolean {
  return e.type?.system === AuditEntityKind.Withheld.system && e.type.code === AuditEntityKind.Withheld.code;
}

/**
 * Interactions on one named record: whether they succeed tells whether that record exists (a read of a record
 * answers 200, a read of nothing 404), so their outcome cannot be shown once the record itself is hidden.
 */
const RECORD_BOUND = new Set<string>([
  Interaction.Read,
  Interaction.Vread,
  Interaction.HistoryInstance,
  Interaction.Update,
  Interaction.Patch,
  Interaction.Delete,
  Interaction.Create,
  // An operation may run on one record (`DocumentReference/[id]/$meta`): a stored event does not say which, so none
  // shows its outcome once no record of it is shown.
  Interaction.Operation,
]);

const isCoding = (c: Coding | undefined, of: Coding): boolean => c?.system === of.system && c?.code === of.code;
const isQueryEntity = (e: AuditEventEntity): boolean => isCoding(e.role, ObjectRole.Query);
/** An entity naming one record (the Patient entity has role Patient; request id and legal basis name no record). */
const namesRecord = (e: AuditEventEntity): boolean => !!e.what?.reference && isCoding(e.role, ObjectRole.DomainResource);

/**
 * The search as a non-auditor sees it: the resource type and the parameter names, no values. A value (`_id=…`,
 * an identifier, a reference) can name a record the viewer may not see; and hiding values only where a hidden
 * record matched would itself mark those events, so every query entity shown to a non-auditor loses its values,
 * a hit's and a miss's alike. Idempotent: the result parses back to itself.
 */
function redactQueryEntity(e: AuditEventEntity): AuditEventEntity {
  // `query` holds the request URL-encoded; the readable `description` is not parseable safely (values may hold `&`),
  // so without `query` only its path (the resource type) is kept.
  const text = e.query !== undefined ? Buffer.from(e.query, 'base64').toString('utf8') : e.description ?? '';
  const q = text.indexOf('?');
  const path = q < 0 ? text : text.slice(0, q);
  const names = e.query !== undefined && q >= 0 ? [...new Set(new URLSearchParams(text.slice(q + 1)).keys())] : [];
  const shown = names.length > 0 ? `${path}?${names.join('&')}` : path;
  return { ...e, query: Buffer.from(shown, 'utf8').toString('base64'), description: shown };
}

/**
 * The event as a non-auditor sees it (D11, C1, A4); `visible` says whether the viewer may see a referenced record.
 * Always a new object: the stored event (hash chain, A3) is never touched, redaction is only a view on read.
 *
 * The citizen still learns who used their data and when: seed 000, "Tietojen katsomisesta jää merkintä
 * lokitietoihin, jotta niiden käyttöä voidaan valvoa." So agents, time, action, interaction and the searched type
 * stay. But a record hidden from the viewer must not show nor betray itself: seed 003, "Omakannassa ei näytetä
 * tietoja myöskään, mikäli asiakirjalle on terveydenhuollossa merkitty viivästys tietojen näyttämiseen". So the
 * event is cut to what a request that found nothing would show, field by field:
 * - entities naming a withheld record (a refusal) or a record the viewer may not see are dropped;
 * - query entities keep parameter names only (see redactQueryEntity);
 * - the Disclose subtype stays only while an entity disclosed across registers is still shown;
 * - on an interaction with one record (RECORD_BOUND) whose record is no longer shown, `outcome` and `outcomeDesc`
 *   go: a hit shows "0", a miss "4 Not found", and no other field is left to tell them apart. They are removed
 *   rather than faked as a miss, so the view hides but never states something that did not happen.
 * An event given without `entity` (e.g. `_elements`) cannot be checked, so it is treated as showing no record
 * (fail closed).
 */
export function redactAuditEventFor(event: AuditEvent, visible: (reference: string) => boolean): AuditEvent {
  const entity = event.entity?.filter((e) => !isWithheldEntity(e) && (!e.what?.reference || visible(e.what.reference))).map((e) => (isQueryEntity(e) ? redactQueryEntity(e) : e));
  const disclosing = (entity ?? []).some((e) => isCoding(e.lifecycle, Lifecycle.Disclose));
  const subtype = event.subtype && !disclosing ? event.subtype.filter((c) => !isCoding(c, Lifecycle.Disclose)) : event.subtype;
  const interaction = event.subtype?.find((c) => c.system === RESTFUL_INTERACTION_SYSTEM)?.code;
  const hidesOutcome = !!interaction && RECORD_BOUND.has(interaction) && !(entity ?? []).some(namesRecord);
  const shown: AuditEvent = { ...event };
  if (subtype) shown.subtype = subtype;
  if (entity) shown.entity = entity;
  if (hidesOutcome) {
    delete shown.outcome;
    delete shown.outcomeDesc;
  }
  return shown;
}

/**
 * The event as shown to a citizen or any non-auditor where record visibility is not known here (the consent layer's
 * per-resource presenter): withheld entities removed (D11) and queries cut to parameter names; the request
 * pipeline then applies redactAuditEventFor with the viewer's visibility.
 */
export function redactWithheld(event: AuditEvent): AuditEvent {
  return redactAuditEventFor(event, () => true);
}

/** Only the archive operator's own back-end (a system token without organisation) audits; everyone else sees redacted events. */
export function isAuditor(p: Principal): boolean {
  return isArchiveOperator(p);
}

/** The redaction for a caller, as the consent layer applies it to everything leaving the guarded store; undefined for auditors. */
export function auditEventPresenterFor(p: Principal): ((r: Resource) => Resource) | undefined {
  if (isAuditor(p)) return undefined;
  return (r) => (r.resourceType === 'AuditEvent' ? redactWithheld(r) : r);
}

const orgIdentifierValue = (oid: string): string => (oid.startsWith('urn:oid:') ? oid : `urn:oid:${oid}`);

/** Persons are identified by HETU; apps and systems by their OAuth client id. */
function callerIdentity(p: Principal): AuditEventAgent['who'] {
  const person = p.kind !== 'app' && p.kind !== 'system';
  return {
    identifier: person ? { system: Oid.Hetu, value: p.subject } : { system: AuditLocalSystem.OAuthClient, value: p.clientId ?? p.subject },
    ...(p.name ? { display: p.name } : undefined),
  };
}

function userType(action: AuditEventActionCode): CodeableConcept {
  if (action === AuditEventAction.Create) return { coding: [ParticipationType.Author] };
  if (action === AuditEventAction.Update || action === AuditEventAction.Delete) return { coding: [ParticipationType.Informant] };
  return { coding: [ParticipationType.InformationRecipient] };
}

function userRoles(p: Principal): CodeableConcept[] {
  const roles: CodeableConcept[] = [{ coding: [{ system: AuditLocalSystem.CallerRole, code: p.kind }] }];
  if (p.kind === 'guardian') roles.push({ coding: [RoleCode.Guardian] });
  if (p.kind === 'proxy') roles.push({ coding: [p.mandates?.includes('health') ? RoleCode.HealthcarePowerOfAttorney : RoleCode.PowerOfAttorney] });
  return roles;
}

function buildAgents(input: RestAuditInput, action: AuditEventActionCode, source: AuditSource): AuditEventAgent[] {
  const p = input.ctx.principal;
  // BALP: on a read the server is the source and the client the destination; on query and writes the reverse.
  const clientRole: Coding = action === AuditEventAction.Read ? DicomRole.Destination : DicomRole.Source;
  const serverRole: Coding = action === AuditEventAction.Read ? DicomRole.Source : DicomRole.Destination;
  const agents: AuditEventAgent[] = [];

  agents.push({
    type: userType(action),
    who: callerIdentity(p),
    requestor: true,
    role: userRoles(p),
    ...(p.purposeOfUse ? { purposeOfUse: [{ coding: [{ system: PURPOSE_OF_USE_SYSTEM, code: p.purposeOfUse }] }] } : undefined),
    ...(p.tokenId ? { policy: [`${OAUTH_JTI_PREFIX}${p.tokenId}`] } : undefined),
  });
  if ((p.kind === 'guardian' || p.kind === 'proxy') && p.patient) {
    agents.push({ type: { coding: [AuditAgentKind.Represented] }, who: { reference: `Patient/${p.patient}` }, requestor: false });
  }
  if (p.organization) {
    agents.push({
      type: { coding: [RoleClass.HealthcareProvider] },
      who: { identifier: { system: Oid.SoteOrganisationRegister, value: orgIdentifierValue(p.organization) } },
      requestor: false,
      ...(p.sector ? { role: [{ coding: [{ system: AuditLocalSystem.Sector, code: p.sector }] }] } : undefined),
    });
  }
  if (p.unit) {
    agents.push({
      type: { coding: [RoleClass.ServiceDeliveryLocation] },
      who: { identifier: { system: Oid.SoteOrganisationRegister, value: orgIdentifierValue(p.unit) } },
      requestor: false,
    });
  }
  agents.push({
    type: { coding: [clientRole, DicomRole.Application] },
    ...(p.clientId ? { who: { identifier: { system: AuditLocalSystem.OAuthClient, value: p.clientId } } } : undefined),
    requestor: false,
    ...(input.ctx.remoteAddress ? { network: { address: input.ctx.remoteAddress, type: NETWORK_TYPE_IP } } : undefined),
  });
  agents.push({
    type: { coding: [serverRole] },
    who: { identifier: { system: AuditLocalSystem.AuditSource, value: source.id }, ...(source.display ? { display: source.display } : undefined) },
    requestor: false,
  });
  return agents;
}

function buildEntities(input: RestAuditInput, patientIds: string[], disclosed: DisclosedEntry[], withheld: WithheldEntry[]): AuditEventEntity[] {
  const p = input.ctx.principal;
  const entities: AuditEventEntity[] = patientIds.map((id) => ({ what: { reference: `Patient/${id}` }, type: AuditEntityType.Person, role: ObjectRole.Patient }));
  const named = new Set([...disclosed.map((d) => d.reference), ...withheld.map((w) => w.reference)]);

  // The targets of the interaction (the URL's, and those a conditional interaction found), unless the disclosure
  // list or the refusal list already names them.
  const targets = [...(input.resourceType && input.id ? [`${input.resourceType}/${input.id}`] : []), ...(input.targets ?? []).map((t) => `${t.resourceType}/${t.id}`)];
  for (const target of new Set(targets)) {
    if (!named.has(target)) {
      entities.push({
        what: { reference: target },
        type: AuditEntityType.SystemObject,
        role: ObjectRole.DomainResource,
        ...(input.operation ? { description: `$${input.operation}` } : undefined),
      });
    }
  }
  for (const d of disclosed) {
    const crossRegister = !!d.registerHolder && !!p.organization && d.registerHolder !== p.organization;
    entities.push({
      what: { reference: d.reference },
      type: AuditEntityType.SystemObject,
      role: ObjectRole.DomainResource,
      ...(crossRegister ? { lifecycle: Lifecycle.Disclose } : isRead(input.interaction) || isSearch(input.interaction) ? { lifecycle: Lifecycle.Access } : undefined),
      ...(d.registerHolder ? { detail: [{ type: DETAIL_REGISTER_HOLDER, valueString: d.registerHolder }] } : undefined),
    });
  }
  for (const w of withheld) entities.push(buildWithheldEntity(w));
  if (input.query !== undefined && (isSearch(input.interaction) || typeof input.query === 'string' || Object.keys(input.query).length > 0)) {
    entities.push(buildQueryEntity(input.resourceType, input.query));
  }
  if (p.legalBasis) {
    entities.push({ type: AuditEntityKind.LegalBasis, role: ObjectRole.DomainResource, description: p.legalBasis, detail: [{ type: 'legal-basis', valueString: p.legalBasis }] });
  }
  entities.push({ what: { identifier: { value: input.ctx.requestId } }, type: BasicAuditEntityType.RequestId });
  return entities;
}

function outcomeText(o: OperationOutcome | undefined): string | undefined {
  const issue = o?.issue?.find((i) => i.severity === 'error' || i.severity === 'fatal') ?? o?.issue?.[0];
  return issue?.details?.text ?? issue?.diagnostics;
}

function buildOne(input: RestAuditInput, patientIds: string[], disclosed: DisclosedEntry[], withheld: WithheldEntry[]): AuditEvent {
  const action = actionFor(input.interaction);
  const source = input.source ?? DEFAULT_AUDIT_SOURCE;
  const p = input.ctx.principal;
  const discloses = disclosed.some((d) => !!d.registerHolder && !!p.organization && d.registerHolder !== p.organization);
  const subtype: Coding[] = [
    { system: RESTFUL_INTERACTION_SYSTEM, code: input.interaction, ...(input.operation ? { display: `$${input.operation}` } : undefined) },
  ];
  if (discloses) subtype.push(Lifecycle.Disclose);
  const purposeOfEvent: CodeableConcept[] = [];
  if (p.purposeOfUse) purposeOfEvent.push({ coding: [{ system: PURPOSE_OF_USE_SYSTEM, code: p.purposeOfUse }] });
  if (p.legalBasis) purposeOfEvent.push({ text: p.legalBasis });
  const outcome = outcomeFor(input.status);
  const desc = outcome === AuditEventOutcome.Success ? undefined : outcomeText(input.outcome) ?? `HTTP ${input.status}`;

  return {
    resourceType: 'AuditEvent',
    type: AuditEventType.Rest,
    subtype,
    action,
    recorded: (input.recorded ?? input.ctx.now).toISOString(),
    outcome,
    ...(desc ? { outcomeDesc: desc } : undefined),
    ...(purposeOfEvent.length > 0 ? { purposeOfEvent } : undefined),
    agent: buildAgents(input, action, source),
    source: {
      observer: { identifier: { system: AuditLocalSystem.AuditSource, value: source.id }, ...(source.display ? { display: source.display } : undefined) },
      type: [SecuritySourceType.ApplicationServer],
    },
    entity: buildEntities(input, patientIds, disclosed, withheld),
  };
}

/** One AuditEvent for the whole request, naming every patient touched. */
export function buildRestAuditEvent(input: RestAuditInput): AuditEvent {
  return buildOne(input, input.patientIds, input.disclosed, input.withheld);
}

/**
 * One AuditEvent per patient (BALP's advice), so a citizen searching their own events (A4) never sees
 * another person's records: entries with a patientId go only to that patient's event; entries without
 * one go to every event. No patient touched: one event without a patient entity.
 */
export function buildRestAuditEvents(input: RestAuditInput): AuditEvent[] {
  const patients = [...new Set(input.patientIds)];
  if (patients.length <= 1) return [buildOne(input, patients, input.disclosed, input.withheld)];
  return patients.map((pid) =>
    buildOne(
      input,
      [pid],
      input.disclosed.filter((d) => d.patientId === undefined || d.patientId === pid),
      input.withheld.filter((w) => w.patientId === undefined || w.patientId === pid),
    ),
  );
}

/** What is known about a refused bearer token: nothing about the person, since none of its claims can be trusted. */
export interface AuthenticationFailureInput {
  requestId: string;
  remoteAddress?: string;
  recorded: Date;
  /** Reason code (AUTH_FAILURE_SYSTEM) and its text, e.g. 'expired' / 'Token expired'. */
  reason?: { system: string; code: string };
  text: string;
  source?: AuditSource;
}

/**
 * A failed login (DCM 110114 User Authentication, subtype 110122 Login, outcome 4). The token is not decoded:
 * an unverified claim could be forged and could carry a HETU, so the event names only the network address,
 * the request id and the reason.
 */
export function buildAuthenticationFailureEvent(input: AuthenticationFailureInput): AuditEvent {
  const source = input.source ?? DEFAULT_AUDIT_SOURCE;
  const entity: AuditEventEntity[] = [];
  if (input.reason) {
    entity.push({
      type: AuditEntityKind.AuthenticationFailure,
      description: input.text,
      detail: [{ type: input.reason.system, valueString: input.reason.code }],
    });
  }
  entity.push({ what: { identifier: { value: input.requestId } }, type: BasicAuditEntityType.RequestId });
  return {
    resourceType: 'AuditEvent',
    type: AuditEventType.UserAuthentication,
    subtype: [UserAuthenticationSubtype.Login],
    action: AuditEventAction.Execute,
    recorded: input.recorded.toISOString(),
    outcome: AuditEventOutcome.MinorFailure,
    outcomeDesc: input.text,
    agent: [
      {
        type: { coding: [DicomRole.Source, DicomRole.Application] },
        requestor: true,
        ...(input.remoteAddress ? { network: { address: input.remoteAddress, type: NETWORK_TYPE_IP } } : undefined),
      },
      {
        type: { coding: [DicomRole.Destination] },
        who: { identifier: { system: AuditLocalSystem.AuditSource, value: source.id }, ...(source.display ? { display: source.display } : undefined) },
        requestor: false,
      },
    ],
    source: {
      observer: { identifier: { system: AuditLocalSystem.AuditSource, value: source.id }, ...(source.display ? { display: source.display } : undefined) },
      type: [SecuritySourceType.ApplicationServer],
    },
    entity,
  };
}
