// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { parseConfigText } from '../../config/parse';
import { filterRegistry } from '../../data-plane/filters';
import { localityFromFlags, withDefaultLocality } from './locality';

describe('--region for endpoints without a locality', () => {
  const clusters = (() => {
    const r = parseConfigText(
      'clusters:\n  - endpoints: [{ address: 127.0.0.1:2 }, { address: 127.0.0.1:3 }]\n  - locality: eu\n    endpoints: [{ address: 127.0.0.1:1 }, { address: 127.0.0.1:2 }]\n  - locality: us\n    endpoints: [{ address: 127.0.0.1:9 }]\n',
      filterRegistry(),
    );
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    return r.value.clusters;
  })();

  it('moves unlocated endpoints into the configured locality, merged and sorted', () => {
    const moved = withDefaultLocality(clusters, localityFromFlags('eu'));
    expect(moved.map((c) => [c.locality?.region, c.endpoints.map((e) => e.address.port)])).to.deep.equal([
      ['us', [9]],
      ['eu', [1, 2, 3]],
    ]);
  });

  it('leaves clusters alone without --region, and ignores --zone without it', () => {
    expect(withDefaultLocality(clusters, undefined)).to.deep.equal(clusters);
    expect(localityFromFlags(undefined, 'z')).to.equal(undefined);
    expect(localityFromFlags('eu', 'z', 's')).to.deep.equal({ region: 'eu', zone: 'z', subZone: 's' });
  });
});
