# SPDX-License-Identifier: Apache-2.0
# Sources of the engine part of the addon (paths relative to this file; owned by that part).
{
  "sources": [
    "binding.cc",
    "endpoints.cc",
    "engine.cc",
    "generation.cc",
    "metadata.cc",
    "registry.cc",
    "worker.cc",
    "../../data-plane/filters/capture/capture.cc",
    "../../data-plane/filters/compress/compress.cc",
    "../../data-plane/filters/concatenate/concatenate.cc",
    "../../data-plane/filters/debug/debug.cc",
    "../../data-plane/filters/drop/drop.cc",
    "../../data-plane/filters/firewall/firewall.cc",
    "../../data-plane/filters/load_balancer/load_balancer.cc",
    "../../data-plane/filters/local_rate_limit/local_rate_limit.cc",
    "../../data-plane/filters/match/match.cc",
    "../../data-plane/filters/pass/pass.cc",
    "../../data-plane/filters/timestamp/timestamp.cc",
    "../../data-plane/filters/token_router/token_router.cc"
  ],
  "libraries": ["-lre2", "-lsnappy", "-llz4"]
}
