// Writes deploy/seccomp/ummunotify.json from profile.ts.
//
//   npx tsx deploy/seccomp/generate.ts

import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { profileJson } from './profile.ts';

const out = fileURLToPath(new URL('./ummunotify.json', import.meta.url));
writeFileSync(out, profileJson());
process.stderr.write(`wrote ${out}\n`);
