# SPDX-License-Identifier: Apache-2.0
# Sources of the engine part of the addon (paths relative to this file; owned by that part). The
# filters' sources are in filters.gypi, generated from data-plane/filters/kinds.json.
{
  "sources": [
    "binding.cc",
    "endpoints.cc",
    "engine.cc",
    "generation.cc",
    "metadata.cc",
    "registry.cc",
    "worker.cc"
  ]
}
