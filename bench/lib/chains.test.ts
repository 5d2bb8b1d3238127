// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { parseConfigText } from '../../config/parse';
import { filterRegistry } from '../../data-plane/filters';
import { lowerChain } from '../../data-plane/compiler/lower';
import { CHAIN_LENGTHS, chainYaml, payloadFormat, SPREAD_ENDPOINTS, spreadYaml, TOKEN } from './chains';

describe('bench chains', () => {
  for (const chain of CHAIN_LENGTHS) {
    it(`the ${chain}-filter config is valid for our config loader and has ${chain} filters`, () => {
      const result = parseConfigText(chainYaml(chain, '10.201.2.2:9000', '10.201.1.1/24', '10.201.2.2/24'), filterRegistry());
      if (!result.ok) expect.fail(JSON.stringify(result.issues));
      expect(result.value.filters).to.have.length(chain);
      const endpoint = result.value.clusters[0].endpoints[0];
      expect(endpoint.tokens.map((t) => Buffer.from(t).toString())).to.deep.equal([TOKEN]);
    });
  }

  it('the spread config holds SPREAD_ENDPOINTS consecutive endpoints behind a LoadBalancer that lowers into the kernel', () => {
    const registry = filterRegistry();
    const result = parseConfigText(spreadYaml('10.201.1.5:9000'), registry);
    if (!result.ok) expect.fail(JSON.stringify(result.issues));
    const endpoints = result.value.clusters[0].endpoints.map((e) => e.address.key);
    expect(endpoints).to.have.length(SPREAD_ENDPOINTS);
    expect(endpoints[0]).to.equal('10.201.1.5:9000');
    expect(endpoints[SPREAD_ENDPOINTS - 1]).to.equal(`10.201.1.5:${9000 + SPREAD_ENDPOINTS - 1}`);
    const lowering = lowerChain(result.value.filters, result.value.clusters, registry);
    expect(lowering.lowerable, lowering.lowerable ? '' : lowering.reason).to.equal(true);
  });

  it('routes by the Embark suffix only when a chain is present', () => {
    expect(payloadFormat(0)).to.equal('none');
    expect(payloadFormat(3)).to.equal('embark');
    const three = chainYaml(3, '10.0.0.1:1', 'a', 'b');
    expect(three.indexOf('embark.dev/load_balancer/version')).to.be.lessThan(three.indexOf('quilkin.dev/capture'));
  });
});
