// Finnish, Swedish and English texts of the personal data store's refusals. https://hl7.org/fhir/R4/operationoutcome.html
import type { OperationOutcome } from '@medplum/fhirtypes';
import type { Language, Texts } from '../consent/messages.js';

type Fill = Record<string, string>;
const fill = (text: string, params: Fill): string => text.replace(/\{(\w+)\}/g, (_m, k: string) => params[k] ?? '');

/** A 400 invalid outcome (the write is malformed for the personal data store), with the element it concerns. */
export function invalidOutcome(texts: Texts, language: Language, expression: string, params: Fill = {}): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    id: 'invalid',
    issue: [{ severity: 'error', code: 'invalid', details: { text: fill(texts[language], params) }, expression: [expression] }],
  };
}

/** A 403 refusal naming the SPEC rule, like the consent engine's. */
export function refusalOutcome(rule: string, texts: Texts, language: Language, params: Fill = {}): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    id: 'forbidden',
    issue: [{ severity: 'error', code: 'forbidden', details: { text: `${rule}: ${fill(texts[language], params)}` } }],
  };
}

export const PdsText = {
  ProfileRequired: {
    fi: 'Omatietovarannon havainnon meta.profile-kentässä on ilmoitettava jokin hyvinvointiprofiileista: {profiles}',
    sv: 'en observation i Egen informationsresurs måste ange en av välbefinnandeprofilerna i meta.profile: {profiles}',
    en: 'a personal-data-store Observation must declare one of the wellness profiles in meta.profile: {profiles}',
  },
  CodeMismatch: {
    fi: 'havainnon koodi ei vastaa ilmoitettua profiilia: odotettiin LOINC {loinc} ({display})',
    sv: 'observationens kod motsvarar inte den angivna profilen: LOINC {loinc} ({display}) förväntades',
    en: 'the Observation code does not match its declared profile: expected LOINC {loinc} ({display})',
  },
  KindNotRegistered: {
    fi: 'sovellusta {app} ei ole rekisteröity tallentamaan mittauksia "{display}"',
    sv: 'appen {app} är inte registrerad för att spara mätningar "{display}"',
    en: 'the app {app} is not registered to write "{display}" measurements',
  },
  UnknownApp: {
    fi: 'luvitus nimeää sovelluksen {app}, jota ei ole rekisteröity hyvinvointisovellukseksi',
    sv: 'tillståndet anger appen {app}, som inte är registrerad som välbefinnandeapp',
    en: 'the authorisation names {app}, which is not a registered wellness app',
  },
  DeleteOwnOnly: {
    fi: 'vain kansalainen itse voi poistaa omat hyvinvointitietonsa',
    sv: 'bara medborgaren själv kan radera sina välbefinnandeuppgifter',
    en: 'only the citizen can delete their own wellness data',
  },
  DeleteNotByProxy: {
    fi: 'valtuutettu ei voi käsitellä hyvinvointitietoja',
    sv: 'en befullmäktigad kan inte hantera välbefinnandeuppgifter',
    en: 'a proxy never handles wellness data',
  },
  BadParameters: {
    fi: 'parametrin app on oltava sovelluksen asiakastunnus (merkkijono)',
    sv: 'parametern app måste vara appens klient-id (en sträng)',
    en: "the parameter app must be the app's client id (a string)",
  },
} as const satisfies Record<string, Texts>;
