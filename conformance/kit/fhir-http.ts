// A black-box FHIR REST client over node fetch for the conformance kit: every answer is recorded for validation. https://hl7.org/fhir/R4/http.html
import type { Resource } from '@medplum/fhirtypes';

export interface FhirAnswer {
  status: number;
  headers: Headers;
  /** Parsed JSON body, when the body was JSON. */
  body?: any;
  text: string;
  url: string;
}

export interface RequestOptions {
  body?: unknown;
  /** Raw body sent as is (for malformed-input checks). */
  rawBody?: string;
  headers?: Record<string, string>;
  /** Send no Authorization header even though a token is known. */
  anonymous?: boolean;
}

export interface FhirHttp {
  readonly base: string;
  /** Relative paths resolve against the FHIR base; absolute URLs (next links) are used as given. */
  request(method: string, path: string, opts?: RequestOptions): Promise<FhirAnswer>;
  get(path: string, opts?: RequestOptions): Promise<FhirAnswer>;
  setToken(token: string | undefined): void;
}

export interface FhirHttpOptions {
  base: string;
  token?: string;
  /** Called with every FHIR resource the server returns, so it can be validated once. */
  onResource?(resource: Resource, url: string): void;
}

export function createFhirHttp(opts: FhirHttpOptions): FhirHttp {
  const base = opts.base.replace(/\/+$/, '');
  let token = opts.token;
  const request = async (method: string, path: string, r: RequestOptions = {}): Promise<FhirAnswer> => {
    const url = /^https?:\/\//.test(path) ? path : `${base}/${path.replace(/^\/+/, '')}`;
    const headers: Record<string, string> = { accept: 'application/fhir+json', ...r.headers };
    if (token && !r.anonymous) headers.authorization = `Bearer ${token}`;
    let body: string | undefined = r.rawBody;
    if (r.body !== undefined) body = JSON.stringify(r.body);
    if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/fhir+json';
    const res = await fetch(url, { method, headers, body });
    const text = await res.text();
    let parsed: any;
    if (/json/.test(res.headers.get('content-type') ?? '') && text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined; // the checks report a JSON content type with a non-JSON body
      }
    }
    if (parsed && typeof parsed.resourceType === 'string') opts.onResource?.(parsed as Resource, url);
    return { status: res.status, headers: res.headers, body: parsed, text, url };
  };
  return {
    base,
    request,
    get: (path, r) => request('GET', path, r),
    setToken: (t) => {
      token = t;
    },
  };
}
