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
      # One file per concern; src/native/module.c lists them, addon.h holds
      # the interfaces between them.
      "sources": [
        "src/native/module.c",
        "src/native/napi-helpers.c",
        "src/native/sockets.c",
        "src/native/closer-pool.c",
        "src/native/socket-ops.c",
        "src/native/open-receivers.c",
        "src/native/poller.c",
        "src/native/recv-group.c",
        "src/native/privileges.c",
        "src/native/task-creds.c"
      ],
      # N-API 8 is the first version with napi_add_async_cleanup_hook, which
      # lets us close uv_poll handles before a worker thread's loop is closed.
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"],
      "cflags!": ["-O3"],
      # -fvisibility=hidden: the functions the files share stay inside the
      # addon (only NAPI_MODULE_INIT's entry points are exported), so none
      # can bind to or shadow a symbol of the node binary.
      "cflags": ["-O2", "-Wall", "-Wextra", "-fvisibility=hidden"],
      "cflags_c": ["-std=gnu11"]
    }
  ]
}
