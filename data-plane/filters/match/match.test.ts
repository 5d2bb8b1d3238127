// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { filterRegistry } from '../index';
import { readContext, testServices, writeContext } from '../../../test/support/filter-services';
import { MATCH_NAME } from './match';

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
