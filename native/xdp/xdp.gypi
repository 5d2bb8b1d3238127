# SPDX-License-Identifier: Apache-2.0
# Sources of the AF_XDP part of the addon (paths relative to this file; owned by that part),
# plus the AF_XDP and packet layers of native/xsk and native/net it compiles in.
{
  "sources": [
    "backend.cc",
    "binding.cc",
    "fast_path.cc",
    "offlink.cc",
    "offlink_io.cc",
    "path.cc",
    "program.cc",
    "worker.cc",
    "../xsk/session.c",
    "../xsk/umem.c",
    "../xsk/xsk.c",
    "../net/frame.c",
    "../net/keyed_hash.c",
    "../net/frame_rewrite.c",
    "../net/neigh.c",
    "../net/nhcache.c"
  ],
  "include_dirs": ["../xsk", "../net", "../../bpf/lib"],
  "cflags_c": ["-std=gnu11"],
  "libraries": ["-lxdp", "-lbpf", "-lelf", "-lz"]
}
