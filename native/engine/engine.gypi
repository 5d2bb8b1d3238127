# SPDX-License-Identifier: Apache-2.0
# Sources of the engine part of the addon (paths relative to this file; owned by that part).
{
  "sources": ["binding.cc"]
}
