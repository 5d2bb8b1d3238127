// SPDX-License-Identifier: Apache-2.0
// Validation results: every problem is collected with its path, then the whole config is rejected.

export type PathSegment = string | number;

export interface ConfigIssue {
  readonly path: readonly PathSegment[];
  readonly message: string;
  /** 1-based line and column in the source text, when known. */
  readonly line?: number;
  readonly column?: number;
}

export type Validated<T> = { ok: true; value: T } | { ok: false; issues: ConfigIssue[] };

/** `clusters[0].endpoints[2].address` */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out === '' ? '<root>' : out;
}

export function formatIssue(issue: ConfigIssue): string {
  const where = issue.line !== undefined ? ` (line ${issue.line}, column ${issue.column ?? 1})` : '';
  return `${formatPath(issue.path)}: ${issue.message}${where}`;
}

export class ConfigError extends Error {
  constructor(
    readonly issues: ConfigIssue[],
    readonly source?: string,
  ) {
    super(`invalid configuration${source ? ` in ${source}` : ''}:\n` + issues.map((i) => `  ${formatIssue(i)}`).join('\n'));
    this.name = 'ConfigError';
  }
}

/** Collects issues under a path prefix. */
export class IssueCollector {
  readonly issues: ConfigIssue[] = [];

  add(path: readonly PathSegment[], message: string): void {
    this.issues.push({ path, message });
  }

  get ok(): boolean {
    return this.issues.length === 0;
  }
}
