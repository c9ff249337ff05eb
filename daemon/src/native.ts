// The native addon, loaded once. Its types are in native-api.ts.

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NativeAddon } from './native-api.ts';

export * from './native-api.ts';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

/** The addon, built by `npm run build:native` into daemon/native/build. */
export const native: NativeAddon = require(join(here, '..', 'native', 'build', 'Release', 'ummunotify.node')) as NativeAddon;
