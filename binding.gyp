{
  # The native part of onlinkd is one small, generic socket layer; every
  # protocol decision (BPF program, socket options, parsing) lives in
  # TypeScript. Built by `npm install`/`npm ci` (package.json "install") or by
  # hand with `npm run install`, which uses the node-gyp bundled with npm
  # (`npx node-gyp` would try to download it); offline, node-gyp finds Node's
  # headers only through nodedir=/usr in ~/.npmrc.
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
