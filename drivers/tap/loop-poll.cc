// LoopPoller (loop-poll.h): a self-stopping, unreferenced uv_idle handle.
#include "loop-poll.h"

#include <poll.h>

#include <algorithm>
#include <cstdlib>

#include "errors.h"

namespace usernet_tap {

// A poll longer than this is a mistake, not busy polling (src/busy-poll.ts caps windows at 1 ms).
constexpr double kMaxPollMicros = 1e6;

// The longest one turn of the loop waits here for I/O before letting the loop go round (so that
// timers and immediates that came due run at most this late).
constexpr uint64_t kSliceNs = 20'000;

Napi::Function LoopPoller::Define(Napi::Env env) {
  return DefineClass(env, "LoopPoller",
                     {
                         InstanceMethod<&LoopPoller::PollFor>("pollFor"),
                         InstanceMethod<&LoopPoller::Close>("close"),
                         InstanceAccessor<&LoopPoller::Turns>("turns"),
                         InstanceAccessor<&LoopPoller::Polling>("polling"),
                     });
}

LoopPoller::LoopPoller(const Napi::CallbackInfo& info) : Napi::ObjectWrap<LoopPoller>(info) {
  Napi::Env env = info.Env();
  idle_ = static_cast<uv_idle_t*>(malloc(sizeof(uv_idle_t)));
  if (idle_ == nullptr) throw Napi::Error::New(env, "out of memory");
  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(env, &loop);
  int rc = uv_idle_init(loop, idle_);
  if (rc < 0) {
    free(idle_);
    idle_ = nullptr;
    throw systemError(env, -rc, "uv_idle_init", "cannot create the loop poller");
  }
  idle_->data = this;
  // libuv skips the blocking wait while any idle handle is started, referenced or not; only
  // whether the loop stays alive depends on the reference.
  uv_unref(reinterpret_cast<uv_handle_t*>(idle_));
  napi_add_env_cleanup_hook(env, &LoopPoller::OnEnvCleanup, this);
  cleanupHook_ = true;
}

LoopPoller::~LoopPoller() { Shutdown(); }

// At environment teardown the handle is closed while the loop can still run its close
// callback (as TapHandle does; see handle.cc).
void LoopPoller::OnEnvCleanup(void* arg) {
  LoopPoller* self = static_cast<LoopPoller*>(arg);
  self->cleanupHook_ = false;
  self->Shutdown();
}

void LoopPoller::Shutdown() {
  if (idle_ != nullptr) {
    uv_idle_stop(idle_);
    idle_->data = nullptr;
    // libc's free as the close callback, for the reason given in handle.cc (ReleasePoll).
    uv_close(reinterpret_cast<uv_handle_t*>(idle_), reinterpret_cast<uv_close_cb>(&free));
    idle_ = nullptr;
  }
  if (cleanupHook_) {
    napi_remove_env_cleanup_hook(Env(), &LoopPoller::OnEnvCleanup, this);
    cleanupHook_ = false;
  }
}

// One turn: wait here, spinning, until libuv's own descriptor (its epoll instance) reports a
// watched descriptor ready, or the slice or the deadline ends; then the loop goes on to poll and
// run what is ready. Checking that one descriptor costs a system call; a whole turn of Node's
// loop costs more, and allocates a JavaScript object (the resource of the native-immediates
// callback scope), which at millions of turns a second keeps the young generation collecting.
void LoopPoller::OnIdle(uv_idle_t* idle) {
  LoopPoller* self = static_cast<LoopPoller*>(idle->data);
  if (self == nullptr) return;
  self->turns_++;
  uint64_t now = uv_hrtime();
  const uint64_t sliceEnd = std::min(self->deadlineNs_, now + kSliceNs);
  struct pollfd backend = {uv_backend_fd(idle->loop), POLLIN, 0};
  while (now < sliceEnd && poll(&backend, 1, 0) == 0) now = uv_hrtime();
  if (now >= self->deadlineNs_) uv_idle_stop(idle);
}

Napi::Value LoopPoller::PollFor(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (idle_ == nullptr) throw Napi::Error::New(env, "loop poller is closed");
  if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(env, "pollFor(microseconds: number)");
  double us = info[0].As<Napi::Number>().DoubleValue();
  if (!(us >= 0 && us <= kMaxPollMicros)) throw Napi::RangeError::New(env, "pollFor: 0 to 1000000 microseconds");
  if (us == 0) {
    uv_idle_stop(idle_);
    return env.Undefined();
  }
  deadlineNs_ = uv_hrtime() + static_cast<uint64_t>(us * 1000);
  if (!uv_is_active(reinterpret_cast<uv_handle_t*>(idle_))) uv_idle_start(idle_, &LoopPoller::OnIdle);
  return env.Undefined();
}

Napi::Value LoopPoller::Close(const Napi::CallbackInfo& info) {
  Shutdown();
  return info.Env().Undefined();
}

Napi::Value LoopPoller::Turns(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), turns_); }

Napi::Value LoopPoller::Polling(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), idle_ != nullptr && uv_is_active(reinterpret_cast<uv_handle_t*>(idle_)));
}

}  // namespace usernet_tap
