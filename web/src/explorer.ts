// Integrator's decision explorer: asks Patient/$disclosure as the signed-in caller, or (operator, demo) as any persona, and shows the gateway's answer.
import { h, mount } from './dom.js';
import { lang, t } from './i18n.js';
import { fhir, FhirError, searchAll, type Session } from './smart.js';

type R = Record<string, any>;
interface Persona {
  id: string;
  name?: string;
  role: string;
  patient?: string;
  description: string;
}

/** The archive operator: a system token without an organisation (it sees everything, so it may ask "what if"). */
const isOperator = (s: Session): boolean => s.claims.kanta_role === 'system' && !s.claims.organization;

async function personas(): Promise<Persona[]> {
  const res = await fetch('/auth/dev/personas');
  return res.ok ? ((await res.json()) as Persona[]) : [];
}

async function tokenFor(persona: string): Promise<string> {
  const res = await fetch('/auth/dev/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ persona }) });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

function explanation(p: R): HTMLElement {
  const params = (p.parameter ?? []) as R[];
  const decision = params.find((x) => x.name === 'decision')?.valueCode;
  const rules = params.filter((x) => x.name === 'rule').map((x) => x.valueCode);
  const provisions = params.filter((x) => x.name === 'provision').map((x) => Object.fromEntries((x.part as R[]).map((q) => [q.name, q.valueReference?.reference ?? q.valueString ?? q.valueCode])));
  const message = params.find((x) => x.name === 'text' && x.part?.some((q: R) => q.valueCode === lang()))?.part?.find((q: R) => q.name === 'value')?.valueString
    ?? params.find((x) => x.name === 'message')?.valueString;
  return h(
    'div',
    { class: 'explanation' },
    h('p', null, h('strong', null, `${t('decision')}: `), h('span', { 'data-decision': decision }, decision === 'permit' ? t('permit') : t('deny'))),
    rules.length ? h('p', null, h('strong', null, `${t('rules')}: `), rules.join(', ')) : null,
    message ? h('p', null, message) : null,
    provisions.length
      ? [h('h4', null, t('provisions')), h('ul', null, provisions.map((pr) => h('li', null, `${pr.consent} · ${pr.path} · ${pr.type}`)))]
      : null,
  );
}

/** Consents of the patient whose provisions name the record, its service event or its register holder (read as the operator). */
async function concerning(patient: string, record: R): Promise<HTMLElement | null> {
  const holder = record.meta?.security?.find((c: R) => String(c.system).endsWith('/register-holder'))?.code;
  const refs = new Set([`${record.resourceType}/${record.id}`, ...(record.context?.encounter ?? []).map((e: R) => e.reference)]);
  const consents = await searchAll<R>(`Consent?patient=${patient}&_count=100`);
  const orgs = await searchAll<R>('Organization?_count=200');
  const holderOrg = orgs.find((o) => o.identifier?.some((i: R) => String(i.value).replace(/^(urn:oid:)+/, '') === holder));
  const hits = consents.filter((c) => {
    const text = JSON.stringify(c.provision ?? {});
    return [...refs].some((r) => text.includes(`"${r}"`)) || (holderOrg && text.includes(`"Organization/${holderOrg.id}"`));
  });
  const marks = (record.meta?.security ?? []).map((c: R) => `${String(c.system).split('/').pop()}: ${c.code}`);
  return h(
    'div',
    null,
    h('h4', null, t('recordFacts')),
    h('p', null, marks.join(' · ')),
    h('h4', null, t('mentions')),
    hits.length
      ? h('ul', null, hits.map((c) => h('li', null, `Consent/${c.id} · ${c.category?.[0]?.coding?.[0]?.display ?? ''} · ${c.status} · ${c.provision?.type}`)))
      : h('p', null, t('none')),
  );
}

export async function explorerPage(s: Session): Promise<HTMLElement> {
  // Only the operator asks "what if" for others; a professional explores their own answers.
  const callers = isOperator(s) ? await personas() : [];
  const caller = h('select', { id: 'x-caller' }, h('option', { value: '' }, t('myself')), callers.map((p) => h('option', { value: p.id }, `${p.name ?? p.id} (${p.id})`)));
  const patient = h('input', { id: 'x-patient', value: s.patient ?? 'demo-patient-maija', required: true });
  const record = h('input', { id: 'x-record', value: 'DocumentReference/doc-maija-occupational', required: true, size: 40 });
  const out = h('div', { 'aria-live': 'polite', id: 'x-result' });
  caller.addEventListener('change', () => {
    const p = callers.find((x) => x.id === caller.value);
    if (p?.patient) patient.value = p.patient;
  });

  const run = async () => {
    mount(out, h('p', null, t('loading')));
    const pid = patient.value.trim();
    const target = record.value.trim();
    try {
      const token = caller.value ? await tokenFor(caller.value) : undefined;
      const q = (res: string) => `Patient/${encodeURIComponent(pid)}/$disclosure?resource=${encodeURIComponent(res)}`;
      try {
        mount(out, explanation(await fhir(q(target), { token })));
      } catch (err) {
        if (!(err instanceof FhirError) || err.status !== 404 || !target.includes('/')) throw err;
        // Withheld (D11): the caller learns nothing; the type-level answer and, for the operator, the record's facts explain it.
        const parts: (HTMLElement | null)[] = [h('p', { class: 'status error', 'data-decision': 'withheld' }, t('withheld'))];
        const type = target.split('/')[0];
        parts.push(h('h4', null, t('typeRules')), explanation(await fhir(q(type), { token })));
        if (isOperator(s)) {
          const rec = await fhir<R>(target).catch(() => undefined);
          if (rec) parts.push(await concerning(pid, rec));
        }
        mount(out, ...parts);
      }
    } catch (err) {
      mount(out, h('p', { class: 'status error' }, `${t('refused')}: ${err instanceof Error ? err.message : String(err)}`));
    }
  };

  return h(
    'section',
    { 'aria-labelledby': 'h-explorer' },
    h('h2', { id: 'h-explorer' }, t('explorer')),
    h(
      'form',
      { class: 'card', onsubmit: (e: Event) => (e.preventDefault(), void run()) },
      h('label', { for: 'x-caller' }, t('caller')),
      caller,
      h('label', { for: 'x-patient' }, t('patient')),
      patient,
      h('label', { for: 'x-record' }, `${t('record')} ${t('searchInstead')}`),
      record,
      h('button', { type: 'submit', 'data-action': 'explain' }, t('explain')),
    ),
    out,
  );
}
