// /metrics is no oracle for withheld records, through the real app on both backends.
//
// D11 No leaks. "Withheld data never shows, nor betrays its existence: not in search results, `total`,
// `_include`/`_revinclude`, chained search or `_has`, history, vread, `$everything`, transaction/batch responses,
// paging links, error messages or counts. A withheld read answers exactly as a missing resource does. The refusal is
// audited."
//
// /metrics is open unless METRICS_TOKEN is set, so its counts are part of the answer: two gateways seeded alike get,
// step by step, the same request, one naming a record withheld from the caller and the other an id that does not
// exist; after each step both expose the same /metrics text (less process metrics, latencies and pool use, which
// vary with timing), and the same answer. The consent-decision series are compared on their own as well.
import request from 'supertest';
import type { Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { doc, encounter } from '../consent/world.js';
import { backends } from '../support/backends.js';
import { clientFor, healthMarks as H, Org, organizations, patientOf, professional, seedWorld, type Caller, type SeededWorld } from '../support/consent-fixtures.js';
import { startTestGateway, type TestGateway } from '../support/test-gateway.js';

const MissingId = '00000000-0000-4000-8000-000000000000';

/** Series whose values depend on timing or the process, not on what was asked: left out of the comparison. */
const timingDependent = [
  /^kanta_process_/,
  /^kanta_nodejs_/,
  /^kanta_store_pool_connections/,
  // Latency histograms: their counts stay (they must match), their buckets and sums follow the clock.
  /^kanta_fhir_request_duration_seconds_(bucket|sum)\b/,
  /^kanta_audit_commit_duration_seconds_(bucket|sum)\b/,
];
const comparable = (text: string): string[] =>
  text
    .split('\n')
    .filter((l) => l !== '')
    .filter((l) => !timingDependent.some((re) => re.test(l.replace(/^# (HELP|TYPE) /, ''))));
const consentSeries = (text: string): string[] => text.split('\n').filter((l) => l.includes('kanta_consent_decisions_total'));

async function scrape(gw: TestGateway): Promise<string> {
  const res = await request(gw.app).get('/metrics');
  expect(res.status).toBe(200);
  return res.text;
}

/** What the caller sees of an answer, with the asked id replaced so the two answers can be compared. */
function answerOf(res: request.Response, id: string): unknown {
  const scrub = (v: unknown) => JSON.parse(JSON.stringify(v ?? null).replaceAll(id, '<id>')) as unknown;
  const body = res.body as { resourceType?: string; type?: string; entry?: Array<{ response?: { status?: string; outcome?: unknown } }> };
  if (body?.resourceType === 'Bundle') return { status: res.status, type: body.type, entry: body.entry?.map((e) => scrub(e.response)) };
  return { status: res.status, body: scrub(body) };
}

describe.each(backends())('/metrics does not tell a withheld record from a missing one (%s)', (backend) => {
  // Withheld from TAYS: HUS's document, another register with no permission (D2). Withheld from the citizen: the
  // same document, under a display delay until 2099 (C1). A missing id answers 404 to both.
  const other: Caller = professional(Org.TAYS, 'health');
  const citizen: Caller = { kind: 'citizen', patient: 'p1' };
  const world: Resource[] = [
    patientOf('p1', '1980-03-01'),
    encounter('e1', 'p1', H(Org.HUS), '2024-02-01'),
    doc('hidden', 'p1', H(Org.HUS), '2024-02-01', { encounter: 'Encounter/e1', releaseDate: '2099-01-01' }),
  ];
  // `hid` holds the record and is asked for it; `miss` holds the same world and is asked for an id nobody has.
  let hid: TestGateway;
  let miss: TestGateway;
  let hidWorld: SeededWorld;
  let missWorld: SeededWorld;

  beforeAll(async () => {
    [hid, miss] = await Promise.all([startTestGateway(backend), startTestGateway(backend)]);
    for (const gw of [hid, miss]) {
      const orgs = await seedWorld(gw, organizations());
      const w = await seedWorld(gw, world, orgs);
      if (gw === hid) hidWorld = w;
      else missWorld = w;
    }
  });
  afterAll(async () => {
    await hid?.close();
    await miss?.close();
  });

  test('both gateways start from the same state', async () => {
    expect(comparable(await scrape(miss))).toEqual(comparable(await scrape(hid)));
  });

  const hiddenId = () => hidWorld.id('DocumentReference/hidden');
  const batch = (url: string) => ({ resourceType: 'Bundle', type: 'batch', entry: [{ request: { method: 'GET', url } }] });

  test.each([
    ['professional of another register', 'batch read', () => other],
    ['professional of another register', 'batch vread', () => other],
    ['professional of another register', 'direct read', () => other],
    ['citizen, display-delayed document', 'batch read', () => citizen],
    ['citizen, display-delayed document', 'batch vread', () => citizen],
    ['citizen, display-delayed document', 'direct read', () => citizen],
  ] as const)('%s, %s: same answer and same /metrics for the withheld record and the missing id', async (_who, how, who) => {
    const ask = async (gw: TestGateway, w: SeededWorld, id: string) => {
      const client = clientFor(gw, () => w);
      if (how === 'direct read') return client.get(`/fhir/DocumentReference/${id}`, who());
      const url = how === 'batch vread' ? `DocumentReference/${id}/_history/1` : `DocumentReference/${id}`;
      return client.post('/fhir', who(), batch(url));
    };
    const withheldAnswer = await ask(hid, hidWorld, hiddenId());
    const missingAnswer = await ask(miss, missWorld, MissingId);

    // The answers themselves: 404 (or a batch 200 whose entry is 404) alike.
    if (how === 'direct read') expect(withheldAnswer.status).toBe(404);
    else expect([withheldAnswer.status, withheldAnswer.body.entry?.[0]?.response?.status]).toEqual([200, '404']);
    expect(answerOf(withheldAnswer, hiddenId())).toEqual(answerOf(missingAnswer, MissingId));

    const [afterWithheld, afterMissing] = [await scrape(hid), await scrape(miss)];
    // The consent-decision series exactly, and no series counting withheld records at all.
    expect(consentSeries(afterWithheld)).toEqual(consentSeries(afterMissing));
    expect(afterWithheld).not.toMatch(/decision="withheld"/);
    // Everything else that does not follow the clock: request counts, audit batch sizes, failures, HELP texts.
    expect(comparable(afterWithheld)).toEqual(comparable(afterMissing));
    // Nothing names the asked ids.
    expect(afterWithheld).not.toContain(hiddenId());
    expect(afterMissing).not.toContain(MissingId);
  });
});
