// TapHandle: the TAP descriptor driven by a libuv poll handle. On readable it drains up to a
// batch of frames into slots of a buffer owned by JavaScript and calls JavaScript once with the
// count; writes take many frames in one call and stop at EAGAIN, leaving the rest to the caller
// (drivers/tap/tap-driver.ts keeps the bounded queue and asks for a writable notification).
#pragma once

#include <napi.h>
#include <uv.h>

#include <memory>

#include "vnet.h"

namespace usernet_tap {

class TapHandle : public Napi::ObjectWrap<TapHandle> {
 public:
  static Napi::Function Define(Napi::Env env);

  // new TapHandle(fd, rxBuffer: Uint8Array, rxLengths: Uint32Array, slotSize,
  //               vnetHeaderLen = 0, vnetLittleEndian = true, rxFlags?: Uint8Array)
  // With a virtio-net header (vnetHeaderLen > 0) each slot holds the header and then the frame:
  // the frame starts vnetHeaderLen bytes into its slot, rxLengths counts only the frame, and
  // rxFlags (one byte per slot, vnet.h kRx*) says what the header told.
  explicit TapHandle(const Napi::CallbackInfo& info);
  ~TapHandle() override;

 private:
  // start(onFrames(count), onWritable(), onError(err)): begins polling for readable.
  Napi::Value Start(const Napi::CallbackInfo& info);
  // writeFrames(frames: Uint8Array[], from): index of the first frame not yet written.
  Napi::Value WriteFrames(const Napi::CallbackInfo& info);
  // setReceiveSlots(rxBuffer, rxLengths, slotSize, rxFlags?): new receive slots (larger ones once
  // the kernel may hand over coalesced frames). Only before start.
  Napi::Value SetReceiveSlots(const Napi::CallbackInfo& info);
  // setTransmitOffloads(tcpChecksum, segmentation, mtu): what the headers we write ask for.
  Napi::Value SetTransmitOffloads(const Napi::CallbackInfo& info);
  // wantWritable(on): adds or removes UV_WRITABLE interest.
  Napi::Value WantWritable(const Napi::CallbackInfo& info);
  Napi::Value Ref(const Napi::CallbackInfo& info);
  Napi::Value Unref(const Napi::CallbackInfo& info);
  // close(): stops polling and closes the descriptor. Idempotent.
  Napi::Value Close(const Napi::CallbackInfo& info);
  // Counters the JavaScript side cannot see: frames the kernel refused, oversize frames.
  Napi::Value TxErrors(const Napi::CallbackInfo& info);
  Napi::Value RxOversize(const Napi::CallbackInfo& info);
  Napi::Value TxSegmented(const Napi::CallbackInfo& info);

  static void OnPoll(uv_poll_t* poll, int status, int events);
  static void OnEnvCleanup(void* self);
  void Shutdown();
  void DrainReadable(Napi::Env env);
  void Call(Napi::Env env, Napi::FunctionReference& fn, const std::initializer_list<napi_value>& args);
  void Fail(Napi::Env env, int err, const char* syscall);
  void AdoptSlots(Napi::Env env, const Napi::Value& buffer, const Napi::Value& lengths, const Napi::Value& slot,
                  const Napi::Value& flags);
  void UpdatePoll();
  void ReleasePoll();

  int fd_ = -1;
  uint8_t* rx_ = nullptr;          // rxBuffer's bytes: `batch_` slots of `slot_` bytes
  uint32_t* rxLengths_ = nullptr;  // frame length per slot, read by JavaScript after onFrames
  uint8_t* rxFlags_ = nullptr;     // per slot, vnet.h kRx*; null without a virtio-net header
  size_t batch_ = 0;
  size_t slot_ = 0;
  size_t vnetHeaderLen_ = 0;       // 0: plain frames both ways
  bool vnetLittleEndian_ = true;
  TxOffloads txOffloads_;
  Napi::Reference<Napi::Uint8Array> rxBufferRef_;
  Napi::Reference<Napi::Uint32Array> rxLengthsRef_;
  Napi::Reference<Napi::Uint8Array> rxFlagsRef_;
  Napi::FunctionReference onFrames_;
  Napi::FunctionReference onWritable_;
  Napi::FunctionReference onError_;
  std::unique_ptr<Napi::AsyncContext> context_;
  uv_poll_t* poll_ = nullptr;  // malloc'd: freed by its close callback, maybe after this object
  bool started_ = false;
  bool failed_ = false;  // a read or poll failed: polling stopped for good
  bool wantWritable_ = false;
  bool referenced_ = true;
  bool selfRef_ = false;
  bool cleanupHook_ = false;  // OnEnvCleanup is registered
  double txErrors_ = 0;
  double rxOversize_ = 0;
  double txSegmented_ = 0;
};

}  // namespace usernet_tap
