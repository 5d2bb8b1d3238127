// SPDX-License-Identifier: Apache-2.0
// Lowering as a whole: the programs' order and map keys, the endpoint table in the native
// description's order, the limits no single filter sees, and refusals naming the filter path.
// Each filter's own steps are tested beside it (data-plane/filters/<folder>/<folder>.test.ts).
import { expect } from 'chai';
import { emptyConfig } from '../../config/model';
import { FAST, STEP } from '../../bpf/fast-abi';
import { cluster, endpoint, lowered, lowerFilters, normalised, program, refusal, step } from '../../test/support/lowering';
import { CAPTURE_NAME } from '../filters/capture/capture';
import { CONCATENATE_NAME } from '../filters/concatenate/concatenate';
import { FIREWALL_NAME } from '../filters/firewall/firewall';
import { filterRegistry, registerAll } from '../filters/index';
import type { FilterFactory } from '../filters/filter';
import { PASS_NAME, passFactory } from '../filters/pass/pass';
import { FilterRegistry } from '../filters/registry';
import { TOKEN_ROUTER_NAME } from '../filters/token_router/token_router';
import { compile } from './compile';
import { compileChain } from './description';
import { decodeBank, decodeEndpoint, decodeStep } from './kernel-wire';
import { ipBytes } from './ip-bytes';

const concat = (on_write: string, text: string) => ({ name: CONCATENATE_NAME, config: { on_write, bytes: Buffer.from(text).toString('base64') } });

/** Pass's kind and encoding with another in-kernel declaration (the description needs a real kind). */
function passWith(kernel: FilterFactory<undefined>['kernel']): FilterRegistry {
  const registry = new FilterRegistry();
  registry.register({ ...passFactory, kernel });
  return registry;
}

describe('lowerChain: a chain as fast-path map data', () => {
  it('writes the write program in execution order: last filter first', () => {
    const chain = lowered([concat('APPEND', 'a'), concat('PREPEND', 'b'), { name: FIREWALL_NAME, config: { on_read: [], on_write: [] } }]);
    expect(program(chain, 'write').map((s) => [s.kind, s.slot, s.value.toString()])).to.deep.equal([
      [STEP.FIREWALL, 2, ''],
      [STEP.CONCATENATE, 1, 'b'],
      [STEP.CONCATENATE, 0, 'a'],
    ]);
    expect(chain.summary).to.equal('read: Firewall(0 rules); write: Firewall(0 rules) > Concatenate(prepend 1 byte) > Concatenate(append 1 byte)');
  });

  it('writes every pc of both directions of a bank, END where unused, keyed by bank, direction and pc', () => {
    const chain = lowered([{ name: PASS_NAME }]);
    for (const bank of [0, 1] as const) {
      const { steps } = chain.image(bank);
      expect(steps.map((e) => e.key.readUInt32LE())).to.deep.equal(Array.from({ length: 64 }, (_, i) => bank * 64 + i));
      expect(steps.map((e) => decodeStep(e.value).kind)).to.deep.equal([
        STEP.PASS,
        ...Array<number>(31).fill(STEP.END),
        STEP.PASS,
        ...Array<number>(31).fill(STEP.END),
      ]);
    }
    expect(chain.image(0).steps.map((e) => e.value)).to.deep.equal(chain.image(1).steps.map((e) => e.value));
    expect(chain.image(1).header.key.readUInt32LE()).to.equal(1);
  });

  it("lists endpoints in the native description's order, unresolved names as family 0", () => {
    const clusters = [
      cluster([endpoint('10.0.0.2:7000'), endpoint('[fd00::1]:26000')], { region: 'eu' }),
      cluster([endpoint('game.example:7777'), endpoint('10.0.0.1:7000')]),
      cluster([endpoint('10.0.0.9:1')], { region: 'eu' }), // replaces the first eu group, as in ClusterMap
    ];
    const registry = filterRegistry();
    const filters = normalised([{ name: PASS_NAME }], registry);
    const chain = lowered([{ name: PASS_NAME }], clusters, registry);
    expect(chain.endpointKeys).to.deep.equal(compileChain(filters, clusters, registry).endpoints);
    const image = chain.image(1);
    expect(decodeBank(image.header.value)).to.deep.equal({ endpointCount: 3, flags: 0 });
    expect(image.endpoints.map((e) => [e.key.readUInt32LE(), decodeEndpoint(e.value)])).to.deep.equal([
      [8192, { family: 4, port: 1, addr: ipBytes('10.0.0.9').bytes }],
      [8193, { family: 0, port: 7777, addr: Buffer.alloc(16) }],
      [8194, { family: 4, port: 7000, addr: ipBytes('10.0.0.1').bytes }],
    ]);
    const v6 = lowered([], [cluster([endpoint('[fd00::1]:26000')])]).image(0).endpoints[0];
    expect(decodeEndpoint(v6.value)).to.deep.equal({ family: 6, port: 26000, addr: ipBytes('fd00::1').bytes });
  });

  it('is deterministic: the same config gives the same bytes', () => {
    const filters = [
      { name: CAPTURE_NAME, config: { suffix: { size: 2, remove: true } } },
      { name: TOKEN_ROUTER_NAME },
      { name: FIREWALL_NAME, config: { on_read: [{ action: 'ALLOW', sources: ['0.0.0.0/0'], ports: ['1-65535'] }], on_write: [] } },
    ];
    const clusters = [cluster([endpoint('10.0.0.1:7000', ['ab', 'cd']), endpoint('10.0.0.2:7000', ['ab'])])];
    const bytes = () => {
      const image = lowered(filters, clusters).image(0);
      return [image.header, ...image.steps, ...image.endpoints, ...image.tokens, ...image.firewall].map((e) => e.key.toString('hex') + e.value.toString('hex'));
    };
    expect(bytes()).to.deep.equal(bytes());
  });

  it('refuses a filter without an in-kernel declaration, or without a native one, naming its path', () => {
    expect(refusal([{ name: PASS_NAME }, { name: PASS_NAME }], [], passWith(undefined))).to.equal(
      `filters[0] (${PASS_NAME}): not lowerable: it has no in-kernel implementation`,
    );
    const registry = registerAll(new FilterRegistry());
    registry.register({ name: 'test.filters.NoNative', schema: {}, validate: () => undefined, create: () => ({}) });
    expect(refusal([{ name: 'test.filters.NoNative' }], [], registry)).to.equal('filters[0]: filter `test.filters.NoNative` has no native implementation');
  });

  it('refuses more than QK_FAST_STEPS steps in a direction', () => {
    const passes = (n: number) => Array.from({ length: n }, () => ({ name: PASS_NAME }));
    expect(program(lowered(passes(FAST.QK_FAST_STEPS)), 'read')).to.have.length(32);
    expect(refusal(passes(33))).to.equal(`filters[32] (${PASS_NAME}): not lowerable: more than 32 steps in the read program`);
  });

  it('refuses more than QK_FAST_KEYS metadata keys, naming them', () => {
    const capture = (key: string) => ({ name: CAPTURE_NAME, config: { metadataKey: key, prefix: { size: 1 } } });
    expect(lowered([capture('a'), capture('b')]).keys).to.have.length(4);
    expect(refusal([capture('a'), capture('b'), capture('c')])).to.equal(
      `filters[2] (${CAPTURE_NAME}): not lowerable: more than 4 metadata keys in the chain (a, a/is_present, b, b/is_present, c)`,
    );
  });

  it('refuses more than QK_FAST_CELLS cells', () => {
    // No filter asks for that many yet; a Pass that takes 100 cells stands in.
    const registry = passWith({ lower: (ctx) => void ctx.emit({ kind: STEP.PASS, arg: ctx.cells(100) }) });
    const hungry = { name: PASS_NAME };
    expect(lowered([hungry, hungry], [], registry).cells).to.equal(200);
    expect(refusal([hungry, hungry, hungry], [], registry)).to.equal(`filters[2] (${PASS_NAME}): not lowerable: more than 256 cells in the chain`);
  });

  it('refuses more than QK_FAST_ENDPOINTS endpoints', () => {
    const endpoints = (n: number) => Array.from({ length: n }, (_, i) => endpoint(`10.1.${i >> 8}.${i & 0xff}:7000`));
    const full = lowered([{ name: PASS_NAME }], [cluster(endpoints(8192))]).image(0);
    expect(full.endpoints).to.have.length(8192);
    expect(decodeBank(full.header.value).endpointCount).to.equal(8192);
    expect(refusal([{ name: PASS_NAME }], [cluster(endpoints(8193))])).to.equal('8193 endpoints, more than the 8192 a bank holds');
  });

  it('is what the compile stage hands out, built once', () => {
    const config = { ...emptyConfig(), filters: normalised([{ name: TOKEN_ROUTER_NAME }]), clusters: [cluster([endpoint('game.example:7000', ['tok'])])] };
    const compiled = compile(config, { registry: filterRegistry(), names: { address: () => '10.2.3.4' } });
    const lowering = compiled.kernelChain();
    expect(compiled.kernelChain()).to.equal(lowering);
    if (!lowering.lowerable) throw new Error(lowering.reason);
    // The resolved cluster map, not the config as written, is what the kernel routes to.
    expect(lowering.chain.endpointKeys).to.deep.equal(['10.2.3.4:7000']);
    expect(decodeEndpoint(lowering.chain.image(0).endpoints[0].value).family).to.equal(4);
    const refused = compile(
      { ...config, filters: normalised([{ name: CAPTURE_NAME, config: { regex: { pattern: 'x' } } }]) },
      { registry: filterRegistry(), names: { address: () => undefined } },
    );
    expect(refused.kernelChain()).to.deep.equal({
      lowerable: false,
      reason: `filters[0] (${CAPTURE_NAME}): not lowerable: regex: regex captures run in user space (RE2)`,
    });
  });

  it('lowers an empty chain to two empty programs', () => {
    const lowering = lowerFilters([]);
    expect(lowering.lowerable && lowering.chain.summary).to.equal('read: (empty); write: (empty)');
    expect(program(lowered([]), 'read')).to.deep.equal([]);
    expect(step({ kind: STEP.END })).to.deep.equal(decodeStep(Buffer.alloc(56)));
  });
});
