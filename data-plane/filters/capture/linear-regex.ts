// SPDX-License-Identifier: Apache-2.0
// Capture regexes in linear time for the js backend. V8's RegExp backtracks: `(a+)+$` against a
// 30-byte packet stalls the event loop for seconds. Production js filters use the native
// Capture's RE2 matcher (capture_binding.cc) instead, with the same translation and the same
// matches as the socket and xdp backends; ByteRegex stays the reference the vectors run.
import { loadNative } from '../../../native/index';
import { FilterConfigError } from '../filter';
import { regexForEngine } from './engine-regex';

/** Finds every non-overlapping match as a view into the packet. */
export interface ByteMatcher {
  findAll(haystack: Buffer): Buffer[];
}

/** Builds the matcher of a Capture pattern (Rust syntax); throws FilterConfigError when it cannot. */
export type RegexEngine = (pattern: string) => ByteMatcher;

interface NativeRegex {
  findAll(haystack: Buffer): number[];
}

type NativeRegexClass = new (translatedPattern: string) => NativeRegex;

function nativeRegexClass(): { Regex?: NativeRegexClass; why?: string } {
  const { addon, error } = loadNative();
  const Regex = (addon as { capture?: { Regex?: NativeRegexClass } } | undefined)?.capture?.Regex;
  if (typeof Regex === 'function') return { Regex };
  return {
    why: addon
      ? 'the loaded addon has no capture part (rebuild with npm run build:native)'
      : `the native addon did not load: ${error?.message ?? 'unknown reason'}`,
  };
}

/**
 * RE2 through the addon. Without the addon there is no linear engine to run a pattern with, so
 * regex captures are refused at config time (a precise rejection, never a stall).
 */
export function linearRegexEngine(): RegexEngine {
  const { Regex, why } = nativeRegexClass();
  if (!Regex) {
    return (pattern) => {
      throw new FilterConfigError(`regex \`${pattern}\`: the js backend matches regexes in linear time with RE2 from the native addon, and ${why}`);
    };
  }
  return (pattern) => {
    let re: NativeRegex;
    try {
      re = new Regex(regexForEngine(pattern));
    } catch (err) {
      throw new FilterConfigError((err as Error).message);
    }
    return {
      findAll(haystack) {
        const bounds = re.findAll(haystack);
        const found: Buffer[] = [];
        for (let i = 0; i < bounds.length; i += 2) found.push(haystack.subarray(bounds[i], bounds[i + 1]));
        return found;
      },
    };
  };
}
