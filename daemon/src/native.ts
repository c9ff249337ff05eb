// The native addon, loaded once. Its types are in native-api.ts.

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NativeAddon } from './native-api.ts';

export * from './native-api.ts';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

/**
 * The addon, built by `npm run build:native` into daemon/native/build; or,
 * where UMMUNOTIFY_ADDON names another build of it, that one (the fuzzer's
 * self-test gives a daemon a deliberately broken engine this way).
 */
export const native: NativeAddon = require(process.env.UMMUNOTIFY_ADDON ?? join(here, '..', 'native', 'build', 'Release', 'ummunotify.node')) as NativeAddon;
