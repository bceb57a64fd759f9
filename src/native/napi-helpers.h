/*
 * N-API helpers shared by every binding: errors shaped like Node's system
 * errors, argument readers that throw a TypeError on a wrong type, and the
 * one way JS callbacks are called. Nothing here knows about sockets.
 */
#ifndef ONLINKD_NAPI_HELPERS_H
#define ONLINKD_NAPI_HELPERS_H

#include <stddef.h>
#include <stdint.h>

#include <node_api.h>

/* Throws Error{code: 'ENETDOWN', errno: -100, syscall} (the setup calls' convention); returns NULL. */
napi_value throw_errno(napi_env env, const char *syscall, int err);
/* Throws TypeError{code: 'ERR_INVALID_ARG_TYPE'}; returns NULL. */
napi_value throw_type(napi_env env, const char *msg);

/* Fetch exactly n arguments or throw; every binding starts with this. */
#define ARGS(n)                                                        \
  size_t argc = (n);                                                   \
  napi_value argv[(n) > 0 ? (n) : 1];                                  \
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);                \
  if (argc < (size_t)(n)) return throw_type(env, "missing argument")

/* Argument readers: 1, or 0 after throwing. */
int get_i32(napi_env env, napi_value v, int32_t *out);
int get_u32(napi_env env, napi_value v, uint32_t *out);
/* Accepts a Buffer or any Uint8Array (Node treats both as buffers). */
int get_bytes(napi_env env, napi_value v, void **data, size_t *len);
/* A typed array of `type` (TypeError `msg` otherwise): its data and element count. */
int get_typedarray(napi_env env, napi_value v, napi_typedarray_type type, const char *msg, void **data,
                   size_t *len);
/* A JS array of at most `max` uint32 (E2BIG named `call` when longer). */
int get_u32_array(napi_env env, napi_value v, uint32_t *out, uint32_t max, uint32_t *len, const char *call);
/* A function (TypeError "expected a callback function" otherwise). */
int check_function(napi_env env, napi_value v);

napi_value num(napi_env env, double d);
napi_value undefined(napi_env env);

/* Calls fn(...argv); returns 0 if it threw (the exception is handed to
 * process 'uncaughtException', as for any event callback). */
int call_js(napi_env env, napi_value fn, size_t argc, const napi_value *argv);

#endif
