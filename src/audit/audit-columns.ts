// The typed columns of the lean AuditEvent table: what its searches (patient, date, agent, entity, type, subtype, action, outcome) test. https://hl7.org/fhir/R4/auditevent.html#search
import type { AuditEvent, Coding, Reference } from '@medplum/fhirtypes';
import { isWithheldEntity } from './audit-event.js';

/** Separates the values of a multi-valued column; each value is also followed by one, so `\tvalue\t` matches exactly. */
export const SEP = '\t';

export interface AuditColumns {
  id: string;
  recorded: string;
  recorded_ms: number;
  /** Patient id the event is about (entity with a Patient reference, else a represented Patient agent). */
  patient: string | null;
  /** Agent `who`: references (`Type/id`) and identifiers (`system|value`), SEP-joined. */
  agent: string;
  /** Entity `what`, same form; withheld entities left out. */
  entity: string;
  /** `system|code` of type and of each subtype. */
  type: string;
  subtype: string;
  action: string | null;
  outcome: string | null;
}

const clean = (s: string): string => s.replaceAll(SEP, ' ');

function join(values: Array<string | undefined>): string {
  const vs = [...new Set(values.filter((v): v is string => !!v).map(clean))];
  return vs.length ? `${SEP}${vs.join(SEP)}${SEP}` : '';
}

/** Token form of a reference: its literal reference and, when it has one, its identifier. */
function refTokens(ref: Reference | undefined): string[] {
  if (!ref) return [];
  const out: string[] = [];
  if (ref.reference) out.push(ref.reference);
  if (ref.identifier?.value !== undefined) out.push(`${ref.identifier.system ?? ''}|${ref.identifier.value}`);
  return out;
}

const coding = (c: Coding | undefined): string | undefined => (c?.code ? `${c.system ?? ''}|${c.code}` : undefined);
const patientId = (ref: string | undefined): string | undefined => (ref?.startsWith('Patient/') ? ref.slice(8) : undefined);

export function auditColumns(ev: AuditEvent): AuditColumns {
  const entityPatient = (ev.entity ?? []).map((e) => patientId(e.what?.reference)).find((p) => p);
  const agentPatient = (ev.agent ?? []).map((a) => patientId(a.who?.reference)).find((p) => p);
  const recorded = ev.recorded ?? '';
  return {
    id: ev.id ?? '',
    recorded,
    recorded_ms: Date.parse(recorded) || 0,
    patient: entityPatient ?? agentPatient ?? null,
    agent: join((ev.agent ?? []).flatMap((a) => refTokens(a.who))),
    // A withheld record (D11) is named for auditors in the content only: searching by it must not betray it.
    entity: join((ev.entity ?? []).filter((e) => !isWithheldEntity(e)).flatMap((e) => refTokens(e.what))),
    type: join([coding(ev.type)]),
    subtype: join((ev.subtype ?? []).map(coding)),
    action: ev.action ?? null,
    outcome: ev.outcome ?? null,
  };
}

export const AuditColumnNames = ['id', 'recorded', 'recorded_ms', 'patient', 'agent', 'entity', 'type', 'subtype', 'action', 'outcome'] as const;
