// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { emptyConfig } from '../../../config/model';
import { compiled } from '../../../test/support/compiled';
import { normalised } from '../../../test/support/lowering';
import { DEBUG_NAME } from '../../filters/debug/debug';
import { TOKEN_ROUTER_NAME } from '../../filters/token_router/token_router';
import { fastPathStatus } from './fast-path';

describe('xdp backend: the fast path status', () => {
  const withFilters = (filters: Parameters<typeof normalised>[0]) => compiled({ ...emptyConfig(), filters: normalised(filters) });

  it('is the kernel, with the summary, when the chain lowers and the flag allows it', () => {
    expect(fastPathStatus(withFilters([{ name: TOKEN_ROUTER_NAME }]), 'auto')).to.deep.equal({
      tier: 'kernel',
      summary: 'read: TokenRouter; write: (empty)',
    });
  });

  it('is user space, naming why, when the chain does not lower or the flag is off', () => {
    expect(fastPathStatus(withFilters([{ name: DEBUG_NAME }]), 'auto')).to.deep.equal({
      tier: 'user space',
      reason: `filters[0] (${DEBUG_NAME}): not lowerable: logs every packet from user space`,
    });
    expect(fastPathStatus(withFilters([{ name: TOKEN_ROUTER_NAME }]), 'off')).to.deep.equal({ tier: 'user space', reason: '--xdp.fast-path off' });
  });

  it('survives a lowering that throws', () => {
    const broken = {
      ...withFilters([]),
      kernelChain: () => {
        throw new Error('boom');
      },
    };
    expect(fastPathStatus(broken, 'auto')).to.deep.equal({ tier: 'user space', reason: 'lowering failed: boom' });
  });
});
