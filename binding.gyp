{
  # The native part of onlinkd is one small, generic socket layer; every
  # protocol decision (BPF program, socket options, parsing) lives in
  # TypeScript. Built by `npm install`/`npm ci` (package.json "install") or by
  # hand with `npx node-gyp rebuild` (needs nodedir=/usr in ~/.npmrc offline).
  "targets": [
    {
      "target_name": "onlinkd_native",
      "sources": ["src/native/onlinkd_native.c"],
      # N-API 8 is the first version with napi_add_async_cleanup_hook, which
      # lets us close uv_poll handles before a worker thread's loop is closed.
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"],
      "cflags!": ["-O3"],
      "cflags": ["-O2", "-Wall", "-Wextra"],
      "cflags_c": ["-std=gnu11"]
    }
  ]
}
