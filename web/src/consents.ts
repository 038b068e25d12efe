// The person's permissions, prohibitions, wills, EU consent and wellness apps, with forms to give, change and revoke; the gateway decides.
import { buildConsent, changeConsent, GivenKinds, type GivenKind } from './consent-builder.js';
import { h } from './dom.js';
import { directory } from './directory.js';
import { formatDate, lang, t, type Lang } from './i18n.js';
import { fhir, FhirError, searchAll, type Session } from './smart.js';

type R = Record<string, any>;

function status(el: HTMLElement, text: string, error = false): void {
  el.textContent = text;
  el.className = error ? 'status error' : 'status ok';
}

const KindNames: Record<string, Record<Lang, string>> = {
  'permission-health': { fi: 'Luovutuslupa, terveydenhuolto', sv: 'Samtycke till utlämnande, hälso- och sjukvård', en: 'Permission to disclose, health care' },
  'permission-social': { fi: 'Luovutuslupa, sosiaalihuolto', sv: 'Samtycke till utlämnande, socialvård', en: 'Permission to disclose, social care' },
  'permission-health-to-social': { fi: 'Luovutuslupa terveydenhuollosta sosiaalihuoltoon', sv: 'Samtycke från hälso- och sjukvård till socialvård', en: 'Permission, health care to social care' },
  'permission-social-to-health': { fi: 'Luovutuslupa sosiaalihuollosta terveydenhuoltoon', sv: 'Samtycke från socialvård till hälso- och sjukvård', en: 'Permission, social care to health care' },
  'eu-eprescription': { fi: 'Suostumus e-reseptin käyttöön EU-maissa', sv: 'Samtycke till e-recept i EU-länder', en: 'Consent to ePrescriptions in EU countries' },
  'organ-donation-will': { fi: 'Elinluovutustahto', sv: 'Organdonationsvilja', en: 'Organ donation will' },
  'living-will': { fi: 'Hoitotahto', sv: 'Vårdtestamente', en: 'Living will' },
  prohibition: { fi: 'Luovutuskielto', sv: 'Förbud mot utlämnande', en: 'Prohibition of disclosure' },
  informing: { fi: 'Kanta-informointi kuitattu', sv: 'Kanta-informationen kvitterad', en: 'Kanta information acknowledged' },
  'prescription-prohibition': { fi: 'Reseptien luovutuskielto', sv: 'Förbud mot utlämnande av recept', en: 'Prohibition of disclosing prescriptions' },
  'wellness-app': { fi: 'Hyvinvointisovelluksen luvitus', sv: 'Tillstånd för välmåendeapp', en: 'Wellness app authorisation' },
};
const kindName = (k: string): string => KindNames[k]?.[lang()] ?? k;

const refusal = (err: unknown): string => `${t('refused')}: ${err instanceof FhirError ? err.message : String(err)}`;

/** Who gives the consent: the person themself, or the guardian's RelatedPerson for the child. */
async function performerFor(s: Session): Promise<string> {
  if (s.claims.kanta_role !== 'guardian') return `Patient/${s.patient}`;
  const related = await searchAll<R>(`RelatedPerson?patient=${s.patient}`).catch(() => []);
  return related[0] ? `RelatedPerson/${related[0].id}` : `Patient/${s.patient}`;
}

export async function consentsPage(s: Session, rerender: () => void): Promise<HTMLElement> {
  const [dir, consents] = await Promise.all([directory(), searchAll<R>(`Consent?patient=${s.patient}&_count=100`)]);
  const live = h('p', { role: 'status', 'aria-live': 'polite', class: 'status' });

  const item = (c: R): HTMLElement => {
    const kind = c.category?.[0]?.coding?.[0];
    const targets = (c.provision?.provision ?? []) as R[];
    const about = targets
      .flatMap((p) => [...(p.actor ?? []).map((a: R) => dir.byRef(a.reference?.reference) ?? a.reference?.display), ...(p.data ?? []).map((d: R) => d.reference?.reference)])
      .concat((c.provision?.actor ?? []).map((a: R) => a.reference?.display))
      .filter(Boolean)
      .join(', ');
    const endInput = h('input', { type: 'date', id: `end-${c.id}`, value: c.provision?.period?.end ?? '' });
    const active = c.status === 'active';
    return h(
      'li',
      { class: 'consent', 'data-consent': c.id, 'data-kind': kind?.code },
      h('strong', null, kind?.code && KindNames[kind.code] ? kindName(kind.code) : (kind?.display ?? kind?.code ?? 'Consent')),
      ' ',
      h('span', { class: active ? 'badge on' : 'badge off' }, active ? t('active') : t('inactive')),
      h('br'),
      h('small', null, `${formatDate(c.dateTime)}${about ? ` · ${about}` : ''}${c.provision?.period?.end ? ` · ${t('validUntil')} ${formatDate(c.provision.period.end)}` : ''}`),
      active
        ? h(
            'div',
            { class: 'actions' },
            h('label', { for: `end-${c.id}` }, t('validUntil')),
            endInput,
            h('button', {
              type: 'button',
              onclick: async () => {
                try {
                  await fhir(`Consent/${c.id}`, { method: 'PUT', body: changeConsent(c, { end: endInput.value }) });
                  status(live, t('saved'));
                  rerender();
                } catch (err) {
                  status(live, refusal(err), true);
                }
              },
            }, t('change')),
            h('button', {
              type: 'button',
              class: 'danger',
              'data-action': 'revoke',
              onclick: async () => {
                try {
                  await fhir(`Consent/${c.id}`, { method: 'PUT', body: changeConsent(c, { revoke: true }) });
                  status(live, t('revoked'));
                  rerender();
                } catch (err) {
                  status(live, refusal(err), true);
                }
              },
            }, t('revoke')),
          )
        : null,
    );
  };

  const kindSelect = h('select', { id: 'permission-kind', name: 'kind' }, GivenKinds.map((k) => h('option', { value: k }, kindName(k))));
  const willText = h('textarea', { id: 'will-text', rows: 2, cols: 40 });
  const holderSelect = h('select', { id: 'prohibition-holder', name: 'holder' }, dir.registerHolders().map((o) => h('option', { value: o.id }, o.name)));

  const give = async (kind: GivenKind, registerHolder?: string) => {
    try {
      const text = kind === 'living-will' ? willText.value : undefined;
      await fhir('Consent', { method: 'POST', body: buildConsent({ kind, patient: s.patient!, performer: await performerFor(s), registerHolder, text }) });
      status(live, t('saved'));
      rerender();
    } catch (err) {
      status(live, refusal(err), true);
    }
  };

  return h(
    'section',
    { 'aria-labelledby': 'h-consents' },
    h('h2', { id: 'h-consents' }, t('consents')),
    live,
    consents.length ? h('ul', { class: 'consents' }, consents.map(item)) : h('p', null, t('none')),
    h(
      'form',
      { class: 'card', 'aria-labelledby': 'h-give-permission', onsubmit: (e: Event) => (e.preventDefault(), give(kindSelect.value as GivenKind)) },
      h('h3', { id: 'h-give-permission' }, t('givePermission')),
      h('label', { for: 'permission-kind' }, t('permissionKind')),
      kindSelect,
      h('label', { for: 'will-text' }, t('willText')),
      willText,
      h('button', { type: 'submit', 'data-action': 'give-permission' }, t('give')),
    ),
    h(
      'form',
      { class: 'card', 'aria-labelledby': 'h-give-prohibition', onsubmit: (e: Event) => (e.preventDefault(), give('prohibition', holderSelect.value)) },
      h('h3', { id: 'h-give-prohibition' }, t('giveProhibition')),
      h('label', { for: 'prohibition-holder' }, t('prohibitedRegister')),
      holderSelect,
      h('button', { type: 'submit' }, t('give')),
    ),
  );
}
