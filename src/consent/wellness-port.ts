// What the consent engine needs to know about registered wellness apps (P1); the personal data store (src/pds) supplies it. https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html
import type { Principal } from '../context.js';
import type { Consent, Resource } from '@medplum/fhirtypes';
import type { Language } from './messages.js';

/**
 * Optional: without it the engine treats every authorised client id as an app that may read and write any wellness
 * Observation (the behaviour the store-level rule tests assume).
 */
export interface WellnessPort {
  /** Observation.code search tokens (`system|code`) a registered app may read and write; undefined = not a registered app. */
  codesOf(clientId: string): string[] | undefined;
  /**
   * Checks a wellness Observation before it is stored and returns it as it should be stored (the writing app stamped).
   * `clientId` is the writing app, absent when the citizen writes. Throws OperationOutcomeError (422 or 403 P1).
   */
  prepareObservation(resource: Resource, writer: { clientId?: string; existing?: Resource }, language: Language): Resource;
  /** Client id of the app that wrote a stored wellness Observation (undefined: the citizen, or unknown). */
  writerOf(resource: Resource): string | undefined;
  /** Checks a wellness-app authorisation names only registered apps; throws OperationOutcomeError (422). */
  checkAuthorisation(consent: Consent, language: Language): void;
  /** Who may run one of the personal data store's operations on a patient; throws OperationOutcomeError (403). */
  authorizeOperation?(name: string, principal: Principal, target: { resourceType?: string; id?: string }, language: Language): void;
}
