// Checks that bad requests get a clear 4xx OperationOutcome (SPEC section 4) and that formats the server does not claim are refused with 406/415. https://hl7.org/fhir/R4/http.html#mime-type
import { expectOutcome } from '../expectations.js';
import type { KitContext } from '../kit-context.js';
import { SkipCheck } from '../report.js';

export async function checkErrorShapes(ctx: KitContext): Promise<void> {
  const { http, report, caps } = ctx;
  const writable = caps.types().find((t) => caps.declares(t, 'create'));
  const searchable = caps.types().find((t) => caps.declares(t, 'search-type')) ?? 'Patient';
  const readable = caps.types().find((t) => caps.declares(t, 'read')) ?? 'Patient';
  await report.check('errors/unknown-type', async () => expectOutcome(await http.get(`KitNoSuchType${ctx.runId}`), [400, 404], 'GET of an unknown type'));
  await report.check('errors/unknown-id', async () => expectOutcome(await http.get(`${readable}/kit-no-such-${ctx.runId}`), 404, 'read of a missing id'));
  await report.check('errors/bad-search-value', async () => expectOutcome(await http.get(`${searchable}?_lastUpdated=not-a-date`), 400, 'search with an invalid date'));
  await report.check('errors/malformed-json', async () => {
    if (!writable) throw new SkipCheck('no type declares create');
    expectOutcome(await http.request('POST', writable, { rawBody: '{"resourceType": ' }), 400, 'POST of malformed JSON');
  });
  await report.check('errors/wrong-resource-type', async () => {
    if (!writable) throw new SkipCheck('no type declares create');
    const other = writable === 'Patient' ? 'Organization' : 'Patient';
    expectOutcome(await http.request('POST', writable, { body: { resourceType: other } }), 400, 'POST of a body of another type');
  });
  await report.check('errors/invalid-resource', async () => {
    if (!writable) throw new SkipCheck('no type declares create');
    expectOutcome(await http.request('POST', writable, { body: { resourceType: writable, kitNoSuchElement: 1 } }), [400, 422], 'POST of an invalid resource');
  });
  if (caps.servesXml()) {
    await report.check('formats/xml', async () => {
      const res = await http.get('metadata', { headers: { accept: 'application/fhir+xml' } });
      if (res.status !== 200 || !/xml/.test(res.headers.get('content-type') ?? '')) throw new Error(`the server claims XML but GET metadata with Accept: application/fhir+xml answered ${res.status} ${res.headers.get('content-type')}`);
    });
    return;
  }
  await report.check('formats/xml-accept-refused', async () =>
    expectOutcome(await http.get(`${readable}/kit-any`, { headers: { accept: 'application/fhir+xml' } }), 406, 'Accept: application/fhir+xml on a JSON-only server'),
  'policy');
  await report.check('formats/xml-format-refused', async () => expectOutcome(await http.get('metadata?_format=xml'), 406, '_format=xml on a JSON-only server'), 'policy');
  await report.check('formats/xml-body-refused', async () => {
    if (!writable) throw new SkipCheck('no type declares create');
    expectOutcome(
      await http.request('POST', writable, { rawBody: `<${writable} xmlns="http://hl7.org/fhir"/>`, headers: { 'content-type': 'application/fhir+xml' } }),
      415,
      'POST of an XML body to a JSON-only server',
    );
  }, 'policy');
}
