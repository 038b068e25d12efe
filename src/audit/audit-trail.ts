// Turns what the request pipeline observed into BALP AuditEvents (one per patient) and appends them to the hash-chained log. https://profiles.ihe.net/ITI/BALP/
import type { Reference, Resource } from '@medplum/fhirtypes';
import { LocalSystem } from '../kanta/codes.js';
import type { AuditInput, AuditTrail } from '../pipeline/ports.js';
import type { SqlDatabase } from '../store/sql/database.js';
import { buildAuthenticationFailureEvent, buildRestAuditEvents, type DisclosedEntry } from './audit-event.js';
import { createAuditLog, type AuditLogOptions } from './audit-log.js';

const PatientRef = /^Patient\/([^/]+)$/;

/** The patient a record is about: the Patient itself, or its subject/patient/beneficiary reference. */
export function patientOf(r: Resource): string | undefined {
  if (r.resourceType === 'Patient') return r.id;
  const x = r as Resource & { subject?: Reference; patient?: Reference; beneficiary?: Reference; for?: Reference };
  for (const ref of [x.subject, x.patient, x.beneficiary, x.for]) {
    const m = ref?.reference ? PatientRef.exec(ref.reference) : null;
    if (m) return m[1];
  }
  return undefined;
}

export function registerHolderOf(r: Resource): string | undefined {
  return r.meta?.security?.find((s) => s.system === LocalSystem.RegisterHolder)?.code;
}

export interface AuditTrailWithLog extends AuditTrail {
  migrate(db: SqlDatabase): Promise<void>;
}

export function createAuditTrail(opts: AuditLogOptions = {}): AuditTrailWithLog {
  const log = createAuditLog(opts);
  return {
    migrate: (db) => log.migrate(db),
    append: (tx, events) => log.append(tx, events),
    buildAuthenticationFailure({ requestId, remoteAddress, now, outcome }) {
      const coded = outcome.issue?.find((i) => i.details?.coding?.[0]?.code);
      const coding = coded?.details?.coding?.[0];
      return buildAuthenticationFailureEvent({
        requestId,
        remoteAddress,
        recorded: now,
        reason: coding?.system && coding.code ? { system: coding.system, code: coding.code } : undefined,
        text: coded?.details?.text ?? outcome.issue?.[0]?.details?.text ?? 'Authentication failed',
      });
    },
    build(input: AuditInput) {
      const touched = [...input.record.disclosed, ...(input.written ? [input.written] : [])];
      const disclosed: DisclosedEntry[] = input.record.disclosed
        .filter((r) => r.resourceType !== 'AuditEvent')
        .map((r) => ({ reference: `${r.resourceType}/${r.id}`, registerHolder: registerHolderOf(r), patientId: patientOf(r) }));
      const patientIds = new Set<string>();
      for (const r of touched) {
        const p = patientOf(r);
        if (p) patientIds.add(p);
      }
      // A refused read of a Patient touched nothing, but the event is still about that patient (A4 lets them see it).
      if (input.resourceType === 'Patient' && input.id && patientIds.size === 0) patientIds.add(input.id);
      if (input.ctx.principal.patient && patientIds.size === 0) patientIds.add(input.ctx.principal.patient);
      return buildRestAuditEvents({
        ctx: input.ctx,
        interaction: input.interaction,
        resourceType: input.resourceType,
        id: input.id,
        targets: input.targets,
        operation: input.operation,
        status: input.status,
        outcome: input.outcome,
        patientIds: [...patientIds],
        disclosed,
        withheld: input.record.withheld.map((w) => ({ reference: `${w.resourceType}/${w.id}` })),
        query: input.query,
      });
    },
  };
}
