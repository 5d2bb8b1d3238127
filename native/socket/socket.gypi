# SPDX-License-Identifier: Apache-2.0
# Sources of the socket part of the addon (paths relative to this file; owned by that part).
{
  "sources": [
    "binding.cc",
    "backend.cc",
    "mmsg_batch.cc",
    "session_shard.cc",
    "worker.cc"
  ]
}
