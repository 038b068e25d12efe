// The person's visits, documents by view, and prescriptions, exactly as the gateway discloses them (C1-C5 applied server-side).
import { h } from './dom.js';
import { directory } from './directory.js';
import { formatDate, t } from './i18n.js';
import { searchAll, type Session } from './smart.js';

type R = Record<string, any>;

function table(headers: string[], rows: (string | Node)[][], caption: string): HTMLElement {
  if (rows.length === 0) return h('p', null, t('none'));
  return h(
    'table',
    null,
    h('caption', null, caption),
    h('thead', null, h('tr', null, headers.map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', null, rows.map((r) => h('tr', null, r.map((c) => h('td', null, c))))),
  );
}

const display = (cc: R | undefined): string => cc?.text ?? cc?.coding?.[0]?.display ?? cc?.coding?.[0]?.code ?? '';

export async function visitsPage(s: Session): Promise<HTMLElement> {
  const [dir, encounters] = await Promise.all([directory(), searchAll<R>(`Encounter?patient=${s.patient}&_sort=-date&_count=100`)]);
  return h(
    'section',
    { 'aria-labelledby': 'h-visits' },
    h('h2', { id: 'h-visits' }, t('visits')),
    table(
      [t('date'), t('unit'), t('kind'), t('status')],
      encounters.map((e) => [formatDate(e.period?.start), dir.byRef(e.serviceProvider?.reference) ?? '', display(e.class ? { coding: [e.class] } : undefined), e.status ?? '']),
      t('visits'),
    ),
  );
}

export async function documentsPage(s: Session): Promise<HTMLElement> {
  const [dir, docs] = await Promise.all([directory(), searchAll<R>(`DocumentReference?patient=${s.patient}&_sort=-date&_count=100`)]);
  const groups = new Map<string, R[]>();
  for (const d of docs) {
    const view = display(d.category?.[0]) || t('otherViews');
    groups.set(view, [...(groups.get(view) ?? []), d]);
  }
  return h(
    'section',
    { 'aria-labelledby': 'h-docs' },
    h('h2', { id: 'h-docs' }, t('documents')),
    docs.length === 0 ? h('p', null, t('none')) : null,
    [...groups].map(([view, list]) =>
      h(
        'section',
        { class: 'view' },
        h('h3', null, `${t('view')}: ${view}`),
        table(
          [t('date'), t('title'), t('kind'), t('organisation')],
          list.map((d) => [formatDate(d.date), h('span', { 'data-id': d.id }, d.description ?? d.id), display(d.type), dir.byRef(d.author?.[0]?.reference) ?? dir.byRef(d.custodian?.reference) ?? '']),
          `${t('documents')}: ${view}`,
        ),
      ),
    ),
  );
}

export async function prescriptionsPage(s: Session): Promise<HTMLElement> {
  const [dir, rx] = await Promise.all([directory(), searchAll<R>(`MedicationRequest?patient=${s.patient}&_count=100`)]);
  return h(
    'section',
    { 'aria-labelledby': 'h-rx' },
    h('h2', { id: 'h-rx' }, t('prescriptions')),
    table(
      [t('date'), t('medication'), t('dosage'), t('validUntil'), t('unit')],
      rx.map((m) => [
        formatDate(m.authoredOn),
        display(m.medicationCodeableConcept),
        m.dosageInstruction?.[0]?.text ?? '',
        formatDate(m.dispenseRequest?.validityPeriod?.end),
        dir.byRef(m.requester?.reference) ?? '',
      ]),
      t('prescriptions'),
    ),
  );
}
