// System errors shaped like Node's: an Error with `code` (ENOENT, EPERM …), `errno` (negative,
// as Node reports it) and `syscall`.
#pragma once

#include <napi.h>
#include <uv.h>

#include <cerrno>
#include <string>

namespace usernet_tap {

// libuv names the errors it knows; EBADFD (what a TAP descriptor whose device was deleted
// returns) is not among them.
inline const char* errnoName(int err) {
  if (err == EBADFD) return "EBADFD";
  return uv_err_name(-err);
}

inline Napi::Error systemError(Napi::Env env, int err, const std::string& syscall,
                               const std::string& message) {
  const char* code = errnoName(err);
  Napi::Error e = Napi::Error::New(env, message + " (" + code + ")");
  e.Set("code", Napi::String::New(env, code));
  e.Set("errno", Napi::Number::New(env, -err));
  e.Set("syscall", Napi::String::New(env, syscall));
  return e;
}

}  // namespace usernet_tap
