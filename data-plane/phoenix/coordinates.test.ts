// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { distanceFromOrigin, nearestByIcao, PhoenixNode, renderLatencyJson } from './coordinates';

function measured(icao: string, ...samples: Array<[number, number]>): PhoenixNode {
  const node = new PhoenixNode(icao);
  for (const [incomingNs, outgoingNs] of samples) node.adjust({ incomingNs, outgoingNs });
  return node;
}

describe('phoenix coordinates', () => {
  it('takes the first sample as the point and its norm as the distance', () => {
    const node = measured('ABCD', [30, 40]);
    expect(node.coordinates).to.deep.equal({ x: 30, y: 40 });
    expect(node.distance).to.equal(50);
  });

  it('averages later samples with the old point, as v0.9 does', () => {
    const node = measured('ABCD', [100, 100], [200, 300]);
    expect(node.coordinates).to.deep.equal({ x: 150, y: 200 });
    node.adjust({ incomingNs: 150, outgoingNs: 200 });
    expect(node.coordinates).to.deep.equal({ x: 150, y: 200 });
  });

  it('scales samples after failures by the error estimate (+0.1 per failure, never reset)', () => {
    const node = measured('ABCD', [100, 100]);
    node.recordError();
    node.recordError();
    expect(node.errorEstimate).to.be.closeTo(1.2, 1e-12);
    node.adjust({ incomingNs: 100, outgoingNs: 50 });
    expect(node.coordinates!.x).to.be.closeTo((100 + 100 * 1.2) / 2, 1e-9);
    expect(node.coordinates!.y).to.be.closeTo((100 + 50 * 1.2) / 2, 1e-9);
    node.adjust({ incomingNs: 100, outgoingNs: 100 });
    expect(node.errorEstimate).to.be.closeTo(1.2, 1e-12);
  });

  it('has no distance before a successful measurement, failures or not', () => {
    const node = new PhoenixNode('ABCD');
    node.recordError();
    expect(node.coordinates).to.equal(undefined);
    expect(node.distance).to.equal(undefined);
  });

  it('keeps negative one-way samples (clock offsets): the norm is still a distance', () => {
    expect(measured('ABCD', [-3, 4]).distance).to.equal(5);
    expect(distanceFromOrigin({ x: -6, y: -8 })).to.equal(10);
  });

  it('orders by distance, leaves unmeasured nodes out, and keeps the nearest per ICAO code', () => {
    // Quilkin's ordered_nodes_by_latency test: 10/10, 50/50, 30/30 -> ABCD, IJKL, EFGH.
    const nodes = [measured('ABCD', [10, 10]), measured('EFGH', [50, 50]), measured('IJKL', [30, 30]), new PhoenixNode('MNOP'), measured('EFGH', [20, 20])];
    const ordered = nearestByIcao(nodes);
    expect(ordered.map(([icao]) => icao)).to.deep.equal(['ABCD', 'EFGH', 'IJKL']);
    expect(ordered[1][1]).to.be.closeTo(Math.SQRT2 * 20, 1e-9);
  });

  it('renders the document with keys in lexicographic order and serde_json number spelling', () => {
    const text = renderLatencyJson([
      ['ZZZZ', 1.5],
      ['ABCD', 200],
      ['MMMM', 28284271.247461904],
    ]);
    expect(text).to.equal('{"ABCD":200.0,"MMMM":28284271.247461904,"ZZZZ":1.5}');
    expect(JSON.parse(text)).to.deep.equal({ ABCD: 200, MMMM: 28284271.247461904, ZZZZ: 1.5 });
    expect(renderLatencyJson([])).to.equal('{}');
  });
});
