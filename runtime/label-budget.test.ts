// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { LabelBudget, OVERFLOW_LABEL } from './label-budget';

describe('LabelBudget: bounded label values from peers', () => {
  it('gives the first `cap` values their own label, then the overflow one', () => {
    const budget = new LabelBudget(2);
    expect(budget.acquire('a')).to.equal('a');
    expect(budget.acquire('b')).to.equal('b');
    expect(budget.acquire('c')).to.equal(OVERFLOW_LABEL);
    expect(budget.acquire('a')).to.equal('a');
    expect(budget.size).to.equal(2);
  });

  it('frees a value when its last holder releases it, and reports it once', () => {
    const freed: string[] = [];
    const budget = new LabelBudget(1, (label) => freed.push(label));
    budget.acquire('a');
    budget.acquire('a');
    budget.release('a');
    expect(freed).to.deep.equal([]);
    expect(budget.acquire('b')).to.equal(OVERFLOW_LABEL);
    budget.release('a');
    expect(freed).to.deep.equal(['a']);
    expect(budget.acquire('b')).to.equal('b');
    budget.release(OVERFLOW_LABEL);
    budget.release('never-held');
    expect(freed).to.deep.equal(['a']);
  });

  it('never hands a peer the overflow label as its own', () => {
    const budget = new LabelBudget(5);
    expect(budget.acquire(OVERFLOW_LABEL)).to.equal(OVERFLOW_LABEL);
    expect(budget.size).to.equal(0);
  });
});
