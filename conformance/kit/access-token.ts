// Finds the bearer token the kit uses: the one given, or one minted by the server's development issuer if it announces one. https://hl7.org/fhir/smart-app-launch/conformance.html
/** The operator back-end system: sees and writes everything, so every declared capability can be exercised. */
export const KitSystemClaims = { sub: 'conformance-kit', kanta_role: 'system', scope: 'system/*.cruds', client_id: 'conformance-kit' } as const;

/** Path of the development issuer's token endpoint (the gateway's operating contract). */
const DevTokenPath = '/auth/dev/token';

export interface TokenSource {
  token?: string;
  /** How the token was obtained, for the report. */
  source: 'given' | 'dev-issuer' | 'none';
}

function rootOf(base: string): string {
  return base.replace(/\/+$/, '').replace(/\/fhir$/, '');
}

export async function obtainToken(base: string, given?: string): Promise<TokenSource> {
  if (given) return { token: given, source: 'given' };
  let config: { token_endpoint?: string } | undefined;
  for (const url of [`${rootOf(base)}/.well-known/smart-configuration`, `${base.replace(/\/+$/, '')}/.well-known/smart-configuration`]) {
    const res = await fetch(url).catch(() => undefined);
    if (res?.ok) {
      config = (await res.json().catch(() => undefined)) as typeof config;
      if (config) break;
    }
  }
  const endpoint = config?.token_endpoint;
  if (!endpoint || !endpoint.endsWith(DevTokenPath)) return { source: 'none' };
  const res = await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(KitSystemClaims) });
  if (!res.ok) return { source: 'none' };
  const body = (await res.json()) as { access_token?: string };
  return body.access_token ? { token: body.access_token, source: 'dev-issuer' } : { source: 'none' };
}
