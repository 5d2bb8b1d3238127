// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { filterRegistry } from '../index';
import { readContext, testServices, writeContext } from '../../../test/support/filter-services';
import { MATCH_NAME } from './match';
import { CONCAT_SIDE, LB_POLICY, META_TAG, STEP } from '../../../bpf/fast-abi';
import { compileChain } from '../../compiler/description';
import { lowered, normalised, program, refusal, step } from '../../../test/support/lowering';
import { CAPTURE_NAME } from '../capture/capture';
import { CONCATENATE_NAME } from '../concatenate/concatenate';
import { DEBUG_NAME } from '../debug/debug';
import { DROP_NAME } from '../drop/drop';
import { LOAD_BALANCER_NAME } from '../load_balancer/load_balancer';
import { PASS_NAME } from '../pass/pass';
import { TOKEN_ROUTER_NAME } from '../token_router/token_router';

describe('Match', () => {
  const config = {
    on_read: { metadataKey: 'k', branches: [{ value: 'a', name: 'quilkin.filters.pass.v1alpha1.Pass' }] },
    on_write: {
      metadataKey: 'k',
      branches: [{ value: 'a', name: 'quilkin.filters.pass.v1alpha1.Pass' }],
      fallthrough: { name: 'quilkin.filters.pass.v1alpha1.Pass' },
    },
  };

  it('counts matches and fallthroughs under event="read" in both directions, as upstream', () => {
    const services = testServices();
    const f = filterRegistry().create(MATCH_NAME, config, services);
    f.read!(readContext('x', { metadata: new Map([['k', 'a']]) }));
    f.read!(readContext('x', { metadata: new Map([['k', 'b']]) }));
    f.write!(writeContext('x', { metadata: new Map([['k', 'b']]) }));
    expect(services.recorded.counters.get(`${MATCH_NAME}|packets_matched_total|read`)).to.equal(1);
    expect(services.recorded.counters.get(`${MATCH_NAME}|packets_fallthrough_total|read`)).to.equal(2);
  });

  it('reports nested errors with the branch path', () => {
    const bad = { on_read: { metadataKey: 'k', branches: [{ value: 'a', name: 'quilkin.filters.capture.v1alpha1.Capture' }] } };
    expect(() => filterRegistry().validate(MATCH_NAME, bad)).to.throw(
      'on_read.branches[0]: filter `quilkin.filters.capture.v1alpha1.Capture` requires configuration, but none provided',
    );
  });

  it('validates its own normalised form to itself', () => {
    const once = filterRegistry().validate(MATCH_NAME, config);
    expect(filterRegistry().validate(MATCH_NAME, once)).to.deep.equal(once);
  });
});

describe('Match in the kernel', () => {
  const capture = { name: CAPTURE_NAME, config: { metadataKey: 'k', prefix: { size: 3 } } };
  const branch = (value: unknown, name: string, config?: unknown) => ({ value, name, ...(config !== undefined ? { config } : {}) });
  const match = (on_read: unknown, on_write?: unknown) => ({ name: MATCH_NAME, config: { on_read, ...(on_write ? { on_write } : {}) } });

  it('emits MATCH, one BRANCH per branch, then the bodies; branch bodies jump past the Match', () => {
    const m = match({
      metadataKey: 'k',
      branches: [branch('abc', PASS_NAME), branch(true, LOAD_BALANCER_NAME, {})],
      fallthrough: { name: DROP_NAME },
    });
    const chain = lowered([capture, m, { name: TOKEN_ROUTER_NAME, config: { metadataKey: 'k' } }]);
    const after = 9;
    expect(program(chain, 'read')).to.deep.equal([
      step({ kind: STEP.CAPTURE, arg: 3, key: 0, key2: 1, slot: 0 }),
      step({ kind: STEP.MATCH, key: 0, count: 2, next: 8, arg: 0, slot: 1 }),
      step({ kind: STEP.BRANCH, op: META_TAG.STRING, value: Buffer.from('abc'), next: 4, slot: 1 }),
      step({ kind: STEP.BRANCH, op: META_TAG.BOOL, value: Buffer.from([1]), next: 6, slot: 1 }),
      step({ kind: STEP.PASS, slot: 2 }),
      step({ kind: STEP.JUMP, next: after, slot: 1 }),
      step({ kind: STEP.LOAD_BALANCER, op: LB_POLICY.ROUND_ROBIN, arg: 2, slot: 3 }),
      step({ kind: STEP.JUMP, next: after, slot: 1 }),
      step({ kind: STEP.DROP, slot: 4 }),
      step({ kind: STEP.TOKEN_ROUTER, key: 0, slot: 5 }),
    ]);
    // Match's two cells (matched, fallthrough) come first, then the round robin's.
    expect(chain.cells).to.equal(3);
    expect(chain.summary).to.equal(
      'read: Capture(prefix 3) > Match(k: "abc" > Pass | true > LoadBalancer(round robin) | else > Drop) > TokenRouter; write: (empty)',
    );
  });

  it('numbers nested slots as the native description does', () => {
    const registry = filterRegistry();
    const filters = [
      capture,
      match(
        { metadataKey: 'k', branches: [branch('a', PASS_NAME)], fallthrough: { name: PASS_NAME } },
        { metadataKey: 'w', branches: [branch('b', DROP_NAME)], fallthrough: { name: PASS_NAME } },
      ),
    ];
    const slots = compileChain(normalised(filters, registry), [], registry).slots.map((s) => [s.path, s.slot]);
    expect(slots).to.deep.equal([
      ['filters[0]', 0],
      ['filters[1]', 1],
      ['filters[1].on_read.branches[0]', 2],
      ['filters[1].on_read.fallthrough', 3],
      ['filters[1].on_write.branches[0]', 4],
      ['filters[1].on_write.fallthrough', 5],
    ]);
    const chain = lowered(filters, [], registry);
    expect(program(chain, 'write').map((s) => [s.kind, s.slot, s.next])).to.deep.equal([
      [STEP.MATCH, 1, 4],
      [STEP.BRANCH, 1, 2],
      [STEP.DROP, 4, 0],
      [STEP.JUMP, 1, 5],
      [STEP.PASS, 5, 0],
    ]);
    // One pair of cells per Match, whichever direction asks first.
    expect(program(chain, 'read')[1].arg).to.equal(program(chain, 'write')[0].arg);
    expect(chain.cells).to.equal(2);
  });

  it('lowers a Match nested in a branch, each jumping past its own end', () => {
    const inner = { metadataKey: 'k', branches: [branch('x', PASS_NAME)], fallthrough: { name: DROP_NAME } };
    const outer = match({ metadataKey: 'k', branches: [branch('a', MATCH_NAME, { on_read: inner })], fallthrough: { name: PASS_NAME } });
    const steps = program(lowered([capture, outer]), 'read');
    expect(steps.map((s) => [s.kind, s.next, s.slot])).to.deep.equal([
      [STEP.CAPTURE, 0, 0],
      [STEP.MATCH, 9, 1], // outer: fallthrough at 9
      [STEP.BRANCH, 3, 1],
      [STEP.MATCH, 7, 2], // inner: fallthrough at 7
      [STEP.BRANCH, 5, 2],
      [STEP.PASS, 0, 3],
      [STEP.JUMP, 8, 2], // past the inner Match
      [STEP.DROP, 0, 4],
      [STEP.JUMP, 10, 1], // past the outer Match
      [STEP.PASS, 0, 5],
    ]);
    expect(steps[3].arg).to.equal(2);
  });

  it('lowers only the direction a branch runs in', () => {
    const readOnly = match({ metadataKey: 'k', branches: [branch('a', DEBUG_NAME)], fallthrough: { name: PASS_NAME } });
    expect(refusal([capture, readOnly])).to.equal(`filters[1].on_read.branches[0] (${DEBUG_NAME}): not lowerable: logs every packet from user space`);
    const writeOnly = { name: MATCH_NAME, config: { on_write: { metadataKey: 'k', branches: [branch('a', CAPTURE_NAME, { prefix: { size: 1 } })] } } };
    const chain = lowered([writeOnly]);
    expect(program(chain, 'read')).to.deep.equal([]);
    // Capture has no write step: the branch body is its JUMP alone.
    expect(program(chain, 'write').map((s) => s.kind)).to.deep.equal([STEP.MATCH, STEP.BRANCH, STEP.JUMP, STEP.DROP]);
    expect(chain.summary).to.equal('read: (empty); write: Match(k: "a" > (nothing) | else > Drop)');
  });

  it('refuses branch values other than Bytes, String and Bool of up to 32 bytes', () => {
    const valued = (value: unknown) => [capture, match({ metadataKey: 'k', branches: [branch('ok', PASS_NAME), branch(value, PASS_NAME)] })];
    const prefix = `filters[1] (${MATCH_NAME}): not lowerable: on_read.branches[1].value:`;
    expect(refusal(valued(7))).to.equal(`${prefix} a Number; only Bytes, String and Bool values are lowered`);
    expect(refusal(valued(['a']))).to.equal(`${prefix} a List; only Bytes, String and Bool values are lowered`);
    expect(refusal(valued('é'.repeat(17)))).to.equal(`${prefix} 34 bytes, more than the 32 a step carries`);
    expect(program(lowered(valued(false)), 'read')[3]).to.deep.equal(step({ kind: STEP.BRANCH, op: META_TAG.BOOL, value: Buffer.from([0]), next: 6, slot: 1 }));
  });

  it('refuses a Capture that can run after a Concatenate, and only then', () => {
    const concat = { on_read: 'APPEND', bytes: 'YQ==' };
    const exclusive = match({ metadataKey: 'k', branches: [branch('a', CONCATENATE_NAME, concat), branch('b', CAPTURE_NAME, { suffix: { size: 1 } })] });
    const steps = program(lowered([capture, exclusive]), 'read');
    expect(steps.filter((s) => s.kind === STEP.CONCATENATE)[0].op).to.equal(CONCAT_SIDE.APPEND);
    expect(refusal([capture, exclusive, capture])).to.equal(
      `filters[2] (${CAPTURE_NAME}): not lowerable: Capture after Concatenate: the kernel captures from the payload as received`,
    );
  });
});
