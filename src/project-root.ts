// Where the project's data files (profiles/, mappings/, conformance/, src/pds/*.json) are, whether run from src/ by tsx or from dist/ by node.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The nearest directory above `start` holding package.json: the checkout, also when running compiled code under dist/. */
export function findProjectRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${start}`);
    dir = up;
  }
}

export const ProjectRoot = findProjectRoot(dirname(fileURLToPath(import.meta.url)));
