// SPDX-License-Identifier: Apache-2.0
// Drop: discards every packet, in both directions.
import { STEP } from '../../../bpf/fast-abi';
import { FilterConfigError, type FilterFactory } from '../filter';

export const DROP_NAME = 'quilkin.filters.drop.v1alpha1.Drop';
export const DROPPED = 'filter::drop::dropped';

/** Drop takes no config: absent or null only (a mapping such as `{}` is rejected, as in Quilkin). */
export const dropFactory: FilterFactory<undefined> = {
  name: DROP_NAME,
  schema: { type: 'null' },
  validate(raw: unknown): undefined {
    if (raw !== undefined && raw !== null) throw new FilterConfigError(`filter \`${DROP_NAME}\` takes no configuration`);
    return undefined;
  },
  create() {
    return { read: () => DROPPED, write: () => DROPPED };
  },
  // No payload: the kind alone says it all.
  native: { encode: () => undefined },
  kernel: { lower: (ctx) => void ctx.emit({ kind: STEP.DROP }) },
};
