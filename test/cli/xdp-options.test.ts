// SPDX-License-Identifier: Apache-2.0
// The `proxy xdp` option rows as commander parses them: values, defaults, the environment and
// refused values (the proxy itself is not started).
import { expect } from 'chai';
import { Command, CommanderError } from 'commander';
import { addOptionRows, XDP_OPTIONS, type XdpOptions } from '../../cli/options';

function parseXdp(argv: string[]): XdpOptions {
  const command = addOptionRows(new Command('xdp'), XDP_OPTIONS)
    .exitOverride()
    .configureOutput({ writeErr: () => undefined });
  command.parse(argv, { from: 'user' });
  return command.opts<XdpOptions>();
}

describe('--xdp.fast-path', () => {
  const saved = process.env.QUILKIN_XDP_FAST_PATH;
  afterEach(() => {
    if (saved === undefined) delete process.env.QUILKIN_XDP_FAST_PATH;
    else process.env.QUILKIN_XDP_FAST_PATH = saved;
  });

  it('defaults to auto and takes off', () => {
    delete process.env.QUILKIN_XDP_FAST_PATH;
    expect(parseXdp([])['xdp.fastPath']).to.equal('auto');
    expect(parseXdp(['--xdp.fast-path', 'off'])['xdp.fastPath']).to.equal('off');
    expect(parseXdp(['--xdp.fast-path=auto'])['xdp.fastPath']).to.equal('auto');
  });

  it('reads QUILKIN_XDP_FAST_PATH, and the flag wins over it', () => {
    process.env.QUILKIN_XDP_FAST_PATH = 'off';
    expect(parseXdp([])['xdp.fastPath']).to.equal('off');
    expect(parseXdp(['--xdp.fast-path', 'auto'])['xdp.fastPath']).to.equal('auto');
  });

  it('refuses any other value, from the flag or the environment', () => {
    delete process.env.QUILKIN_XDP_FAST_PATH;
    expect(() => parseXdp(['--xdp.fast-path', 'on'])).to.throw(CommanderError, /Allowed choices are auto, off/);
    process.env.QUILKIN_XDP_FAST_PATH = 'kernel';
    expect(() => parseXdp([])).to.throw(CommanderError, /Allowed choices are auto, off/);
  });

  it('is in the help with its environment variable and default', () => {
    const help = addOptionRows(new Command('xdp'), XDP_OPTIONS).helpInformation();
    expect(help).to.match(/--xdp\.fast-path <mode>[\s\S]*choices: "auto", "off"[\s\S]*default: "auto"[\s\S]*env: QUILKIN_XDP_FAST_PATH/);
  });
});

describe('--xdp.forward-interfaces', () => {
  const saved = process.env.QUILKIN_XDP_FORWARD_INTERFACES;
  afterEach(() => {
    if (saved === undefined) delete process.env.QUILKIN_XDP_FORWARD_INTERFACES;
    else process.env.QUILKIN_XDP_FORWARD_INTERFACES = saved;
  });

  it('is unset by default and takes a comma separated list', () => {
    delete process.env.QUILKIN_XDP_FORWARD_INTERFACES;
    expect(parseXdp([])['xdp.forwardInterfaces']).to.equal(undefined);
    expect(parseXdp(['--xdp.forward-interfaces', 'eth1'])['xdp.forwardInterfaces']).to.deep.equal(['eth1']);
    expect(parseXdp(['--xdp.forward-interfaces', 'eth1, bond0.100'])['xdp.forwardInterfaces']).to.deep.equal(['eth1', 'bond0.100']);
  });

  it('reads QUILKIN_XDP_FORWARD_INTERFACES', () => {
    process.env.QUILKIN_XDP_FORWARD_INTERFACES = 'eth2,eth3';
    expect(parseXdp([])['xdp.forwardInterfaces']).to.deep.equal(['eth2', 'eth3']);
  });

  it('refuses names the kernel would refuse, and a name given twice', () => {
    delete process.env.QUILKIN_XDP_FORWARD_INTERFACES;
    expect(() => parseXdp(['--xdp.forward-interfaces', 'a-name-longer-than-15'])).to.throw(CommanderError, /not an interface name/);
    expect(() => parseXdp(['--xdp.forward-interfaces', 'eth1,,eth2'])).to.throw(CommanderError, /`` is not an interface name/);
    expect(() => parseXdp(['--xdp.forward-interfaces', 'a/b'])).to.throw(CommanderError, /not an interface name/);
    expect(() => parseXdp(['--xdp.forward-interfaces', 'eth1,eth1'])).to.throw(CommanderError, /names an interface twice/);
  });
});
