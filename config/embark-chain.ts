// SPDX-License-Identifier: Apache-2.0
// Embark's production filter chain (version byte suffix, 3-byte token suffix, TokenRouter), as the
// items of a YAML `filters:` list. One copy for the end-to-end tests and the benchmark harness.

export const EMBARK_FILTERS_YAML = `  - name: quilkin.filters.capture.v1alpha1.Capture
    config:
      metadataKey: embark.dev/load_balancer/version
      suffix: { size: 1, remove: true }
  - name: quilkin.filters.capture.v1alpha1.Capture
    config:
      metadataKey: quilkin.dev/capture
      suffix: { size: 3, remove: true }
  - name: quilkin.filters.token_router.v1alpha1.TokenRouter
`;
