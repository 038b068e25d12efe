// The disclosure and access log (A4) as a readable timeline: who, which organisation and unit, role, when, why, what.
import { h } from './dom.js';
import { bareOid, directory } from './directory.js';
import { formatDate, lang, t, type Lang } from './i18n.js';
import { FhirError, searchAll, type Session } from './smart.js';

type R = Record<string, any>;

const Roles: Record<string, Record<Lang, string>> = {
  professional: { fi: 'ammattilainen', sv: 'yrkesperson', en: 'professional' },
  citizen: { fi: 'kansalainen', sv: 'medborgare', en: 'citizen' },
  guardian: { fi: 'huoltaja', sv: 'vårdnadshavare', en: 'guardian' },
  proxy: { fi: 'puolesta-asioija', sv: 'ombud', en: 'proxy' },
  app: { fi: 'sovellus', sv: 'app', en: 'app' },
  system: { fi: 'järjestelmä', sv: 'system', en: 'system' },
};
const Purposes: Record<string, Record<Lang, string>> = {
  TREAT: { fi: 'hoito', sv: 'vård', en: 'treatment' },
  PUBHLTH: { fi: 'viranomaisen tiedonsaantioikeus', sv: 'myndighetens rätt till information', en: "authority's right to information" },
  HOPERAT: { fi: 'palvelun ylläpito', sv: 'drift', en: 'operations' },
};
const Actions: Record<string, Record<Lang, string>> = {
  read: { fi: 'luki', sv: 'läste', en: 'read' },
  vread: { fi: 'luki', sv: 'läste', en: 'read' },
  'search-type': { fi: 'haki', sv: 'sökte', en: 'searched' },
  create: { fi: 'tallensi', sv: 'sparade', en: 'saved' },
  update: { fi: 'muutti', sv: 'ändrade', en: 'changed' },
  delete: { fi: 'poisti', sv: 'raderade', en: 'deleted' },
  operation: { fi: 'kysyi', sv: 'frågade', en: 'asked' },
};
const Types: Record<string, Record<Lang, string>> = {
  DocumentReference: { fi: 'asiakirja', sv: 'dokument', en: 'document' },
  Encounter: { fi: 'käynti', sv: 'besök', en: 'visit' },
  EpisodeOfCare: { fi: 'asiakkuus', sv: 'klientrelation', en: 'client relationship' },
  MedicationRequest: { fi: 'resepti', sv: 'recept', en: 'prescription' },
  Consent: { fi: 'lupa tai kielto', sv: 'samtycke eller förbud', en: 'permission or prohibition' },
  Organization: { fi: 'organisaatio', sv: 'organisation', en: 'organisation' },
  Observation: { fi: 'hyvinvointitieto', sv: 'välmåendeuppgift', en: 'wellness data' },
  Task: { fi: 'uusimispyyntö', sv: 'förnyelsebegäran', en: 'renewal request' },
};
const l10n = (m: Record<string, Record<Lang, string>>, code: string | undefined): string => (code ? (m[code]?.[lang()] ?? code) : '');

const agentOfType = (e: R, code: string): R | undefined => e.agent?.find((a: R) => a.type?.coding?.some((c: R) => c.code === code));

export async function logPage(s: Session): Promise<HTMLElement> {
  const heading = h('h2', { id: 'h-log' }, t('log'));
  let events: R[];
  try {
    events = await searchAll<R>(`AuditEvent?patient=Patient/${s.patient}&_sort=-date&_count=100`);
  } catch (err) {
    return h('section', { 'aria-labelledby': 'h-log' }, heading, h('p', { class: 'status error' }, `${t('noLog')}: ${err instanceof FhirError ? err.message : String(err)}`));
  }
  const dir = await directory();
  events.sort((a, b) => String(b.recorded).localeCompare(String(a.recorded)));
  const item = (e: R): HTMLElement => {
    const who = e.agent?.find((a: R) => a.requestor);
    const role = who?.role?.flatMap((r: R) => r.coding ?? []).find((c: R) => Roles[c.code])?.code;
    const org = agentOfType(e, 'PROV')?.who?.identifier?.value;
    const unit = agentOfType(e, 'SDLOC')?.who?.identifier?.value;
    const purpose = e.purposeOfEvent?.[0]?.coding?.[0]?.code ?? who?.purposeOfUse?.[0]?.coding?.[0]?.code;
    const legal = e.entity?.find((x: R) => x.detail?.some((d: R) => d.type === 'legal-basis'))?.description;
    const action = l10n(Actions, e.subtype?.[0]?.code);
    const things = (e.entity ?? [])
      .filter((x: R) => x.what?.reference && !String(x.what.reference).startsWith('Patient/'))
      .map((x: R) => {
        const holder = x.detail?.find((d: R) => d.type === 'register-holder' || d.valueString)?.valueString;
        const disclosed = x.lifecycle?.code === '11' || x.lifecycle?.code === 'disclose' || x.lifecycle?.display?.toLowerCase?.().includes('disclos');
        const [type, id] = String(x.what.reference).split('/');
        return `${l10n(Types, type)} ${id}${disclosed && holder ? ` (${t('disclosedFrom')} ${dir.byOid(holder) ?? bareOid(holder)})` : ''}`;
      });
    const ok = e.outcome === '0';
    return h(
      'li',
      { class: 'event' },
      h('time', { datetime: e.recorded }, formatDate(e.recorded, true)),
      h(
        'dl',
        null,
        h('dt', null, t('who')),
        h('dd', null, `${who?.who?.display ?? bareOid(who?.who?.identifier?.value) ?? ''}${role ? ` (${l10n(Roles, role)})` : ''} ${action}`),
        org ? [h('dt', null, t('organisation')), h('dd', null, dir.byOid(org) ?? bareOid(org))] : null,
        unit ? [h('dt', null, t('unit')), h('dd', null, dir.byOid(unit) ?? bareOid(unit))] : null,
        purpose ? [h('dt', null, t('purpose')), h('dd', null, l10n(Purposes, purpose))] : null,
        legal ? [h('dt', null, t('legalBasis')), h('dd', null, legal)] : null,
        things.length ? [h('dt', null, t('what')), h('dd', null, things.join(', '))] : null,
        h('dt', null, t('outcome')),
        h('dd', null, ok ? t('ok') : t('failed')),
      ),
    );
  };
  return h('section', { 'aria-labelledby': 'h-log' }, heading, events.length ? h('ol', { class: 'timeline' }, events.map(item)) : h('p', null, t('none')));
}
