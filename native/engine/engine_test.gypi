# SPDX-License-Identifier: Apache-2.0
# The engine's test entry points, compiled into quilkin_native_test.node only (paths relative
# to this file).
{
  "sources": [
    "binding_test.cc",
    "test_entry.cc"
  ]
}
