// What the deploy tests need from the machine: docker-compose (to validate
// docker-compose.yml; no container engine runs here) and Debian's python3
// with libseccomp's binding (to run things under the seccomp profile).
// scripts/setup.sh installs both. Outside CI a missing one skips its tests;
// under CI the tests run and fail, saying what to install.

import { spawnSync } from 'node:child_process';

export const SYSTEM_PYTHON = '/usr/bin/python3';

function works(command: string, args: readonly string[]): boolean {
  return spawnSync(command, args, { stdio: 'ignore' }).status === 0;
}

export const haveCompose = works('docker-compose', ['version']);
export const haveSeccomp = works(SYSTEM_PYTHON, ['-c', 'import seccomp']);

/** True when tests needing the tool must not run: only outside CI. */
export function skipWithout(have: boolean): boolean {
  return !have && !process.env['CI'];
}
