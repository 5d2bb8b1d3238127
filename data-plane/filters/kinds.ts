// SPDX-License-Identifier: Apache-2.0
// Generated from data-plane/filters/kinds.json by scripts/gen-filter-kinds.js: do not edit.
// The description kind of each filter (native/engine/description.md), by Quilkin name.
export const FILTER_KINDS: ReadonlyMap<string, number> = new Map([
  ['quilkin.filters.capture.v1alpha1.Capture', 1],
  ['quilkin.filters.concatenate.v1alpha1.Concatenate', 2],
  ['quilkin.filters.debug.v1alpha1.Debug', 3],
  ['quilkin.filters.drop.v1alpha1.Drop', 4],
  ['quilkin.filters.firewall.v1alpha1.Firewall', 5],
  ['quilkin.filters.load_balancer.v1alpha1.LoadBalancer', 6],
  ['quilkin.filters.local_rate_limit.v1alpha1.LocalRateLimit', 7],
  ['quilkin.filters.match.v1alpha1.Match', 8],
  ['quilkin.filters.pass.v1alpha1.Pass', 9],
  ['quilkin.filters.timestamp.v1alpha1.Timestamp', 10],
  ['quilkin.filters.token_router.v1alpha1.TokenRouter', 11],
  ['quilkin.filters.token_router.v1alpha1.HashedTokenRouter', 12],
  ['quilkin.filters.compress.v1alpha1.Compress', 13],
]);
