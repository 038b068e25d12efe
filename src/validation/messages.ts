// Validation issue texts in Finnish, Swedish and English (SPEC F3), with the FHIR issue-type each one carries. https://hl7.org/fhir/R4/valueset-issue-type.html
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import type { Language } from './language.js';

type Template = Readonly<Record<Language, string>>;
type IssueType = NonNullable<OperationOutcomeIssue['code']>;

interface MessageDefinition {
  /** FHIR issue-type code (http://hl7.org/fhir/issue-type). */
  readonly code: IssueType;
  readonly text: Template;
}

/**
 * Message id -> issue-type and {fi, sv, en} template. `{name}` placeholders are filled from the issue's
 * parameters; technical detail that has no translation (FHIRPath, the English invariant text of the
 * specification, medplum's own wording) is passed through as a parameter.
 */
export const ValidationMessages = {
  valid: {
    code: 'informational',
    text: {
      en: 'Validation successful: no errors found',
      fi: 'Validointi onnistui: virheitä ei löytynyt',
      sv: 'Valideringen lyckades: inga fel hittades',
    },
  },
  'not-a-resource': {
    code: 'structure',
    text: {
      en: 'The body must be a JSON object with a resourceType',
      fi: 'Sisällön on oltava JSON-objekti, jolla on resourceType',
      sv: 'Innehållet måste vara ett JSON-objekt med resourceType',
    },
  },
  'unknown-resource-type': {
    code: 'not-supported',
    text: {
      en: 'Unknown resource type "{type}"',
      fi: 'Tuntematon resurssityyppi "{type}"',
      sv: 'Okänd resurstyp "{type}"',
    },
  },
  'unknown-profile': {
    code: 'not-supported',
    text: {
      en: 'Unknown profile {url}: the resource claims a profile this server does not know',
      fi: 'Tuntematon profiili {url}: resurssi ilmoittaa profiilin, jota palvelin ei tunne',
      sv: 'Okänd profil {url}: resursen anger en profil som servern inte känner till',
    },
  },
  'profile-type-mismatch': {
    code: 'structure',
    text: {
      en: 'Profile {url} constrains {profileType}, not {type}',
      fi: 'Profiili {url} koskee resurssityyppiä {profileType}, ei tyyppiä {type}',
      sv: 'Profilen {url} gäller resurstypen {profileType}, inte {type}',
    },
  },
  'required-missing': {
    code: 'required',
    text: {
      en: 'Required element is missing',
      fi: 'Pakollinen elementti puuttuu',
      sv: 'Obligatoriskt element saknas',
    },
  },
  cardinality: {
    code: 'structure',
    text: {
      en: 'Wrong number of values: expected {min}..{max}, found {found}',
      fi: 'Väärä määrä arvoja: odotettiin {min}..{max}, löytyi {found}',
      sv: 'Fel antal värden: förväntade {min}..{max}, hittade {found}',
    },
  },
  'slice-cardinality': {
    code: 'structure',
    text: {
      en: 'Wrong number of values for slice "{slice}": expected {min}..{max}, found {found}',
      fi: 'Väärä määrä arvoja viipaleessa (slice) "{slice}": odotettiin {min}..{max}, löytyi {found}',
      sv: 'Fel antal värden i delmängden (slice) "{slice}": förväntade {min}..{max}, hittade {found}',
    },
  },
  'expected-array': {
    code: 'structure',
    text: {
      en: 'Expected an array of values',
      fi: 'Odotettiin arvojen taulukkoa',
      sv: 'Förväntade en lista med värden',
    },
  },
  'expected-single': {
    code: 'structure',
    text: {
      en: 'Expected a single value, not an array',
      fi: 'Odotettiin yksittäistä arvoa, ei taulukkoa',
      sv: 'Förväntade ett enskilt värde, inte en lista',
    },
  },
  'unknown-element': {
    code: 'structure',
    text: {
      en: 'Unknown element "{name}"',
      fi: 'Tuntematon elementti "{name}"',
      sv: 'Okänt element "{name}"',
    },
  },
  'empty-value': {
    code: 'structure',
    text: {
      en: 'Empty values are not allowed',
      fi: 'Tyhjä arvo ei ole sallittu',
      sv: 'Tomma värden är inte tillåtna',
    },
  },
  'null-value': {
    code: 'structure',
    text: {
      en: 'null is not allowed here',
      fi: 'null-arvo ei ole sallittu tässä',
      sv: 'null är inte tillåtet här',
    },
  },
  'wrong-type': {
    code: 'structure',
    text: {
      en: 'Wrong data type: expected {expected}, found {found}',
      fi: 'Väärä tietotyyppi: odotettiin {expected}, löytyi {found}',
      sv: 'Fel datatyp: förväntade {expected}, hittade {found}',
    },
  },
  'invalid-format': {
    code: 'value',
    text: {
      en: 'Invalid {type} value',
      fi: 'Virheellinen {type}-arvo',
      sv: 'Ogiltigt {type}-värde',
    },
  },
  'invalid-number': {
    code: 'value',
    text: {
      en: 'Invalid number: {detail}',
      fi: 'Virheellinen luku: {detail}',
      sv: 'Ogiltigt tal: {detail}',
    },
  },
  'blank-string': {
    code: 'value',
    text: {
      en: 'Text must contain something other than whitespace',
      fi: 'Tekstin on sisällettävä muutakin kuin välilyöntejä',
      sv: 'Texten måste innehålla annat än blanksteg',
    },
  },
  'string-too-long': {
    code: 'value',
    text: {
      en: 'Text is longer than 1 MB',
      fi: 'Teksti on pidempi kuin 1 Mt',
      sv: 'Texten är längre än 1 MB',
    },
  },
  'value-mismatch': {
    code: 'value',
    text: {
      en: 'Value does not match the value the profile requires',
      fi: 'Arvo ei vastaa profiilin vaatimaa arvoa',
      sv: 'Värdet motsvarar inte det värde som profilen kräver',
    },
  },
  invariant: {
    code: 'invariant',
    text: {
      en: 'Rule {key} not met: {human}',
      fi: 'Sääntö {key} ei täyty: {human}',
      sv: 'Regeln {key} är inte uppfylld: {human}',
    },
  },
  'invariant-not-evaluated': {
    code: 'processing',
    text: {
      en: 'Rule {key} could not be evaluated: {detail}',
      fi: 'Sääntöä {key} ei voitu arvioida: {detail}',
      sv: 'Regeln {key} kunde inte utvärderas: {detail}',
    },
  },
  'code-not-in-value-set': {
    code: 'code-invalid',
    text: {
      en: 'Code "{code}" is not in the required value set {valueSet}',
      fi: 'Koodi "{code}" ei kuulu vaadittuun arvojoukkoon {valueSet}',
      sv: 'Koden "{code}" ingår inte i den obligatoriska värdemängden {valueSet}',
    },
  },
  'code-missing': {
    code: 'code-invalid',
    text: {
      en: 'No coded value given; a code from the value set {valueSet} is required',
      fi: 'Koodattu arvo puuttuu; arvojoukon {valueSet} koodi vaaditaan',
      sv: 'Kodat värde saknas; en kod ur värdemängden {valueSet} krävs',
    },
  },
  'reference-type': {
    code: 'structure',
    text: {
      en: 'A reference to {found} is not allowed here; allowed: {allowed}',
      fi: 'Viittaus resurssityyppiin {found} ei ole sallittu tässä; sallitut: {allowed}',
      sv: 'En referens till {found} är inte tillåten här; tillåtna: {allowed}',
    },
  },
  'extension-value-type': {
    code: 'structure',
    text: {
      en: 'Extension {url} must have a value of type {allowed}',
      fi: 'Laajennuksen {url} arvon on oltava tyyppiä {allowed}',
      sv: 'Tillägget {url} måste ha ett värde av typen {allowed}',
    },
  },
  'hetu-invalid': {
    code: 'value',
    text: {
      en: 'Invalid Finnish personal identity code (henkilötunnus): wrong format, date, individual number or check character',
      fi: 'Virheellinen henkilötunnus: väärä muoto, syntymäaika, yksilönumero tai tarkistusmerkki',
      sv: 'Ogiltig finsk personbeteckning: fel format, födelsedatum, individnummer eller kontrolltecken',
    },
  },
  'choice-conflict': {
    code: 'structure',
    text: {
      en: 'Conflicting choice-type elements: {detail}',
      fi: 'Ristiriitaiset valintatyyppiset elementit: {detail}',
      sv: 'Motstridiga valtypselement: {detail}',
    },
  },
  processing: {
    code: 'processing',
    text: {
      en: 'Validation could not be completed: {detail}',
      fi: 'Validointia ei voitu suorittaa loppuun: {detail}',
      sv: 'Valideringen kunde inte slutföras: {detail}',
    },
  },
  'forbidden-character': {
    code: 'value',
    text: {
      en: 'The string contains a character FHIR does not allow (NUL or another control character, U+FFFE/U+FFFF, or an unpaired surrogate)',
      fi: 'Merkkijono sisältää merkin, jota FHIR ei salli (NUL tai muu ohjausmerkki, U+FFFE/U+FFFF tai pariton korvausmerkki)',
      sv: 'Strängen innehåller ett tecken som FHIR inte tillåter (NUL eller annat styrtecken, U+FFFE/U+FFFF eller ett oparat surrogattecken)',
    },
  },
  'invalid-date': {
    code: 'value',
    text: {
      en: 'Invalid {type}: {detail}',
      fi: 'Virheellinen {type}: {detail}',
      sv: 'Ogiltigt {type}: {detail}',
    },
  },
  'invalid-id': {
    code: 'value',
    text: {
      en: 'Invalid id "{id}": 1 to 64 letters, digits, "-" and "." (and not only dots)',
      fi: 'Virheellinen tunniste "{id}": 1–64 kirjainta, numeroa, "-" tai "." (eikä pelkkiä pisteitä)',
      sv: 'Ogiltigt id "{id}": 1–64 bokstäver, siffror, "-" och "." (och inte bara punkter)',
    },
  },
  'invalid-reference': {
    code: 'value',
    text: {
      en: 'Invalid reference "{reference}": expected Type/id, Type/id/_history/vid, #id, urn:uuid:..., urn:oid:... or an absolute URL',
      fi: 'Virheellinen viittaus "{reference}": odotettiin Type/id, Type/id/_history/vid, #id, urn:uuid:..., urn:oid:... tai absoluuttinen URL',
      sv: 'Ogiltig referens "{reference}": förväntade Type/id, Type/id/_history/vid, #id, urn:uuid:..., urn:oid:... eller en absolut URL',
    },
  },
  'narrative-not-xhtml': {
    code: 'invariant',
    text: {
      en: 'txt-1: the narrative must be a well-formed XHTML <div xmlns="http://www.w3.org/1999/xhtml"> using only the basic HTML subset: {detail}',
      fi: 'txt-1: kertomuksen (narrative) on oltava hyvin muodostettu XHTML-<div xmlns="http://www.w3.org/1999/xhtml">, jossa on vain sallittuja HTML-elementtejä: {detail}',
      sv: 'txt-1: narrativet måste vara en välformad XHTML-<div xmlns="http://www.w3.org/1999/xhtml"> med endast den tillåtna HTML-delmängden: {detail}',
    },
  },
  'narrative-empty': {
    code: 'invariant',
    text: {
      en: 'txt-2: the narrative must have some non-whitespace content',
      fi: 'txt-2: kertomuksessa (narrative) on oltava muutakin kuin tyhjää',
      sv: 'txt-2: narrativet måste ha något innehåll utöver blanktecken',
    },
  },
  'structure-other': {
    code: 'structure',
    text: {
      en: 'Invalid structure: {detail}',
      fi: 'Virheellinen rakenne: {detail}',
      sv: 'Ogiltig struktur: {detail}',
    },
  },
} as const satisfies Record<string, MessageDefinition>;

export type MessageId = keyof typeof ValidationMessages;
export type MessageParams = Readonly<Record<string, string | number>>;

/** Fills a template; a placeholder without a parameter stays visible so a missing argument is noticed. */
export function formatMessage(id: MessageId, language: Language, params: MessageParams = {}): string {
  return ValidationMessages[id].text[language].replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole
  );
}

/** Builds one OperationOutcome issue in the caller's language; `diagnostics` keeps untranslated technical detail. */
export function createIssue(
  id: MessageId,
  language: Language,
  expression: string,
  options: { params?: MessageParams; severity?: OperationOutcomeIssue['severity']; diagnostics?: string } = {}
): OperationOutcomeIssue {
  const issue: OperationOutcomeIssue = {
    severity: options.severity ?? 'error',
    code: ValidationMessages[id].code,
    details: { text: formatMessage(id, language, options.params) },
  };
  if (expression) {
    issue.expression = [expression];
  }
  if (options.diagnostics) {
    issue.diagnostics = options.diagnostics;
  }
  return issue;
}
