// SPDX-License-Identifier: Apache-2.0
// The error that ends one server stream with a gRPC status; `reason` is how it is counted.
import type { StreamRefusalReason } from '../../proto/xds-metrics';

export class StreamError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly reason?: StreamRefusalReason,
  ) {
    super(message);
  }
}
