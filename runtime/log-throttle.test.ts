// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { LogThrottle } from './log-throttle';
import type { ModuleLogger } from './logger';

/** A logger that records what it is asked to write. */
function recordingLogger(): { log: ModuleLogger; lines: Array<{ fields: Record<string, unknown>; message?: string }> } {
  const lines: Array<{ fields: Record<string, unknown>; message?: string }> = [];
  const write = (fields: Record<string, unknown> | string, message?: string): void => {
    lines.push(typeof fields === 'string' ? { fields: {}, message: fields } : { fields, message });
  };
  return { lines, log: { trace: write, debug: write, info: write, warn: write, error: write, fatal: write, isLevelEnabled: () => true } };
}

describe('LogThrottle', () => {
  it('logs the first occurrence, then one summary with the count per interval', () => {
    let now = 0;
    const { log, lines } = recordingLogger();
    const throttle = new LogThrottle(log, 'warn', 1000, () => now);
    for (let i = 0; i < 1000; i++) throttle.note('pong on the server port', { from: `10.0.0.${i % 250}` });
    expect(lines).to.have.length(1);
    now = 1500;
    throttle.note('pong on the server port', { from: '10.0.0.1' });
    expect(lines).to.have.length(3);
    expect(lines[1].message).to.equal('pong on the server port (repeated)');
    expect(lines[1].fields.suppressed).to.equal(999);
    throttle.flush();
    expect(lines).to.have.length(3);
  });

  it('throttles each kind of message on its own', () => {
    const { log, lines } = recordingLogger();
    const throttle = new LogThrottle(log, 'debug', 60_000, () => 0);
    throttle.note('a', {});
    throttle.note('b', {});
    throttle.note('a', {});
    expect(lines.map((l) => l.message)).to.deep.equal(['a', 'b']);
    throttle.flush();
    expect(lines.map((l) => l.message)).to.deep.equal(['a', 'b', 'a (repeated)']);
  });
});
