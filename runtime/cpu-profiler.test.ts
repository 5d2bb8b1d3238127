// SPDX-License-Identifier: Apache-2.0
// The `seconds` parameter of /debug/pprof/profile: Quilkin's default, whole seconds, a cap.
import { expect } from 'chai';
import { DEFAULT_PROFILE_SECONDS, MAX_PROFILE_SECONDS, parseProfileSeconds } from './cpu-profiler';

describe('parseProfileSeconds', () => {
  it("defaults to Quilkin's 2 s and takes whole seconds up to the cap", () => {
    expect(DEFAULT_PROFILE_SECONDS).to.equal(2);
    expect(parseProfileSeconds(null)).to.equal(2);
    expect(parseProfileSeconds('1')).to.equal(1);
    expect(parseProfileSeconds('030')).to.equal(30);
    expect(parseProfileSeconds(String(MAX_PROFILE_SECONDS))).to.equal(300);
  });

  for (const bad of ['', '0', '301', '1.5', '-1', '1e2', ' 5', 'abc', '99999999999999999999']) {
    it(`refuses \`${bad}\` with the accepted range`, () => {
      expect(() => parseProfileSeconds(bad)).to.throw(RangeError, /expected a whole number of seconds from 1 to 300/);
    });
  }
});
