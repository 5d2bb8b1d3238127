// SPDX-License-Identifier: Apache-2.0
// The server side's node label: a client's node id is checked when its stream identifies itself,
// and its series exist while it holds a stream (up to a cap; beyond it they count as `other`).
import { nodeIdProblem } from '../../proto/node-id';
import type { XdsMetrics } from '../../proto/xds-metrics';
import { LabelBudget } from '../../runtime/label-budget';
import { StreamError } from './stream-error';

/** Distinct node labels a server keeps at once by default. */
export const DEFAULT_MAX_NODE_LABELS = 1000;

export class NodeLabels {
  private readonly budget: LabelBudget;

  constructor(metrics: XdsMetrics, cap = DEFAULT_MAX_NODE_LABELS) {
    this.budget = new LabelBudget(cap, (label) => metrics.removeNodeSeries(label));
  }

  /**
   * Checks the node id of a stream's first request and takes a label for it; throws the
   * StreamError that ends the stream when the id is missing or unusable.
   */
  acquire(id: string | undefined): { id: string; label: string } {
    if (!id) throw new StreamError(3, 'Node identifier required in the first request', 'missing node id');
    const problem = nodeIdProblem(id);
    if (problem) throw new StreamError(3, problem, 'invalid node id');
    return { id, label: this.budget.acquire(id) };
  }

  release(label: string): void {
    this.budget.release(label);
  }

  /** Nodes with a label of their own now. */
  get size(): number {
    return this.budget.size;
  }
}
