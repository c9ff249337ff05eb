import { describe, expect, it } from 'vitest';
import { parseCtlArgs } from './ctl-args.ts';

describe('ummunotifyctl arguments', () => {
  it('finds the daemon by socket or by pid', () => {
    expect(parseCtlArgs(['--socket', '/run/ummunotify/9.sock', 'info'])).toEqual({ socket: { path: '/run/ummunotify/9.sock' }, command: { name: 'info' } });
    expect(parseCtlArgs(['--pid', '9', 'stream']).socket).toEqual({ pid: 9 });
  });

  it('takes the options after the command as well, and in --flag=value form', () => {
    expect(parseCtlArgs(['stream', '--pid', '9'])).toEqual({ socket: { pid: 9 }, command: { name: 'stream' } });
    expect(parseCtlArgs(['register', '5', '--socket=/s.sock', '0x1000', '8192'])).toEqual({
      socket: { path: '/s.sock' },
      command: { name: 'register', cookie: 5n, start: 4096n, end: 8192n },
    });
    expect(parseCtlArgs(['info', '--pid=12']).socket).toEqual({ pid: 12 });
  });

  it('reads addresses in hex or decimal', () => {
    expect(parseCtlArgs(['--pid', '9', 'register', '5', '0x1000', '8192']).command).toEqual({ name: 'register', cookie: 5n, start: 4096n, end: 8192n });
    expect(parseCtlArgs(['--pid', '9', 'unregister', '5', '6']).command).toEqual({ name: 'unregister', cookies: [5n, 6n] });
  });

  it('health asks about the whole server unless given a service', () => {
    expect(parseCtlArgs(['--socket', '/run/ummunotify/target.sock', 'health']).command).toEqual({ name: 'health', service: '' });
    expect(parseCtlArgs(['health', 'ummunotify.v1.UmmunotifyService', '--pid', '9']).command).toEqual({ name: 'health', service: 'ummunotify.v1.UmmunotifyService' });
    expect(() => parseCtlArgs(['--pid', '9', 'health', 'a', 'b'])).toThrow('health [SERVICE]');
  });

  it('says what is wrong', () => {
    expect(() => parseCtlArgs(['info'])).toThrow('give --socket PATH or --pid PID');
    expect(() => parseCtlArgs(['--pid', '9', 'register', '1', '2'])).toThrow('register COOKIE START END');
    expect(() => parseCtlArgs(['--pid', '9', 'frob'])).toThrow('unknown command');
    expect(() => parseCtlArgs(['--pid', '9'])).toThrow('no command');
    expect(() => parseCtlArgs(['stream', '--pid'])).toThrow('--pid: expected a process id, got nothing');
    expect(() => parseCtlArgs(['stream', '--pid', '0'])).toThrow('--pid: expected a process id');
    expect(() => parseCtlArgs(['stream', '--pid', '9', '--socket', '/s.sock'])).toThrow('once');
    expect(() => parseCtlArgs(['stream', '--socket', 'rel.sock'])).toThrow('--socket: expected an absolute path');
    expect(() => parseCtlArgs(['stream', '--pdi', '9'])).toThrow('unknown option "--pdi"');
  });
});
