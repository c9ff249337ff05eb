// docker-compose.yml, as docker-compose itself reads it: the properties the
// deployment relies on (deploy/README.md), checked on its resolved config.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { haveCompose, skipWithout, SYSTEM_PYTHON } from './tools.ts';

interface Service {
  readonly build?: { readonly context: string; readonly dockerfile: string };
  readonly cap_add?: readonly string[];
  readonly cap_drop?: readonly string[];
  readonly pid?: string;
  readonly privileged?: boolean;
  readonly network_mode?: string;
  readonly devices?: readonly string[];
  readonly environment?: Readonly<Record<string, string>>;
  readonly volumes?: readonly string[];
  readonly security_opt?: readonly string[];
  readonly healthcheck?: { readonly test: readonly string[] };
  readonly depends_on?: Readonly<Record<string, unknown>>;
  readonly read_only?: boolean;
}

interface Config {
  readonly services: Readonly<Record<string, Service>>;
  readonly volumes?: Readonly<Record<string, unknown>>;
}

/** `docker-compose config`: the file validated and normalised, as JSON (through python3-yaml, which docker-compose uses). */
function resolvedConfig(): Config {
  const config = spawnSync('docker-compose', ['-f', 'docker-compose.yml', 'config'], { encoding: 'utf8' });
  if (config.error) throw new Error(`docker-compose: ${config.error.message} (scripts/setup.sh installs it)`);
  expect(config.stderr).toBe('');
  expect(config.status).toBe(0);
  const json = spawnSync(SYSTEM_PYTHON, ['-c', 'import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'], { input: config.stdout, encoding: 'utf8' });
  expect(json.status, json.stderr).toBe(0);
  return JSON.parse(json.stdout) as Config;
}

const PROFILE = 'deploy/seccomp/ummunotify.json';

describe.skipIf(skipWithout(haveCompose))('docker-compose.yml', () => {
  let config: Config = { services: {} };
  let target: Service = {};
  let sidecar: Service = {};
  beforeAll(() => {
    expect(haveCompose, 'docker-compose not found: scripts/setup.sh installs it').toBe(true);
    config = resolvedConfig();
    target = config.services['target'] ?? {};
    sidecar = config.services['ummunotifyd'] ?? {};
  });

  it('is valid for docker-compose and has the target and its sidecar, built from deploy/', () => {
    expect(Object.keys(config.services).sort()).toEqual(['target', 'ummunotifyd']);
    for (const service of [target, sidecar]) {
      expect(service.build?.context).toBe(process.cwd());
      expect(existsSync(service.build?.dockerfile ?? '')).toBe(true);
    }
  });

  it('gives the sidecar no capability but SYS_PTRACE, and the target none', () => {
    expect(sidecar.cap_drop).toEqual(['ALL']);
    expect(sidecar.cap_add).toEqual(['SYS_PTRACE']);
    expect(target.cap_drop).toEqual(['ALL']);
    expect(target.cap_add).toBeUndefined();
    for (const service of [target, sidecar]) {
      expect(service.privileged).toBeUndefined();
      expect(service.network_mode).toBeUndefined();
      expect(service.read_only).toBe(true);
    }
    // The daemon takes the device fd from the target: it never needs the device.
    expect(sidecar.devices).toBeUndefined();
  });

  it("puts the sidecar in the target's pid namespace", () => {
    expect(sidecar.pid).toBe('service:target');
    expect(Object.keys(sidecar.depends_on ?? {})).toEqual(['target']);
    expect(target.pid).toBeUndefined();
  });

  it('shares one named volume, where both look for the socket', () => {
    const socket = sidecar.environment?.['UMMUNOTIFY_SOCKET'];
    expect(socket).toMatch(/^\/.+\.sock$/);
    expect(target.environment?.['UMMUNOTIFY_SOCKET']).toBe(socket);
    const mount = `ummunotify-run:${dirname(socket ?? '')}:rw`;
    expect(target.volumes).toEqual([mount]);
    expect(sidecar.volumes).toEqual([mount]);
    expect(Object.keys(config.volumes ?? {})).toEqual(['ummunotify-run']);
  });

  it('confines both with our seccomp profile and no-new-privileges, never unconfined', () => {
    for (const service of [target, sidecar]) {
      expect(service.security_opt).toEqual(['no-new-privileges:true', `seccomp:${PROFILE}`]);
    }
    expect(existsSync(PROFILE)).toBe(true);
  });

  it('health-checks the sidecar over grpc.health.v1 on the socket it serves', () => {
    expect(sidecar.healthcheck?.test).toEqual(['CMD', 'ummunotifyctl', '--socket', sidecar.environment?.['UMMUNOTIFY_SOCKET'], 'health']);
  });

  it('shows the device variant, commented out, on the target', () => {
    const text = readFileSync('docker-compose.yml', 'utf8');
    expect(text).toMatch(/^ {4}# devices:\n {4}# {3}- \/dev\/ummunotify:\/dev\/ummunotify:r$/m);
  });
});
