// `npx tsx conformance/kit/write-implementation-guide.ts`: rewrites conformance/ImplementationGuide-kanta-gateway.json from profiles/, mappings/ and conformance/.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildImplementationGuide, ImplementationGuideFile } from './implementation-guide.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
writeFileSync(join(root, ImplementationGuideFile), `${JSON.stringify(buildImplementationGuide(root, version), null, 2)}\n`);
process.stdout.write(`wrote ${ImplementationGuideFile}\n`);
