// SPDX-License-Identifier: Apache-2.0
// Quilkin's v1alpha1 YAML config: text -> validated Config, with every error reported by path.
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { clusterList, configDocument, filterList, runSchema } from './file-schema';
import { type ConfigIssue, IssueCollector, type PathSegment, type Validated } from './issues';
import { type ClusterConfig, type Config, emptyConfig, type FilterConfig, type FilterConfigValidator } from './model';

export { decodeBase64Strict } from './scalars';
export { parseLocality } from './file-schema';

function collect<T>(result: Validated<T>, issues: IssueCollector): T | undefined {
  if (result.ok) return result.value;
  for (const issue of result.issues) issues.add(issue.path, issue.message);
  return undefined;
}

/** Clusters (a list of {locality?, endpoints}) from any source: files, xDS, providers. */
export function parseClusters(raw: unknown, issues: IssueCollector, path: PathSegment[] = ['clusters']): ClusterConfig[] {
  return collect(runSchema(clusterList, raw, path), issues) ?? [];
}

/** A filter chain from any source; each filter's config is checked by `validator`. */
export function parseFilters(raw: unknown, validator: FilterConfigValidator, issues: IssueCollector, path: PathSegment[] = ['filters']): FilterConfig[] {
  return collect(runSchema(filterList(validator), raw, path), issues) ?? [];
}

/** Validates a config document that has already been parsed into plain data (YAML or JSON). */
export function validateConfig(raw: unknown, validator: FilterConfigValidator): Validated<Config> {
  if (raw === null || raw === undefined) return { ok: true, value: emptyConfig() };
  return runSchema(configDocument(validator), raw);
}

/** Adds line/column to issues by walking the YAML document along each issue's path. */
function locate(issues: ConfigIssue[], root: YamlNode | null, lines: LineCounter): ConfigIssue[] {
  return issues.map((issue) => {
    let node: unknown = root;
    let located: YamlNode | undefined = root ?? undefined;
    for (const seg of issue.path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && p.key.value === seg);
        if (!pair) break;
        node = pair.value ?? pair.key;
        // An unknown field is the key's fault; anything else is about the value.
        const pointAtKey = issue.message.startsWith('unknown field') && seg === issue.path[issue.path.length - 1];
        located = (pointAtKey || !pair.value ? pair.key : pair.value) as YamlNode;
      } else if (isSeq(node) && typeof seg === 'number') {
        node = node.items[seg];
        if (!node) break;
        located = node as YamlNode;
      } else break;
    }
    if (!located?.range) return issue;
    const pos = lines.linePos(located.range[0]);
    return { ...issue, line: pos.line, column: pos.col };
  });
}

function sourceOrder(a: ConfigIssue, b: ConfigIssue): number {
  return (a.line ?? Infinity) - (b.line ?? Infinity) || (a.column ?? 0) - (b.column ?? 0);
}

/** Parses YAML (or JSON) text into a validated Config. */
export function parseConfigText(text: string, validator: FilterConfigValidator): Validated<Config> {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      issues: doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        return { path: [], message: `YAML syntax error: ${e.message.split('\n')[0]}`, ...(pos ? { line: pos.line, column: pos.col } : {}) };
      }),
    };
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // The yaml package throws (ReferenceError) past maxAliasCount, a "billion laughs" document,
    // and a RangeError on nesting deeper than the stack: a rejection of the text, not a crash.
    return { ok: false, issues: [{ path: [], message: `YAML document refused: ${(err as Error).message}` }] };
  }
  const result = validateConfig(raw, validator);
  if (result.ok) return result;
  // Source order reads best; issues without a position (rare) keep their place at the end.
  const located = locate(result.issues, doc.contents, lines);
  return {
    ok: false,
    issues: located
      .map((issue, i) => ({ issue, i }))
      .sort((a, b) => sourceOrder(a.issue, b.issue) || a.i - b.i)
      .map((x) => x.issue),
  };
}
