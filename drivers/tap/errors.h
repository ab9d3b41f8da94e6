// System errors shaped like Node's: an Error with `code` (ENOENT, EPERM …), `errno` (negative,
// as Node reports it) and `syscall`.
#pragma once

#include <napi.h>
#include <uv.h>

#include <string>

namespace usernet_tap {

inline Napi::Error systemError(Napi::Env env, int err, const std::string& syscall,
                               const std::string& message) {
  const char* code = uv_err_name(-err);
  Napi::Error e = Napi::Error::New(env, message + " (" + code + ")");
  e.Set("code", Napi::String::New(env, code));
  e.Set("errno", Napi::Number::New(env, -err));
  e.Set("syscall", Napi::String::New(env, syscall));
  return e;
}

}  // namespace usernet_tap
