// Extra active Consents for everyone but the bench subjects: the second consent density of SPEC 5 ("flat in stored consents").
import type { Resource } from '@medplum/fhirtypes';
import { ConsentKind, type ConsentKindCode } from '../src/kanta/codes.js';
import { toConsent } from '../src/kanta/consent-to-fhir-consent.js';
import { demoProviders } from '../src/kanta/demo-organizations.js';

const KINDS: readonly ConsentKindCode[] = [ConsentKind.Informing, ConsentKind.Prohibition, ConsentKind.PermissionSocial, ConsentKind.OrganDonationWill];

/** `perPatient` more active consents for each patient not in `skip`, in batches of one patient. */
export function* denseConsents(patients: number, perPatient: number, skip: ReadonlySet<string>): Generator<Resource[]> {
  for (let i = 0; i < patients; i++) {
    const pid = `p${i}`;
    if (skip.has(pid)) continue;
    const batch: Resource[] = [];
    for (let k = 0; k < perPatient; k++) {
      const kind = KINDS[k % KINDS.length];
      const holder = demoProviders[(i + k) % demoProviders.length];
      batch.push(
        toConsent({
          id: `${pid}-dense-${k}`,
          kind,
          patientRef: `Patient/${pid}`,
          performerRef: `Patient/${pid}`,
          dateTime: '2024-03-10T12:00:00Z',
          status: 'active',
          targets: kind === ConsentKind.Prohibition ? [{ registerHolderRef: `Organization/${holder.id}` }] : undefined,
          decision: kind === ConsentKind.OrganDonationWill ? 'permit' : undefined,
        }),
      );
    }
    yield batch;
  }
}
