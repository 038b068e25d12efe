import { openSqliteDatabase } from '/work/main/src/store/sqlite/sqlite-database.js';
import { createSqlResourceStore, migrateResourceStore } from '/work/main/src/store/sql/sql-resource-store.js';
import { createSearchRegistry } from '/work/main/src/search/registry.js';
const N = Number(process.argv[2] ?? 10000); // patients; 9 observations each
const db = openSqliteDatabase((process.env.BENCH_DB ?? '/tmp/h1bench/bench.db'));
await migrateResourceStore(db);
const store = createSqlResourceStore(db, createSearchRegistry());
const t0 = Date.now();
const codes = ['29463-7', '8480-6', '8462-4', '8867-4', '2339-0'];
for (let b = 0; b < N; b += 500) {
  await store.transaction(async (tx) => {
    for (let i = b; i < Math.min(N, b + 500); i++) {
      const pid = `p${i}`;
      await tx.create({ resourceType: 'Patient', id: pid, name: [{ family: `Fam${i % 1000}`, given: ['Given'] }], gender: i % 2 ? 'male' : 'female', birthDate: `19${50 + (i % 50)}-01-01`, identifier: [{ system: 'urn:oid:1.2.246.21', value: `hetu${i}` }] } as any);
      for (let j = 0; j < 9; j++) {
        await tx.create({ resourceType: 'Observation', status: 'final', subject: { reference: `Patient/${pid}` }, code: { coding: [{ system: 'http://loinc.org', code: codes[j % 5] }] }, effectiveDateTime: `20${10 + j}-0${1 + (i % 9)}-1${j}T10:00:00Z`, valueQuantity: { value: 50 + j, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' } } as any);
      }
    }
  });
  if (b % 10000 === 0) console.log(b, Date.now() - t0, 'ms');
}
console.log('loaded', N * 10, 'resources in', Date.now() - t0, 'ms');
await db.close();
