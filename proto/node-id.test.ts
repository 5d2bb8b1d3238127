// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { MAX_NODE_ID_BYTES, nodeIdProblem, quoted } from './node-id';

describe('node ids from peers', () => {
  it('takes hostnames, pod names and UTF-8 up to the byte limit', () => {
    expect(nodeIdProblem('proxy-7c9f8d6b5-x2x4z')).to.equal(undefined);
    expect(nodeIdProblem('é'.repeat(MAX_NODE_ID_BYTES / 2))).to.equal(undefined);
  });

  it('refuses empty, over-long (in bytes) and control-character ids with the reason', () => {
    expect(nodeIdProblem('')).to.equal('node id is empty');
    expect(nodeIdProblem('é'.repeat(MAX_NODE_ID_BYTES / 2 + 1))).to.equal('node id is 130 bytes long, more than the limit of 128');
    expect(nodeIdProblem('a\u0085b', 'control plane identifier')).to.equal('control plane identifier "a\\u0085b" contains the control character U+0085');
    expect(nodeIdProblem('tab\there')).to.contain('U+0009');
  });

  it('quotes peer text short', () => {
    expect(quoted('abc')).to.equal('"abc"');
    expect(quoted('x'.repeat(1000), 4)).to.equal('"xxxx"… (1000 characters)');
  });
});
