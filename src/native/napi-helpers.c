/* N-API helpers shared by every binding (see napi-helpers.h). */
#include "napi-helpers.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

napi_value throw_errno(napi_env env, const char *syscall, int err) {
  char msg[160];
  const char *name = strerrorname_np(err);
  napi_value code, message, error, num, sc;
  snprintf(msg, sizeof msg, "%s: %s", syscall, strerror(err));
  napi_create_string_utf8(env, name ? name : "EUNKNOWN", NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, code, message, &error);
  napi_create_int32(env, -err, &num); /* negative, like Node's own errors */
  napi_set_named_property(env, error, "errno", num);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sc);
  napi_set_named_property(env, error, "syscall", sc);
  napi_throw(env, error);
  return NULL;
}

napi_value throw_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
  return NULL;
}

int get_i32(napi_env env, napi_value v, int32_t *out) {
  if (napi_get_value_int32(env, v, out) == napi_ok) return 1;
  throw_type(env, "expected a number");
  return 0;
}

int get_u32(napi_env env, napi_value v, uint32_t *out) {
  if (napi_get_value_uint32(env, v, out) == napi_ok) return 1;
  throw_type(env, "expected a number");
  return 0;
}

int get_bytes(napi_env env, napi_value v, void **data, size_t *len) {
  if (napi_get_buffer_info(env, v, data, len) == napi_ok) return 1;
  throw_type(env, "expected a Buffer or Uint8Array");
  return 0;
}

int get_typedarray(napi_env env, napi_value v, napi_typedarray_type type, const char *msg, void **data,
                   size_t *len) {
  bool is_ta = false;
  napi_typedarray_type t;
  napi_value ab;
  size_t off;
  napi_is_typedarray(env, v, &is_ta);
  if (!is_ta) return throw_type(env, msg), 0;
  napi_get_typedarray_info(env, v, &t, len, data, &ab, &off);
  if (t != type) return throw_type(env, msg), 0;
  return 1;
}

int get_u32_array(napi_env env, napi_value v, uint32_t *out, uint32_t max, uint32_t *len, const char *call) {
  bool is_array = false;
  napi_is_array(env, v, &is_array);
  if (!is_array) return throw_type(env, "expected an array of numbers"), 0;
  napi_get_array_length(env, v, len);
  if (*len > max) return throw_errno(env, call, E2BIG), 0;
  for (uint32_t i = 0; i < *len; i++) {
    napi_value e;
    napi_get_element(env, v, i, &e);
    if (!get_u32(env, e, &out[i])) return 0;
  }
  return 1;
}

int check_function(napi_env env, napi_value v) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t == napi_function) return 1;
  throw_type(env, "expected a callback function");
  return 0;
}

napi_value num(napi_env env, double d) {
  napi_value v;
  napi_create_double(env, d, &v);
  return v;
}

napi_value undefined(napi_env env) {
  napi_value v;
  napi_get_undefined(env, &v);
  return v;
}

int call_js(napi_env env, napi_value fn, size_t argc, const napi_value *argv) {
  napi_value recv, result, exc;
  napi_get_undefined(env, &recv);
  if (napi_call_function(env, recv, fn, argc, argv, &result) != napi_pending_exception) return 1;
  napi_get_and_clear_last_exception(env, &exc);
  napi_fatal_exception(env, exc);
  return 0;
}
