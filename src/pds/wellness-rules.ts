// The personal data store's write rules for the consent engine (P1): declared PHR profile, registered kinds, the writing app stamped. https://www.kanta.fi/en/system-developers/technical-instructions
import { OperationOutcomeError } from '@medplum/core';
import type { Consent, Extension, Observation, Resource } from '@medplum/fhirtypes';
import type { WellnessPort } from '../consent/wellness-port.js';
import { LocalSystemMore, profileUrl } from '../kanta/codes.js';
import type { AppRegistry } from './app-registry.js';
import { invalidOutcome, PdsText, refusalOutcome } from './messages.js';
import { CreatingApplicationExtension, CreatingApplicationPart, declaredPhrKind, LoincSystem, phrCodeToken, phrKindCodes, PhrKinds } from './phr-kinds.js';

/** The operation that erases a citizen's wellness data (src/pds/delete-wellness-data.ts). */
export const DeleteWellnessDataOperation = 'delete-wellness-data';

/** Client id in Kanta PHR's creating-application extension, if any. */
export function creatingApplicationOf(resource: Resource): { applicationId?: string; name?: string } | undefined {
  const ext = (resource as Observation).extension?.find((e) => e.url === CreatingApplicationExtension);
  if (!ext) return undefined;
  const part = (url: string) => ext.extension?.find((e) => e.url === url)?.valueString;
  return { applicationId: part(CreatingApplicationPart.ApplicationId), name: part(CreatingApplicationPart.Name) };
}

function creatingApplication(name: string, clientId: string): Extension {
  return {
    url: CreatingApplicationExtension,
    extension: [
      { url: CreatingApplicationPart.Name, valueString: name },
      { url: CreatingApplicationPart.ApplicationId, valueString: clientId },
    ],
  };
}

/** Client ids a wellness-app authorisation names (identifier in the app-client-id system, or a Device/<client id> reference). */
export function authorisedClientIds(consent: Consent): string[] {
  return (consent.provision?.actor ?? [])
    .map((a) => (a.reference?.identifier?.system === LocalSystemMore.AppClientId ? a.reference.identifier.value : a.reference?.reference?.startsWith('Device/') ? a.reference.reference.slice(7) : undefined))
    .filter((v): v is string => !!v);
}

export function createWellnessRules(registry: AppRegistry): WellnessPort {
  const allProfiles = phrKindCodes()
    .map((k) => profileUrl(PhrKinds[k].profileId))
    .join(', ');
  return {
    codesOf(clientId) {
      return registry.get(clientId)?.kinds.map(phrCodeToken);
    },

    authorizeOperation(name, principal, target, language) {
      if (name !== DeleteWellnessDataOperation) return;
      // C4: a proxy never handles wellness data; C6: only the citizen deletes their own.
      if (principal.kind === 'proxy') throw new OperationOutcomeError(refusalOutcome('C4', PdsText.DeleteNotByProxy, language));
      if (principal.kind !== 'citizen' || target.resourceType !== 'Patient' || principal.patient !== target.id) {
        throw new OperationOutcomeError(refusalOutcome('C6', PdsText.DeleteOwnOnly, language));
      }
    },

    prepareObservation(resource, writer, language) {
      if (resource.resourceType !== 'Observation') return resource;
      const obs = resource as Observation;
      // Kanta PHR validates every resource against the profile it declares, and declaring one is mandatory.
      const kind = declaredPhrKind(obs.meta?.profile, obs.code);
      if (!kind) throw new OperationOutcomeError(invalidOutcome(PdsText.ProfileRequired, language, 'Observation.meta.profile', { profiles: allProfiles }));
      const def = PhrKinds[kind];
      if (!obs.code?.coding?.some((c) => c.system === LoincSystem && c.code === def.loinc)) {
        throw new OperationOutcomeError(invalidOutcome(PdsText.CodeMismatch, language, 'Observation.code', { loinc: def.loinc, display: def.display }));
      }
      const others = (obs.extension ?? []).filter((e) => e.url !== CreatingApplicationExtension);
      let stamp: Extension | undefined;
      if (writer.clientId) {
        const app = registry.get(writer.clientId);
        if (!app || !app.kinds.includes(kind)) {
          throw new OperationOutcomeError(refusalOutcome('P1', PdsText.KindNotRegistered, language, { app: app?.name ?? writer.clientId, display: def.display }));
        }
        // Taken from the verified token, never from the body: an app cannot write in another app's name.
        stamp = creatingApplication(app.name, app.clientId);
      } else {
        // The citizen's own entry has no creating app; a correction keeps the app that measured it.
        stamp = writer.existing && (writer.existing as Observation).extension?.find((e) => e.url === CreatingApplicationExtension);
      }
      const extension = stamp ? [...others, stamp] : others;
      // A Kanta PHR or HL7 canonical stays as the app sent it; ours is added so the record names what it was validated against.
      const ours = profileUrl(def.profileId);
      const meta = obs.meta?.profile?.includes(ours) ? obs.meta : { ...obs.meta, profile: [...(obs.meta?.profile ?? []), ours] };
      const { extension: _old, ...rest } = { ...obs, meta };
      return (extension.length ? { ...rest, extension } : rest) as Resource;
    },

    writerOf(resource) {
      return creatingApplicationOf(resource)?.applicationId;
    },

    checkAuthorisation(consent, language) {
      if (consent.status !== 'active') return;
      for (const clientId of authorisedClientIds(consent)) {
        if (!registry.get(clientId)) {
          throw new OperationOutcomeError(invalidOutcome(PdsText.UnknownApp, language, 'Consent.provision.actor', { app: clientId }));
        }
      }
    },
  };
}
