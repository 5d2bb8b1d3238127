# SPDX-License-Identifier: Apache-2.0
# Two addons. quilkin_native.node is the product; each part lists its own sources in a .gypi
# beside its code. quilkin_native_test.node is the engine again plus its test entry points
# (TestChain, runTestBatch), loaded by tests only, so the product carries no test code.
{
  "target_defaults": {
    "include_dirs": [
      "<!(node -p \"require('node-addon-api').include_dir\")",
      ".",
      ".."
    ],
    "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_CPP_EXCEPTIONS"],
    "cflags!": ["-fno-exceptions"],
    "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
    "cflags": ["-Wall", "-Wextra", "-Werror", "-O2"],
    "cflags_cc": ["-std=c++20", "-Wall", "-Wextra", "-Werror", "-O2", "-fexceptions"],
    "conditions": [
      ["OS=='linux'", {"libraries": ["-lpthread"]}]
    ]
  },
  "targets": [
    {
      "target_name": "quilkin_native",
      "includes": ["engine/engine.gypi", "engine/filters.gypi", "socket/socket.gypi", "xdp/xdp.gypi"],
      "sources": ["src/addon.cc", "../data-plane/filters/capture/capture_binding.cc"]
    },
    {
      "target_name": "quilkin_native_test",
      "includes": ["engine/engine.gypi", "engine/filters.gypi", "engine/engine_test.gypi"],
      "sources": ["src/test_addon.cc"]
    }
  ]
}
