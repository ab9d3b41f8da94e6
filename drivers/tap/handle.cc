// TapHandle: batched non-blocking I/O on a TAP descriptor; see handle.h.
#include "handle.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sys/uio.h>
#include <unistd.h>

#include "device.h"
#include "errors.h"

namespace usernet_tap {

Napi::Function TapHandle::Define(Napi::Env env) {
  return DefineClass(env, "TapHandle",
                     {
                         InstanceMethod("start", &TapHandle::Start),
                         InstanceMethod("writeFrames", &TapHandle::WriteFrames),
                         InstanceMethod("setReceiveSlots", &TapHandle::SetReceiveSlots),
                         InstanceMethod("setTransmitOffloads", &TapHandle::SetTransmitOffloads),
                         InstanceMethod("wantWritable", &TapHandle::WantWritable),
                         InstanceMethod("ref", &TapHandle::Ref),
                         InstanceMethod("unref", &TapHandle::Unref),
                         InstanceMethod("close", &TapHandle::Close),
                         InstanceAccessor("txErrors", &TapHandle::TxErrors, nullptr),
                         InstanceAccessor("rxOversize", &TapHandle::RxOversize, nullptr),
                         InstanceAccessor("txSegmented", &TapHandle::TxSegmented, nullptr),
                     });
}

TapHandle::TapHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TapHandle>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 4 || !info[0].IsNumber()) {
    throw Napi::TypeError::New(env, "TapHandle(fd, rxBuffer, rxLengths, slotSize, vnetHeaderLen?, vnetLittleEndian?, rxFlags?)");
  }
  if (info.Length() > 4 && !info[4].IsUndefined()) {
    int64_t h = info[4].IsNumber() ? info[4].As<Napi::Number>().Int64Value() : -1;
    if (h != 0 && h != static_cast<int64_t>(kVnetHeaderLen)) throw Napi::RangeError::New(env, "vnetHeaderLen must be 0 or 10");
    vnetHeaderLen_ = static_cast<size_t>(h);
  }
  if (info.Length() > 5 && !info[5].IsUndefined()) vnetLittleEndian_ = info[5].ToBoolean();
  fd_ = info[0].As<Napi::Number>().Int32Value();
  AdoptSlots(env, info[1], info[2], info[3], info.Length() > 6 ? info[6] : env.Undefined());
}

// Takes rxBuffer/rxLengths/slotSize/rxFlags as the receive slots, checking their shapes.
void TapHandle::AdoptSlots(Napi::Env env, const Napi::Value& bufferValue, const Napi::Value& lengthsValue,
                           const Napi::Value& slotValue, const Napi::Value& flagsValue) {
  if (!bufferValue.IsTypedArray() || !lengthsValue.IsTypedArray() || !slotValue.IsNumber()) {
    throw Napi::TypeError::New(env, "receive slots need rxBuffer, rxLengths and slotSize");
  }
  Napi::Uint8Array buffer = bufferValue.As<Napi::Uint8Array>();
  Napi::Uint32Array lengths = lengthsValue.As<Napi::Uint32Array>();
  if (buffer.TypedArrayType() != napi_uint8_array || lengths.TypedArrayType() != napi_uint32_array) {
    throw Napi::TypeError::New(env, "rxBuffer must be a Uint8Array and rxLengths a Uint32Array");
  }
  int64_t slot = slotValue.As<Napi::Number>().Int64Value();
  size_t batch = lengths.ElementLength();
  if (slot <= static_cast<int64_t>(vnetHeaderLen_) || batch == 0 || buffer.ByteLength() < batch * static_cast<size_t>(slot)) {
    throw Napi::RangeError::New(env, "rxBuffer must hold rxLengths.length slots of slotSize bytes");
  }
  bool withFlags = !flagsValue.IsUndefined() && !flagsValue.IsNull();
  if (withFlags && (!flagsValue.IsTypedArray() || flagsValue.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array ||
                    flagsValue.As<Napi::Uint8Array>().ElementLength() < batch)) {
    throw Napi::TypeError::New(env, "rxFlags must be a Uint8Array with one byte per slot");
  }
  batch_ = batch;
  slot_ = static_cast<size_t>(slot);
  rx_ = buffer.Data();
  rxLengths_ = lengths.Data();
  rxBufferRef_ = Napi::Persistent(buffer);
  rxLengthsRef_ = Napi::Persistent(lengths);
  if (withFlags) {
    Napi::Uint8Array flags = flagsValue.As<Napi::Uint8Array>();
    rxFlags_ = flags.Data();
    rxFlagsRef_ = Napi::Persistent(flags);
  } else {
    rxFlags_ = nullptr;
    rxFlagsRef_.Reset();
  }
}

Napi::Value TapHandle::SetReceiveSlots(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (started_) throw Napi::Error::New(env, "receive slots can change only before start");
  AdoptSlots(env, info[0], info[1], info[2], info.Length() > 3 ? info[3] : env.Undefined());
  return env.Undefined();
}

Napi::Value TapHandle::SetTransmitOffloads(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[2].IsNumber()) throw Napi::TypeError::New(env, "setTransmitOffloads(tcpChecksum, segmentation, mtu)");
  bool checksum = info[0].ToBoolean();
  if (checksum && vnetHeaderLen_ == 0) throw Napi::Error::New(env, "transmit offloads need a virtio-net header");
  int64_t mtu = info[2].As<Napi::Number>().Int64Value();
  if (mtu < 0 || mtu > 65535) throw Napi::RangeError::New(env, "mtu must be 0–65535");
  txOffloads_.tcpChecksum = checksum;
  txOffloads_.segmentation = checksum && info[1].ToBoolean();
  txOffloads_.mtu = static_cast<size_t>(mtu);
  return env.Undefined();
}

TapHandle::~TapHandle() {
  // Reached for handles never started or already closed (a started handle holds a strong
  // reference to itself until close), or at environment teardown after OnEnvCleanup ran.
  Shutdown();
}

// Closes the poll handle and the descriptor; safe to call more than once.
void TapHandle::Shutdown() {
  ReleasePoll();
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  if (cleanupHook_) {
    napi_remove_env_cleanup_hook(Env(), &TapHandle::OnEnvCleanup, this);
    cleanupHook_ = false;
  }
}

// The environment (the process, or a worker thread) is going away with this handle still open:
// close the poll handle now, while the loop can still run its close callback. Finalizers run
// later, when uv_close would touch a loop that is gone.
void TapHandle::OnEnvCleanup(void* arg) {
  TapHandle* self = static_cast<TapHandle*>(arg);
  self->cleanupHook_ = false;
  self->Shutdown();
}

void TapHandle::ReleasePoll() {
  if (poll_ == nullptr) return;
  uv_poll_stop(poll_);
  poll_->data = nullptr;
  // The close callback is libc's free, not a function of this addon: when a worker thread
  // exits, Node unloads the addon before its loop runs the last close callbacks, and a callback
  // living in the unloaded library would crash. free(void*) is called as void(uv_handle_t*),
  // which every supported ABI passes identically.
  uv_close(reinterpret_cast<uv_handle_t*>(poll_), reinterpret_cast<uv_close_cb>(&free));
  poll_ = nullptr;
}

Napi::Value TapHandle::Start(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (fd_ < 0) throw Napi::Error::New(env, "TAP handle is closed");
  if (started_) throw Napi::Error::New(env, "TAP handle already started");
  if (info.Length() < 3 || !info[0].IsFunction() || !info[1].IsFunction() || !info[2].IsFunction()) {
    throw Napi::TypeError::New(env, "start(onFrames, onWritable, onError)");
  }
  poll_ = static_cast<uv_poll_t*>(malloc(sizeof(uv_poll_t)));
  if (poll_ == nullptr) throw Napi::Error::New(env, "out of memory");
  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(env, &loop);
  int rc = uv_poll_init(loop, poll_, fd_);
  if (rc < 0) {
    free(poll_);
    poll_ = nullptr;
    throw systemError(env, -rc, "uv_poll_init", "cannot poll the TAP descriptor");
  }
  poll_->data = this;
  if (!referenced_) uv_unref(reinterpret_cast<uv_handle_t*>(poll_));
  onFrames_ = Napi::Persistent(info[0].As<Napi::Function>());
  onWritable_ = Napi::Persistent(info[1].As<Napi::Function>());
  onError_ = Napi::Persistent(info[2].As<Napi::Function>());
  context_ = std::make_unique<Napi::AsyncContext>(env, "usernet:tap");
  started_ = true;
  napi_add_env_cleanup_hook(env, &TapHandle::OnEnvCleanup, this);
  cleanupHook_ = true;
  // Stay alive while polled: the JavaScript object may be unreachable but still delivering.
  Napi::ObjectWrap<TapHandle>::Ref();
  selfRef_ = true;
  UpdatePoll();
  return env.Undefined();
}

void TapHandle::UpdatePoll() {
  if (poll_ == nullptr || failed_) return;
  int events = UV_READABLE | (wantWritable_ ? UV_WRITABLE : 0);
  uv_poll_start(poll_, events, &TapHandle::OnPoll);
}

void TapHandle::OnPoll(uv_poll_t* poll, int status, int events) {
  TapHandle* self = static_cast<TapHandle*>(poll->data);
  if (self == nullptr || self->fd_ < 0) return;
  Napi::Env env = self->Env();
  Napi::HandleScope scope(env);
  if (status < 0) {
    // libuv reports POLLERR as UV_EBADF and stops the handle; a read tells the real cause
    // (EBADFD once the device is deleted) and fails with it.
    self->DrainReadable(env);
    if (self->fd_ >= 0 && !self->failed_) self->Fail(env, -status, "poll");
    return;
  }
  if (events & UV_READABLE) self->DrainReadable(env);
  if (self->fd_ >= 0 && (events & UV_WRITABLE) && self->wantWritable_) {
    self->Call(env, self->onWritable_, {});
  }
}

// Reads up to one batch. The poll is level-triggered, so frames left over are read on the next
// loop iteration, after other handles had their turn: a flood cannot starve the event loop.
void TapHandle::DrainReadable(Napi::Env env) {
  size_t count = 0;
  while (count < batch_) {
    uint8_t* slot = rx_ + count * slot_;
    ssize_t n = read(fd_, slot, slot_);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      int err = errno;
      if (count > 0) Call(env, onFrames_, {Napi::Number::New(env, count)});
      Fail(env, err, "read");
      return;
    }
    // A frame filling the whole slot may have been cut short by the kernel: drop it.
    if (static_cast<size_t>(n) >= slot_) {
      rxOversize_++;
      continue;
    }
    // The kernel writes the whole header before every frame; a shorter read is not a frame.
    if (static_cast<size_t>(n) < vnetHeaderLen_) continue;
    if (vnetHeaderLen_ > 0 && rxFlags_ != nullptr) rxFlags_[count] = rxFlagsOf(slot);
    rxLengths_[count++] = static_cast<uint32_t>(static_cast<size_t>(n) - vnetHeaderLen_);
  }
  if (count > 0) Call(env, onFrames_, {Napi::Number::New(env, count)});
}

void TapHandle::Call(Napi::Env env, Napi::FunctionReference& fn,
                     const std::initializer_list<napi_value>& args) {
  if (fn.IsEmpty()) return;
  try {
    fn.MakeCallback(env.Global(), args, *context_);
  } catch (const Napi::Error& e) {
    // No JavaScript is below us on the stack: report it the way Node reports an exception
    // thrown from an I/O callback ('uncaughtException', or exit).
    napi_fatal_exception(env, e.Value());
  }
}

void TapHandle::Fail(Napi::Env env, int err, const char* syscall) {
  failed_ = true;
  if (poll_ != nullptr) uv_poll_stop(poll_);
  Call(env, onError_, {systemError(env, err, syscall, std::string("TAP ") + syscall + " failed").Value()});
}

Napi::Value TapHandle::WriteFrames(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsArray() || !info[1].IsNumber()) {
    throw Napi::TypeError::New(env, "writeFrames(frames, from)");
  }
  if (fd_ < 0) throw Napi::Error::New(env, "TAP handle is closed");
  Napi::Array frames = info[0].As<Napi::Array>();
  uint32_t length = frames.Length();
  uint32_t i = info[1].As<Napi::Number>().Uint32Value();
  for (; i < length; i++) {
    Napi::Value v = frames.Get(i);
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
      throw Napi::TypeError::New(env, "frames must be Uint8Arrays");
    }
    Napi::Uint8Array frame = v.As<Napi::Uint8Array>();
    ssize_t n;
    if (vnetHeaderLen_ == 0) {
      do {
        n = write(fd_, frame.Data(), frame.ByteLength());
      } while (n < 0 && errno == EINTR);
    } else {
      // The header goes in front of the frame without copying it: two iovecs, one write.
      uint8_t header[kVnetHeaderLen];
      bool segmented = buildTxHeader(frame.Data(), frame.ByteLength(), txOffloads_, vnetLittleEndian_, header);
      struct iovec iov[2] = {{header, vnetHeaderLen_}, {frame.Data(), frame.ByteLength()}};
      do {
        n = writev(fd_, iov, 2);
      } while (n < 0 && errno == EINTR);
      if (n >= 0 && segmented) txSegmented_++;
    }
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == EBADFD || errno == EBADF) {
        throw systemError(env, errno, "write", "TAP device is gone");
      }
      // EINVAL (bad length), EIO (link down), ENOMEM: this frame is lost, the next may pass.
      txErrors_++;
    }
  }
  return Napi::Number::New(env, i);
}

Napi::Value TapHandle::WantWritable(const Napi::CallbackInfo& info) {
  bool on = info.Length() > 0 && info[0].ToBoolean();
  if (on != wantWritable_) {
    wantWritable_ = on;
    if (fd_ >= 0) UpdatePoll();
  }
  return info.Env().Undefined();
}

Napi::Value TapHandle::Ref(const Napi::CallbackInfo& info) {
  referenced_ = true;
  if (poll_ != nullptr) uv_ref(reinterpret_cast<uv_handle_t*>(poll_));
  return info.Env().Undefined();
}

Napi::Value TapHandle::Unref(const Napi::CallbackInfo& info) {
  referenced_ = false;
  if (poll_ != nullptr) uv_unref(reinterpret_cast<uv_handle_t*>(poll_));
  return info.Env().Undefined();
}

Napi::Value TapHandle::Close(const Napi::CallbackInfo& info) {
  Shutdown();
  onFrames_.Reset();
  onWritable_.Reset();
  onError_.Reset();
  if (selfRef_) {
    selfRef_ = false;
    Napi::ObjectWrap<TapHandle>::Unref();
  }
  return info.Env().Undefined();
}

Napi::Value TapHandle::TxErrors(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), txErrors_);
}

Napi::Value TapHandle::RxOversize(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), rxOversize_);
}

Napi::Value TapHandle::TxSegmented(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), txSegmented_);
}

}  // namespace usernet_tap
