// SPDX-License-Identifier: Apache-2.0
// Log levels per target from `RUST_LOG` (tracing-subscriber EnvFilter directive syntax, as Quilkin's
// manifests set it) and `QUILKIN_LOG_LEVEL` (one level). Invalid values are errors, not ignored.

export type LevelName = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'off';

/** Most to least verbose; `off` disables a target. */
const SEVERITY: Record<LevelName, number> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4, off: 5 };

/** EnvFilter's numeric levels: 0 = off, 1 = error … 5 = trace. */
const NUMERIC: readonly LevelName[] = ['off', 'error', 'warn', 'info', 'debug', 'trace'];

export class LogFilterError extends Error {}

export interface Directive {
  /** Prefix of a target (`quilkin::net`) or of one of our module names; undefined = every target. */
  readonly target?: string;
  readonly level: LevelName;
}

export interface LogFilter {
  readonly directives: readonly Directive[];
  /** The level a module logs at; `off` when no directive matches (EnvFilter semantics). */
  levelFor(target: string, module: string): LevelName;
  /** The most verbose level any directive enables (for the root logger). */
  readonly mostVerbose: LevelName;
}

function parseLevel(text: string, source: string): LevelName | undefined {
  const lower = text.toLowerCase();
  if (lower in SEVERITY) return lower as LevelName;
  if (/^[0-5]$/.test(text)) return NUMERIC[Number(text)];
  if (source === 'QUILKIN_LOG_LEVEL' && (lower === 'fatal' || lower === 'silent')) return lower === 'fatal' ? 'error' : 'off';
  return undefined;
}

const LEVEL_WORDS = 'trace, debug, info, warn, error, off or 0-5';

/** One comma-separated item: `level`, `target`, or `target=level`. */
function parseDirective(item: string, source: string): Directive {
  if (item.includes('[') || item.includes('{')) {
    throw new LogFilterError(`${source}: span and field filters (\`${item}\`) are not supported; use target=level`);
  }
  const eq = item.indexOf('=');
  if (eq < 0) {
    const level = parseLevel(item, source);
    if (level) return { level };
    if (!/^[\w:.-]+$/.test(item)) throw new LogFilterError(`${source}: \`${item}\` is neither a level (${LEVEL_WORDS}) nor a target name`);
    // A bare target enables every level for it, as in tracing-subscriber 0.3.
    return { target: item, level: 'trace' };
  }
  const target = item.slice(0, eq);
  const levelText = item.slice(eq + 1);
  if (!/^[\w:.-]+$/.test(target)) throw new LogFilterError(`${source}: \`${target}\` in \`${item}\` is not a target name`);
  const level = parseLevel(levelText, source);
  if (!level) throw new LogFilterError(`${source}: \`${levelText}\` in \`${item}\` is not a level (${LEVEL_WORDS})`);
  return { target, level };
}

/** Parses an EnvFilter-style list; empty items are skipped as EnvFilter does. */
export function parseDirectives(text: string, source = 'RUST_LOG'): Directive[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => parseDirective(s, source));
}

/**
 * `QUILKIN_LOG_LEVEL` is one level and acts as the default directive; `RUST_LOG` directives come
 * after it, so a more specific target there wins. With neither set the level is `info`.
 */
export function logFilterFromEnv(env: NodeJS.ProcessEnv = process.env): LogFilter {
  const directives: Directive[] = [];
  const quilkinLevel = env.QUILKIN_LOG_LEVEL?.trim();
  if (quilkinLevel) {
    const level = parseLevel(quilkinLevel, 'QUILKIN_LOG_LEVEL');
    if (!level) throw new LogFilterError(`QUILKIN_LOG_LEVEL: \`${quilkinLevel}\` is not a level (trace, debug, info, warn, error, fatal, silent)`);
    directives.push({ level });
  }
  if (env.RUST_LOG !== undefined) directives.push(...parseDirectives(env.RUST_LOG));
  return buildFilter(directives.length > 0 ? directives : [{ level: 'info' }]);
}

function matches(directive: Directive, target: string, module: string): boolean {
  return directive.target === undefined || target.startsWith(directive.target) || module.startsWith(directive.target);
}

export function buildFilter(directives: readonly Directive[]): LogFilter {
  return {
    directives,
    mostVerbose: directives.reduce<LevelName>((best, d) => (d.level !== 'off' && SEVERITY[d.level] < SEVERITY[best] ? d.level : best), 'off'),
    levelFor(target, module) {
      // The most specific (longest target) directive wins; among equals, the last one given.
      let chosen: Directive | undefined;
      for (const d of directives) {
        if (!matches(d, target, module)) continue;
        if (!chosen || (d.target?.length ?? -1) >= (chosen.target?.length ?? -1)) chosen = d;
      }
      return chosen?.level ?? 'off';
    },
  };
}
