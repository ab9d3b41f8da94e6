// LoopPoller: keeps Node's event loop from sleeping for a while — the native half of busy
// polling (src/busy-poll.ts). A started uv_idle handle makes libuv poll for I/O with a zero
// timeout on every turn; this one stops itself once its deadline has passed. Between turns it
// spins on libuv's epoll descriptor for up to a slice, so that the loop goes round once per
// event instead of millions of times a second: a turn of Node's loop allocates (see OnIdle), and
// a chain of setImmediate calls allocates an Immediate per turn besides.
//
// It lives in the TAP addon because that is the one native module usernet builds, and busy
// polling matters most for a TAP served next to host sockets.
#pragma once

#include <napi.h>
#include <uv.h>

#include <cstdint>

namespace usernet_tap {

class LoopPoller : public Napi::ObjectWrap<LoopPoller> {
 public:
  static Napi::Function Define(Napi::Env env);

  // new LoopPoller(): an idle handle on this thread's loop, stopped and unreferenced (polling
  // never keeps a process alive).
  explicit LoopPoller(const Napi::CallbackInfo& info);
  ~LoopPoller() override;

 private:
  // pollFor(microseconds): keep the loop polling until that long from now (replacing any
  // deadline set before); 0 stops at once.
  Napi::Value PollFor(const Napi::CallbackInfo& info);
  // close(): stops and releases the handle. Idempotent; pollFor afterwards throws.
  Napi::Value Close(const Napi::CallbackInfo& info);
  // turns: loop turns spent polling so far (each one a wait of up to a slice for I/O).
  Napi::Value Turns(const Napi::CallbackInfo& info);
  // polling: whether the handle is running now.
  Napi::Value Polling(const Napi::CallbackInfo& info);

  static void OnIdle(uv_idle_t* idle);
  static void OnEnvCleanup(void* self);
  void Shutdown();

  uv_idle_t* idle_ = nullptr;  // malloc'd: freed by its close callback, maybe after this object
  uint64_t deadlineNs_ = 0;    // uv_hrtime() at which polling stops
  double turns_ = 0;
  bool cleanupHook_ = false;
};

}  // namespace usernet_tap
