// User-interface texts in Finnish, Swedish and English; the language follows the browser unless the user switches.
export type Lang = 'fi' | 'sv' | 'en';
export const Langs: Lang[] = ['fi', 'sv', 'en'];
export const LangNames: Record<Lang, string> = { fi: 'Suomi', sv: 'Svenska', en: 'English' };

const T = {
  appName: { fi: 'Omat terveystiedot', sv: 'Mina hälsouppgifter', en: 'My health records' },
  login: { fi: 'Kirjaudu sisään', sv: 'Logga in', en: 'Sign in' },
  logout: { fi: 'Kirjaudu ulos', sv: 'Logga ut', en: 'Sign out' },
  loginIntro: {
    fi: 'Kirjaudu Kanta-yhdyskäytävän kautta. Kehitysympäristössä valitset demohenkilön.',
    sv: 'Logga in via Kanta-gatewayen. I utvecklingsmiljön väljer du en demoperson.',
    en: 'Sign in through the Kanta gateway. In development you choose a demo persona.',
  },
  language: { fi: 'Kieli', sv: 'Språk', en: 'Language' },
  signedInAs: { fi: 'Kirjautunut', sv: 'Inloggad', en: 'Signed in' },
  actingFor: { fi: 'Kenen tiedot', sv: 'Vems uppgifter', en: 'Whose records' },
  visits: { fi: 'Käynnit', sv: 'Besök', en: 'Visits' },
  documents: { fi: 'Asiakirjat', sv: 'Dokument', en: 'Documents' },
  prescriptions: { fi: 'Reseptit', sv: 'Recept', en: 'Prescriptions' },
  consents: { fi: 'Luvat ja kiellot', sv: 'Samtycken och förbud', en: 'Permissions and prohibitions' },
  log: { fi: 'Luovutus- ja katseluloki', sv: 'Utlämnings- och visningslogg', en: 'Disclosure and access log' },
  explorer: { fi: 'Päätösten tarkastelu', sv: 'Beslutsutforskare', en: 'Decision explorer' },
  loading: { fi: 'Ladataan…', sv: 'Laddar…', en: 'Loading…' },
  none: { fi: 'Ei tietoja.', sv: 'Inga uppgifter.', en: 'Nothing to show.' },
  date: { fi: 'Päivämäärä', sv: 'Datum', en: 'Date' },
  organisation: { fi: 'Organisaatio', sv: 'Organisation', en: 'Organisation' },
  unit: { fi: 'Yksikkö', sv: 'Enhet', en: 'Unit' },
  status: { fi: 'Tila', sv: 'Status', en: 'Status' },
  title: { fi: 'Otsikko', sv: 'Rubrik', en: 'Title' },
  kind: { fi: 'Laji', sv: 'Typ', en: 'Kind' },
  medication: { fi: 'Lääke', sv: 'Läkemedel', en: 'Medication' },
  dosage: { fi: 'Annostus', sv: 'Dosering', en: 'Dosage' },
  view: { fi: 'Näkymä', sv: 'Vy', en: 'View' },
  otherViews: { fi: 'Muut', sv: 'Övriga', en: 'Other' },
  active: { fi: 'voimassa', sv: 'gäller', en: 'in force' },
  inactive: { fi: 'peruttu', sv: 'återkallad', en: 'revoked' },
  give: { fi: 'Anna', sv: 'Ge', en: 'Give' },
  revoke: { fi: 'Peru', sv: 'Återkalla', en: 'Revoke' },
  change: { fi: 'Muuta voimassaoloa', sv: 'Ändra giltighet', en: 'Change validity' },
  validUntil: { fi: 'Voimassa asti', sv: 'Giltig till', en: 'Valid until' },
  save: { fi: 'Tallenna', sv: 'Spara', en: 'Save' },
  givePermission: { fi: 'Anna lupa, suostumus tai tahto', sv: 'Ge samtycke eller vilja', en: 'Give a permission, consent or will' },
  willText: { fi: 'Hoitotahdon teksti (vain hoitotahto)', sv: 'Vårdtestamentets text (endast vårdtestamente)', en: 'Text of a living will (living will only)' },
  giveProhibition: { fi: 'Anna kielto', sv: 'Ge förbud', en: 'Give a prohibition' },
  permissionKind: { fi: 'Laji', sv: 'Typ', en: 'Kind' },
  prohibitedRegister: { fi: 'Kiellettävä rekisterinpitäjä', sv: 'Registeransvarig som förbudet gäller', en: 'Register holder to prohibit' },
  saved: { fi: 'Tallennettu.', sv: 'Sparat.', en: 'Saved.' },
  revoked: { fi: 'Peruttu.', sv: 'Återkallat.', en: 'Revoked.' },
  refused: { fi: 'Palvelu ei hyväksynyt pyyntöä', sv: 'Tjänsten avslog begäran', en: 'The service refused the request' },
  who: { fi: 'Kuka', sv: 'Vem', en: 'Who' },
  role: { fi: 'Rooli', sv: 'Roll', en: 'Role' },
  when: { fi: 'Milloin', sv: 'När', en: 'When' },
  why: { fi: 'Peruste', sv: 'Grund', en: 'Why' },
  what: { fi: 'Mitä', sv: 'Vad', en: 'What' },
  purpose: { fi: 'Käyttötarkoitus', sv: 'Ändamål', en: 'Purpose' },
  legalBasis: { fi: 'Oikeusperuste', sv: 'Rättslig grund', en: 'Legal basis' },
  outcome: { fi: 'Tulos', sv: 'Resultat', en: 'Outcome' },
  ok: { fi: 'onnistui', sv: 'lyckades', en: 'succeeded' },
  failed: { fi: 'hylättiin', sv: 'avslogs', en: 'refused' },
  disclosedFrom: { fi: 'luovutettu rekisteristä', sv: 'utlämnat från registret', en: 'disclosed from the register of' },
  caller: { fi: 'Kysyjä', sv: 'Frågare', en: 'Caller' },
  record: { fi: 'Tieto (esim. DocumentReference/doc-maija-private)', sv: 'Uppgift (t.ex. DocumentReference/doc-maija-private)', en: 'Record (e.g. DocumentReference/doc-maija-private)' },
  patient: { fi: 'Potilas', sv: 'Patient', en: 'Patient' },
  explain: { fi: 'Selitä päätös', sv: 'Förklara beslutet', en: 'Explain the decision' },
  myself: { fi: 'Minä itse', sv: 'Jag själv', en: 'Myself' },
  decision: { fi: 'Päätös', sv: 'Beslut', en: 'Decision' },
  permit: { fi: 'Luovutetaan', sv: 'Lämnas ut', en: 'Disclosed' },
  deny: { fi: 'Ei luovuteta', sv: 'Lämnas inte ut', en: 'Not disclosed' },
  withheld: {
    fi: 'Ei luovuteta tälle kysyjälle: tieto näyttää kysyjälle samalta kuin puuttuva (D11).',
    sv: 'Lämnas inte ut till denna frågare: uppgiften ser ut som om den saknades (D11).',
    en: 'Not disclosed to this caller: to them the record looks exactly like a missing one (D11).',
  },
  rules: { fi: 'Säännöt', sv: 'Regler', en: 'Rules' },
  provisions: { fi: 'Ratkaisseet suostumusehdot', sv: 'Avgörande samtyckesvillkor', en: 'Consent provisions that decided' },
  typeRules: { fi: 'Säännöt, joilla tämän tyypin tietoja voi luovuttaa kysyjälle', sv: 'Regler som kan lämna ut uppgifter av denna typ', en: 'Rules that can disclose this type to the caller' },
  mentions: { fi: 'Suostumukset, jotka koskevat tätä tietoa', sv: 'Samtycken som gäller uppgiften', en: 'Consents that concern this record' },
  recordFacts: { fi: 'Tiedon merkinnät', sv: 'Uppgiftens märkningar', en: 'Record marks' },
  noLog: { fi: 'Lokia ei näytetä', sv: 'Loggen visas inte', en: 'The log is not shown' },
  searchInstead: { fi: 'tai koko tyyppi (esim. DocumentReference)', sv: 'eller hela typen (t.ex. DocumentReference)', en: 'or a whole type (e.g. DocumentReference)' },
} as const;
export type Key = keyof typeof T;

let current: Lang = initialLang();

function initialLang(): Lang {
  const saved = localStorage.getItem('lang');
  if (saved && (Langs as string[]).includes(saved)) return saved as Lang;
  for (const l of navigator.languages ?? [navigator.language]) {
    const two = l.slice(0, 2).toLowerCase();
    if ((Langs as string[]).includes(two)) return two as Lang;
  }
  return 'fi';
}

export const lang = (): Lang => current;
export function setLang(l: Lang): void {
  current = l;
  localStorage.setItem('lang', l);
  document.documentElement.lang = l;
}
export const t = (k: Key): string => T[k][current];

export function formatDate(iso: string | undefined, withTime = false): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const locale = current === 'fi' ? 'fi-FI' : current === 'sv' ? 'sv-FI' : 'en-GB';
  return withTime ? d.toLocaleString(locale, { dateStyle: 'medium', timeStyle: 'short' }) : d.toLocaleDateString(locale, { dateStyle: 'medium' });
}
