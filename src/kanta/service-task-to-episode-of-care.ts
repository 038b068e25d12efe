// Maps a social-care client relationship within one service task (asiakkuus per palvelutehtävä) to an EpisodeOfCare. https://hl7.org/fhir/R4/episodeofcare.html
import type { EpisodeOfCare } from '@medplum/fhirtypes';
import { LocalSystemMore, ProfileId, RegisterKind, profileUrl } from './codes.js';
import { oidIdentifier } from './identifiers.js';
import { displayOf } from './mapping-tables.js';
import { recordSecurity } from './security-labels.js';

export interface ClientRelationshipInput {
  id?: string;
  relationshipOid: string;
  patientRef: string;
  /** Local service-task code (mappings/CodeSystem-social-service-task.json). */
  serviceTask: string;
  managingOrganizationRef: string;
  registerHolder: string;
  origin?: 'kanta' | 'local';
  worker: { id: string; name: string };
  start: string;
  end?: string;
}

export function serviceTaskCoding(code: string) {
  return { system: LocalSystemMore.SocialServiceTask, code, display: displayOf('social-service-task', code) };
}

export function toEpisodeOfCare(r: ClientRelationshipInput): EpisodeOfCare {
  return {
    resourceType: 'EpisodeOfCare',
    ...(r.id ? { id: r.id } : {}),
    meta: {
      profile: [profileUrl(ProfileId.SocialServiceTask)],
      security: recordSecurity({ registerHolder: r.registerHolder, registerKind: RegisterKind.SocialCare, origin: r.origin }),
    },
    identifier: [oidIdentifier(r.relationshipOid, 'official')],
    status: r.end ? 'finished' : 'active',
    type: [{ coding: [serviceTaskCoding(r.serviceTask)] }],
    patient: { reference: r.patientRef },
    managingOrganization: { reference: r.managingOrganizationRef },
    period: { start: r.start, ...(r.end ? { end: r.end } : {}) },
    careManager: { type: 'Practitioner', identifier: { system: LocalSystemMore.WorkerId, value: r.worker.id }, display: r.worker.name },
  };
}
