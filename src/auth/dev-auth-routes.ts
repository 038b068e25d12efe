// HTTP routes of the development authorization server: the persona picker (its login page), the persona list, and the provider itself. https://hl7.org/fhir/smart-app-launch/app-launch.html#obtain-authorization-code
import { createHash } from 'node:crypto';
import express, { type Router } from 'express';
import type Provider from 'oidc-provider';
import { devPersonas } from './dev-personas.js';
import { grantRequestedScopes, personaById } from './authorization-server.js';

type Lang = 'fi' | 'sv' | 'en';
const Text: Record<Lang, { title: string; intro: (client: string) => string; choose: string; rules: string }> = {
  fi: { title: 'Kirjaudu demohenkilönä', intro: (c) => `Sovellus ${c} pyytää pääsyä. Valitse henkilö, jona kirjaudut.`, choose: 'Kirjaudu', rules: 'Säännöt' },
  sv: { title: 'Logga in som demoperson', intro: (c) => `Appen ${c} begär åtkomst. Välj personen du loggar in som.`, choose: 'Logga in', rules: 'Regler' },
  en: { title: 'Sign in as a demo persona', intro: (c) => `The app ${c} asks for access. Choose the persona to sign in as.`, choose: 'Sign in', rules: 'Rules' },
};

function pickLang(header: string | undefined): Lang {
  for (const part of (header ?? '').split(',')) {
    const tag = part.split(';')[0].trim().toLowerCase().slice(0, 2);
    if (tag === 'fi' || tag === 'sv' || tag === 'en') return tag;
  }
  return 'fi';
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const Style = `body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#111;background:#fff}
li{list-style:none;margin:.5rem 0;padding:.75rem;border:1px solid #767676;border-radius:.4rem}
button{font:inherit;padding:.4rem 1rem;background:#003f8a;color:#fff;border:0;border-radius:.3rem;cursor:pointer}
button:focus{outline:3px solid #f5a300;outline-offset:2px}small{color:#333}ul{padding:0}`;

function pickerPage(lang: Lang, uid: string, clientName: string): string {
  const t = Text[lang];
  const items = devPersonas
    .map(
      (p) => `<li><form method="post" action="${esc(uid)}"><input type="hidden" name="persona" value="${esc(p.id)}">
<strong>${esc(p.claims.name ?? p.id)}</strong> <small>(${esc(p.id)}, ${esc(p.claims.kanta_role)})</small><br>
<span>${esc(p.description)}</span> <small>${t.rules}: ${esc(p.rules.join(', '))}</small><br>
<button type="submit" aria-label="${esc(`${t.choose}: ${p.claims.name ?? p.id} (${p.id})`)}" data-persona="${esc(p.id)}">${t.choose}</button></form></li>`,
    )
    .join('\n');
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${t.title}</title><style>${Style}</style></head><body><main><h1>${t.title}</h1><p>${esc(t.intro(clientName))}</p><ul>${items}</ul></main></body></html>`;
}

/**
 * Mounted at /auth/dev before the JSON body parsers: the provider reads its own bodies. The JSON minting call
 * (POST /token with a JSON body) and the public key set fall through to the routes app.ts registers.
 */
export function devAuthRoutes(provider: Provider, opts: { publicBaseUrl?: string } = {}): Router {
  const router = express.Router();

  // SMART: `aud` names the FHIR server the app means to use; a token for another server is refused at the start.
  router.get('/authorize', (req, res, next) => {
    const aud = typeof req.query.aud === 'string' ? req.query.aud.replace(/\/$/, '') : undefined;
    const ours = [`${req.protocol}://${req.get('host')}/fhir`, ...(opts.publicBaseUrl ? [opts.publicBaseUrl.replace(/\/$/, '')] : [])];
    if (aud !== undefined && !ours.includes(aud)) {
      res.status(400).type('text/plain').send(`invalid_request: aud '${aud}' is not this FHIR server (${ours.join(' or ')})`);
      return;
    }
    next();
  });
  const styleHash = `'sha256-${createHash('sha256').update(Style).digest('base64')}'`;

  router.get('/personas', (_req, res) => {
    res.json(
      devPersonas.map((p) => ({ id: p.id, name: p.claims.name, role: p.claims.kanta_role, patient: p.claims.patient, description: p.description, rules: p.rules })),
    );
  });

  router.get('/interaction/:uid', async (req, res, next) => {
    try {
      const details = await provider.interactionDetails(req, res);
      const client = await provider.Client.find(String(details.params.client_id));
      res.setHeader('Content-Security-Policy', `default-src 'none'; style-src ${styleHash}; form-action 'self' http: https:; frame-ancestors 'none'`);
      res.type('html').send(pickerPage(pickLang(String(details.params.ui_locales ?? '') || req.get('accept-language')), details.uid, client?.clientName ?? String(details.params.client_id)));
    } catch (err) {
      next(err);
    }
  });

  router.post('/interaction/:uid', express.urlencoded({ extended: false, limit: '10kb' }), async (req, res, next) => {
    try {
      const id = typeof req.body?.persona === 'string' ? req.body.persona : undefined;
      if (!personaById(id)) {
        res.status(400).type('text/plain').send(`Unknown persona; known: ${devPersonas.map((p) => p.id).join(', ')}`);
        return;
      }
      const details = await provider.interactionDetails(req, res);
      const grantId = await grantRequestedScopes(provider, id!, String(details.params.client_id), String(details.params.scope ?? ''));
      await provider.interactionFinished(req, res, { login: { accountId: id! }, consent: { grantId } }, { mergeWithLastSubmission: false });
    } catch (err) {
      next(err);
    }
  });

  const callback = provider.callback();
  router.use((req, res, next) => {
    if (req.path === '/jwks.json' || (req.method === 'POST' && req.path === '/token' && req.is('application/json'))) {
      next();
      return;
    }
    callback(req, res);
  });
  return router;
}
