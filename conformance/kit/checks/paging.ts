// Checks paging of searchsets: page size honoured, next links followed to the end, every match exactly once. https://hl7.org/fhir/R4/http.html#paging
import type { Bundle } from '@medplum/fhirtypes';
import { expectBundle, expectStatus } from '../expectations.js';
import { buildFixture, createdIds, preferredWritableType } from '../fixtures.js';
import { matchIds, type KitContext } from '../kit-context.js';
import { assert, SkipCheck } from '../report.js';

const PageSize = 3;
const Extra = 7;

export async function checkPaging(ctx: KitContext): Promise<void> {
  await ctx.report.check('paging/next-links', async () => {
    const type = preferredWritableType(ctx.caps.types(), (t) => ctx.caps.declares(t, 'create') && ctx.caps.declares(t, 'search-type'));
    if (!type) throw new SkipCheck('no type the kit can create and search');
    const ids: string[] = [];
    for (let i = 0; i < Extra; i++) {
      const res = await ctx.http.request('POST', type, { body: buildFixture(type, `${ctx.runId}p${i}`, createdIds(ctx.created)) });
      expectStatus(res, 201, `create ${type} for paging`);
      ids.push(res.body.id);
    }
    const seen: string[] = [];
    let url: string | undefined = `${type}?_id=${ids.join(',')}&_count=${PageSize}`;
    let pages = 0;
    while (url) {
      assert(++pages <= Extra + 2, `paging did not end after ${pages - 1} pages`);
      const page: Bundle = expectBundle(await ctx.http.get(url), 'searchset', `page ${pages}`);
      const here = matchIds(page);
      assert(here.length <= PageSize, `page ${pages} holds ${here.length} matches, more than _count=${PageSize}`);
      assert(page.link?.some((l) => l.relation === 'self'), `page ${pages} has no self link`);
      if (page.total !== undefined) assert(page.total === Extra, `Bundle.total is ${page.total}, expected ${Extra}`);
      seen.push(...here);
      url = page.link?.find((l) => l.relation === 'next')?.url;
      if (url) assert(here.length > 0, `page ${pages} is empty but has a next link`);
    }
    const dupes = seen.filter((id, i) => seen.indexOf(id) !== i);
    assert(dupes.length === 0, `paging returned ${dupes.join(',')} more than once`);
    const missing = ids.filter((id) => !seen.includes(id));
    assert(missing.length === 0, `paging never returned ${missing.join(',')}`);
    assert(pages >= Math.ceil(Extra / PageSize), `only ${pages} page(s) for ${Extra} matches at _count=${PageSize}`);
    return `${Extra} ${type} over ${pages} pages`;
  });
}
