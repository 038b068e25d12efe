// The Kanta web app: signs in with SMART App Launch and shows the pages the caller's role has, in fi/sv/en.
import { h, mount } from './dom.js';
import { resetDirectory } from './directory.js';
import { consentsPage } from './consents.js';
import { explorerPage } from './explorer.js';
import { LangNames, Langs, lang, setLang, t, type Key } from './i18n.js';
import { logPage } from './access-log.js';
import { documentsPage, prescriptionsPage, visitsPage } from './records.js';
import { completeLaunch, currentSession, login, logout, type Session } from './smart.js';

type Page = (s: Session, rerender: () => void) => Promise<HTMLElement>;
const Pages: Record<string, { key: Key; page: Page }> = {
  documents: { key: 'documents', page: documentsPage },
  visits: { key: 'visits', page: visitsPage },
  prescriptions: { key: 'prescriptions', page: prescriptionsPage },
  consents: { key: 'consents', page: consentsPage },
  log: { key: 'log', page: logPage },
  explorer: { key: 'explorer', page: explorerPage },
};

function pagesFor(s: Session): string[] {
  const role = s.claims.kanta_role;
  if (role === 'professional' || role === 'system') return s.patient ? ['explorer', 'documents', 'visits', 'prescriptions'] : ['explorer'];
  return ['documents', 'visits', 'prescriptions', 'consents', 'log'];
}

const root = document.getElementById('root')!;

function languageSwitch(): HTMLElement {
  return h(
    'div',
    { class: 'langs', role: 'group', 'aria-label': t('language') },
    Langs.map((l) =>
      h('button', { type: 'button', lang: l, 'aria-pressed': l === lang() ? 'true' : 'false', onclick: () => (setLang(l), render()) }, LangNames[l]),
    ),
  );
}

function header(s?: Session): HTMLElement {
  return h(
    'header',
    null,
    h('p', { class: 'brand' }, t('appName')),
    languageSwitch(),
    s
      ? h(
          'div',
          { class: 'who' },
          h('span', null, `${t('signedInAs')}: ${String(s.claims.name ?? s.claims.sub)}`),
          s.patient ? h('span', null, ` · ${t('actingFor')}: ${s.patient}`) : null,
          ' ',
          h('button', { type: 'button', onclick: () => (logout(), resetDirectory(), render()) }, t('logout')),
        )
      : null,
  );
}

async function render(): Promise<void> {
  document.documentElement.lang = lang();
  const s = currentSession();
  if (!s) {
    mount(
      root,
      header(),
      h('main', { id: 'main' }, h('h1', null, t('appName')), h('p', null, t('loginIntro')), h('button', { type: 'button', class: 'primary', 'data-action': 'login', onclick: () => void login().catch(launchFailed) }, t('login'))),
    );
    return;
  }
  const available = pagesFor(s);
  const current = location.hash.replace(/^#\/?/, '');
  const name = available.includes(current) ? current : available[0];
  const main = h('main', { id: 'main' }, h('h1', { class: 'visually-hidden' }, t(Pages[name].key)), h('p', null, t('loading')));
  mount(
    root,
    header(s),
    h('nav', { 'aria-label': t('appName') }, h('ul', null, available.map((p) => h('li', null, h('a', { href: `#/${p}`, 'aria-current': p === name ? 'page' : undefined }, t(Pages[p].key)))))),
    main,
  );
  try {
    const page = await Pages[name].page(s, () => void render());
    mount(main, h('h1', { class: 'visually-hidden' }, t(Pages[name].key)), page);
  } catch (err) {
    if (!currentSession()) return void render();
    mount(main, h('p', { class: 'status error' }, `${t('refused')}: ${err instanceof Error ? err.message : String(err)}`));
  }
}

/** A launch that could not start or finish (no authorization endpoint, no S256, a refused code) is shown, not swallowed. */
function launchFailed(err: unknown): never {
  mount(root, header(), h('main', { id: 'main' }, h('h1', null, t('appName')), h('p', { class: 'status error', role: 'alert' }, String(err instanceof Error ? err.message : err))));
  throw err;
}

window.addEventListener('hashchange', () => void render());
completeLaunch()
  .catch(launchFailed)
  .then(() => render());
