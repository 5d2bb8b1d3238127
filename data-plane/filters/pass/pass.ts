// SPDX-License-Identifier: Apache-2.0
// Pass: lets every packet through unchanged, in both directions.
import { STEP } from '../../../bpf/fast-abi';
import { FilterConfigError, type FilterFactory } from '../filter';

export const PASS_NAME = 'quilkin.filters.pass.v1alpha1.Pass';

/** Pass takes no config: absent or null only (a mapping such as `{}` is rejected, as in Quilkin). */
export const passFactory: FilterFactory<undefined> = {
  name: PASS_NAME,
  schema: { type: 'null' },
  validate(raw: unknown): undefined {
    if (raw !== undefined && raw !== null) throw new FilterConfigError(`filter \`${PASS_NAME}\` takes no configuration`);
    return undefined;
  },
  create() {
    return { read: () => undefined, write: () => undefined };
  },
  // No payload: the kind alone says it all.
  native: { encode: () => undefined },
  // A step of its own, so the trace shows the slot ran.
  kernel: { lower: (ctx) => void ctx.emit({ kind: STEP.PASS }) },
};
