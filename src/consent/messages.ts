// Finnish, Swedish and English texts of consent refusals and explanations. https://hl7.org/fhir/R4/operationoutcome.html
import type { OperationOutcome } from '@medplum/fhirtypes';

export type Language = 'fi' | 'sv' | 'en';
export interface Texts {
  fi: string;
  sv: string;
  en: string;
}

/** A 403 OperationOutcome whose text names the rule, in the caller's language (the others in extensions would be noise). */
export function forbiddenOutcome(rule: string, texts: Texts, language: Language): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    id: 'forbidden',
    issue: [{ severity: 'error', code: 'forbidden', details: { text: `${rule}: ${texts[language]}` } }],
  };
}

export const WriteRefusal = {
  AuditAppendOnly: {
    fi: 'lokitietoja ei voi luoda, muuttaa eikä poistaa rajapinnan kautta',
    sv: 'logguppgifter kan inte skapas, ändras eller raderas via gränssnittet',
    en: 'AuditEvents cannot be created, changed or deleted through the API',
  },
  ProfessionalOwnRegister: {
    fi: 'ammattilainen voi tallentaa vain oman organisaationsa rekisteriin tämän potilaan tietoja',
    sv: 'en yrkesperson kan bara spara uppgifter om denna patient i den egna organisationens register',
    en: "a professional may only write this patient's records into their own organisation's register",
  },
  ContentLinkOperatorOnly: {
    fi: 'asiakirjan arkistoituun sisältöön (Binary) voi viitata vain arkistoinnin ylläpitäjä; viittausta ei voi lisätä',
    sv: 'endast arkivets operatör kan hänvisa till ett dokuments arkiverade innehåll (Binary); hänvisningen kan inte läggas till',
    en: "only the archive operator links a document to archived content (Binary); this write may not add such a link",
  },
  CitizenOwnOnly: {
    fi: 'kansalainen voi tallentaa vain omia suostumuksiaan, uusimispyyntöjään ja hyvinvointitietojaan',
    sv: 'en medborgare kan bara spara sina egna samtycken, förnyelsebegäranden och välbefinnandeuppgifter',
    en: 'a citizen may only write their own consents, prescription renewal requests and wellness data',
  },
  MinorConsent: {
    fi: 'alaikäinen ei voi antaa informoinnin kuittausta, luovutuslupaa, kieltoa, tahdonilmaisua eikä EU-reseptisuostumusta',
    sv: 'en minderårig kan inte ge kvittering, tillstånd, förbud, viljeyttringar eller EU-receptsamtycke',
    en: 'a minor acting alone cannot give informing acknowledgements, permissions, prohibitions, wills or EU ePrescription consent',
  },
  GuardianConsent: {
    fi: 'huoltaja ei voi antaa lapsen puolesta kieltoja, hoito- tai elinluovutustahtoa eikä EU-reseptisuostumusta',
    sv: 'en vårdnadshavare kan inte ge förbud, vård- eller organdonationsvilja eller EU-receptsamtycke för barnet',
    en: 'a guardian cannot give prohibitions, living or organ donation wills or EU ePrescription consent for the child',
  },
  GuardianRevokeOwnOnly: {
    fi: 'huoltaja voi muuttaa tai perua vain itse antamansa luovutusluvan',
    sv: 'en vårdnadshavare kan bara ändra eller återkalla ett tillstånd som hen själv gett',
    en: 'a guardian can change or revoke only a permission the guardian personally gave',
  },
  PerformerNotCaller: {
    fi: 'suostumuksen antaja on aina asioiva henkilö itse; performer ei voi nimetä ketään muuta',
    sv: 'den som ger samtycket är alltid personen som sköter ärendet; performer kan inte ange någon annan',
    en: 'the giver of a consent is always the person acting; performer cannot name anyone else',
  },
  PerformerNotPatient: {
    fi: 'terveydenhuollossa tallennetun suostumuksen antaja on potilas itse; performer ei voi nimetä ketään muuta',
    sv: 'den som ger ett samtycke som registreras i vården är patienten själv; performer kan inte ange någon annan',
    en: 'a consent recorded in health care is given by the patient; performer cannot name anyone else',
  },
  DenyOutsideProhibition: {
    fi: 'kielto tallennetaan omana kieltonaan (kielto tai reseptikielto); luovutusluvassa, informoinnissa tai tahdonilmaisussa ei voi olla kieltävää ehtoa',
    sv: 'ett förbud registreras som ett eget förbud (förbud eller receptförbud); ett tillstånd, en information eller en viljeyttring kan inte innehålla ett förbjudande villkor',
    en: 'a prohibition is recorded as its own prohibition Consent (prohibition or prescription-prohibition); a permission, informing or will cannot carry a deny provision',
  },
  DateTimeNotNow: {
    fi: 'suostumuksen antamisaika on palvelimen kellonaika; dateTime ei voi olla muu hetki',
    sv: 'tidpunkten för samtycket är serverns klocka; dateTime kan inte vara en annan tidpunkt',
    en: "a consent's dateTime is the server's clock at the time it is given; another instant is refused",
  },
  GuardianInforming: {
    fi: 'huoltaja voi kuitata informoinnin vain, jos sitä ei ole jo kuitattu',
    sv: 'en vårdnadshavare kan kvittera informationen bara om den inte redan kvitterats',
    en: 'a guardian can acknowledge informing only when it has not been acknowledged already',
  },
  ProxyConsent: {
    fi: 'valtuutettu ei voi käsitellä hoitotahtoa, elinluovutustahtoa, kieltoja eikä hyvinvointitietoja',
    sv: 'en befullmäktigad kan inte hantera vårdvilja, organdonationsvilja, förbud eller välbefinnandeuppgifter',
    en: 'a proxy never handles living wills, organ donation wills, prohibitions or wellness data',
  },
  ProxyMandate: {
    fi: 'valtuutetulla ei ole tähän tarvittavaa Suomi.fi-valtuutta',
    sv: 'den befullmäktigade saknar den fullmakt på Suomi.fi som krävs',
    en: 'the proxy does not hold the Suomi.fi mandate this needs',
  },
  AppNotAuthorised: {
    fi: 'sovelluksella ei ole voimassa olevaa lupaa käyttäjän hyvinvointitietoihin',
    sv: 'appen har inget giltigt tillstånd till användarens välbefinnandeuppgifter',
    en: "the app has no active authorisation to the user's wellness data",
  },
  AppNotRegistered: {
    fi: 'sovellus ei ole rekisteröity Omatietovarannon hyvinvointisovellukseksi',
    sv: 'appen är inte registrerad som välbefinnandeapp i Egen informationsresurs',
    en: 'the client is not a registered wellness app of the personal data store',
  },
  AppNotSource: {
    fi: 'vain mittauksen tallentanut sovellus tai kansalainen itse voi muuttaa tai poistaa sen',
    sv: 'bara appen som sparade mätningen eller medborgaren själv kan ändra eller radera den',
    en: 'only the app that wrote a measurement, or the citizen, can change or delete it',
  },
  NotAllowed: {
    fi: 'tämä käyttäjärooli ei voi tallentaa tietoja',
    sv: 'denna användarroll kan inte spara uppgifter',
    en: 'this kind of caller cannot write data',
  },
} as const satisfies Record<string, Texts>;

export const AccessRefusal = {
  JustifiedConnection: {
    fi: 'ammattilaisen pyynnön on ilmoitettava hoito- tai asiakassuhde tai muu perusteltu käyttötarkoitus',
    sv: 'en yrkespersons begäran måste ange en vård- eller klientrelation eller ett annat motiverat syfte',
    en: 'a professional request must state a care or client relationship or another justified purpose',
  },
  GuardianRelationship: {
    fi: 'huoltajuutta ei löydy tai lapsi on täysi-ikäinen',
    sv: 'vårdnaden hittades inte eller barnet är myndigt',
    en: 'no current guardianship of this minor was found',
  },
  ProxyMandateNotFound: {
    fi: 'voimassa olevaa Suomi.fi-valtuutta tämän henkilön puolesta asiointiin ei löydy',
    sv: 'ingen giltig fullmakt på Suomi.fi att sköta ärenden för denna person hittades',
    en: 'no current Suomi.fi mandate to act for this person was found',
  },
  AuditLogNotByProxy: {
    fi: 'luovutus- ja lokitietoja voi katsoa vain henkilö itse, ei huoltaja eikä valtuutettu',
    sv: 'utlämnande- och logguppgifter kan bara ses av personen själv, inte av vårdnadshavare eller befullmäktigad',
    en: 'the disclosure and access log can be read only by the person themselves, not by a guardian or proxy',
  },
  UnitNotOfOrganization: {
    fi: 'tunnisteen unit-väite nimeää yksikön, joka ei kuulu organization-väitteen organisaatioon',
    sv: 'tokenets unit-påstående anger en enhet som inte hör till organisationen i organization-påståendet',
    en: "the token's unit claim names a unit that does not belong to the organisation in its organization claim",
  },
  CitizenNotSubject: {
    fi: 'kansalainen voi asioida vain omilla tiedoillaan: patient-väitteen potilaan henkilötunnus ei ole tunnisteen sub',
    sv: 'en medborgare kan bara sköta egna ärenden: patientens personbeteckning i patient-påståendet är inte tokenets sub',
    en: "a citizen acts only for themselves: the patient claim names a Patient whose HETU is not the token's sub",
  },
} as const satisfies Record<string, Texts>;

/** What each rule means, for `$disclosure` explanations. */
export const RuleText: Record<string, Texts> = {
  D1: { fi: 'Oma rekisteri: organisaatiosi on tiedon rekisterinpitäjä.', sv: 'Eget register: din organisation är personuppgiftsansvarig.', en: 'Own register: your organisation is the register holder.' },
  D2: { fi: 'Saman sektorin luovutus: informointi kuitattu, luovutuslupa voimassa, ei kieltoa.', sv: 'Utlämnande inom sektorn: information kvitterad, tillstånd gäller, inget förbud.', en: 'Same-sector disclosure: informing acknowledged, permission active, no prohibition.' },
  D5: { fi: 'Sektorien välinen luovutus luvan kohdistuksen mukaan päävastuulliselle yksikölle.', sv: 'Utlämnande mellan sektorerna enligt tillståndets avgränsning till den huvudansvariga enheten.', en: 'Cross-sector disclosure within the permission\'s targeting to a main responsible unit.' },
  D6: { fi: 'Reseptitiedot hoidossa ja apteekissa ilman lupaa.', sv: 'Receptuppgifter i vården och på apotek utan tillstånd.', en: 'Prescriptions in care and at pharmacies without a permission.' },
  D7: { fi: 'Uudenmaan julkinen terveydenhuolto informoinnin jälkeen.', sv: 'Nylands offentliga hälso- och sjukvård efter information.', en: 'Uusimaa public health care after informing.' },
  D8: { fi: 'Sosiaalihuollon viranomaisen lakisääteinen tiedonsaantioikeus.', sv: 'Socialmyndighetens lagstadgade rätt till information.', en: 'Statutory right of a social-care authority.' },
  D9: { fi: 'Perusteltu asiayhteys potilaaseen.', sv: 'Motiverat samband med patienten.', en: 'Justified connection to the patient.' },
  C1: { fi: 'Omat tiedot OmaKannan näyttösääntöjen mukaan.', sv: 'Egna uppgifter enligt MittKantas visningsregler.', en: 'Own data under the OmaKanta display rules.' },
  C2: { fi: 'Sosiaalihuollon tiedot OmaKannan näyttösääntöjen mukaan.', sv: 'Socialvårdsuppgifter enligt MittKantas visningsregler.', en: 'Social-care data under the OmaKanta display rules.' },
  C3: { fi: 'Huoltajan näkymä alaikäisen tietoihin.', sv: 'Vårdnadshavarens vy av den minderårigas uppgifter.', en: "Guardian's view of a minor's data." },
  C4: { fi: 'Täysi-ikäisen puolesta asiointi Suomi.fi-valtuudella.', sv: 'Ärenden för en vuxen med fullmakt på Suomi.fi.', en: 'Acting for an adult with a Suomi.fi mandate.' },
  C5: { fi: 'Alaikäinen asioi itse.', sv: 'Minderårig sköter sina egna ärenden.', en: 'A minor acting alone.' },
  C6: { fi: 'Kansalaisen omat tahdonilmaisut.', sv: 'Medborgarens egna viljeyttringar.', en: "The citizen's own declarations." },
  P1: { fi: 'Hyvinvointisovelluksen voimassa oleva luvitus.', sv: 'Välbefinnandeappens giltiga tillstånd.', en: "The wellness app's active authorisation." },
  A4: { fi: 'Omien tietojen käyttö- ja luovutusloki.', sv: 'Logg över användning och utlämnande av egna uppgifter.', en: 'Access and disclosure log of own data.' },
  directory: { fi: 'Julkinen hakemistotieto.', sv: 'Offentlig kataloguppgift.', en: 'Public directory data.' },
};
