// The usernet TAP addon's entry: device control functions (device.h), the TapHandle class
// (handle.h) and the LoopPoller class (loop-poll.h). The TypeScript side (native.ts) describes
// this surface with types.
#include <napi.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <unistd.h>

#include "device.h"
#include "errors.h"
#include "handle.h"
#include "loop-poll.h"
#include "vnet.h"

namespace usernet_tap {

namespace {

std::string describeOpenError(const OpenResult& r, const std::string& path, const std::string& name) {
  const std::string dev = name.empty() ? "a TAP device" : "TAP device " + name;
  if (std::strcmp(r.syscall, "open") == 0) {
    switch (r.err) {
      case ENOENT: return "cannot open " + path + ": no such file (is the tun module loaded?)";
      case ENODEV: return "cannot open " + path + ": no tun driver in this kernel";
      case EACCES:
      case EPERM: return "cannot open " + path + ": permission denied (needs root or CAP_NET_ADMIN)";
      default: return "cannot open " + path + ": " + std::strerror(r.err);
    }
  }
  if (std::strcmp(r.syscall, "ioctl(TUNSETIFF)") != 0) {
    return "cannot set up the virtio-net header of " + dev + ": " + r.syscall + ": " + std::strerror(r.err);
  }
  switch (r.err) {
    case EPERM: return "cannot create " + dev + ": operation not permitted (needs CAP_NET_ADMIN)";
    case EBUSY: return "cannot create " + dev + ": the device is in use by another descriptor";
    case EINVAL: return "cannot create " + dev + ": invalid name or the name belongs to a non-TAP device";
    default: return "cannot create " + dev + ": " + std::strerror(r.err);
  }
}

void check(Napi::Env env, int rc, const char* syscall, const std::string& what) {
  if (rc < 0) throw systemError(env, -rc, syscall, what + ": " + std::strerror(-rc));
}

std::string stringArg(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsString()) throw Napi::TypeError::New(info.Env(), "expected a string");
  return info[i].As<Napi::String>().Utf8Value();
}

int intArg(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), "expected a number");
  return info[i].As<Napi::Number>().Int32Value();
}

// openTap(devicePath, name, nonBlocking, vnetHeader = false)
//   → { fd, name, vnetHeaderLen, vnetLittleEndian }
Napi::Value OpenTap(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = stringArg(info, 0);
  std::string name = stringArg(info, 1);
  bool nonBlocking = info.Length() < 3 || info[2].ToBoolean();
  bool vnetHeader = info.Length() > 3 && info[3].ToBoolean();
  OpenResult r = openTap(path, name, nonBlocking, vnetHeader);
  if (r.fd < 0) throw systemError(env, r.err, r.syscall, describeOpenError(r, path, name));
  Napi::Object out = Napi::Object::New(env);
  out.Set("fd", Napi::Number::New(env, r.fd));
  out.Set("name", Napi::String::New(env, r.name));
  out.Set("vnetHeaderLen", Napi::Number::New(env, static_cast<double>(r.vnetHeaderLen)));
  out.Set("vnetLittleEndian", Napi::Boolean::New(env, r.vnetLittleEndian));
  return out;
}

// vnetTxHeader(frame, tcpChecksum, segmentation, mtu, littleEndian) → the 10-byte virtio-net
// header writeFrames would put in front of `frame` (vnet.h buildTxHeader), for tests and tools.
Napi::Value VnetTxHeader(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 5 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array ||
      !info[3].IsNumber()) {
    throw Napi::TypeError::New(env, "vnetTxHeader(frame: Uint8Array, tcpChecksum, segmentation, mtu, littleEndian)");
  }
  Napi::Uint8Array frame = info[0].As<Napi::Uint8Array>();
  TxOffloads o;
  o.tcpChecksum = info[1].ToBoolean();
  o.segmentation = o.tcpChecksum && info[2].ToBoolean();
  o.mtu = static_cast<size_t>(std::max<int64_t>(0, info[3].As<Napi::Number>().Int64Value()));
  Napi::Uint8Array out = Napi::Uint8Array::New(env, kVnetHeaderLen);
  buildTxHeader(frame.Data(), frame.ByteLength(), o, info[4].ToBoolean(), out.Data());
  return out;
}

// vnetRxFlags(header: Uint8Array) → the rxFlags bits (vnet.h kRx*) a received header gives.
Napi::Value VnetRxFlags(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array ||
      info[0].As<Napi::Uint8Array>().ByteLength() < kVnetHeaderLen) {
    throw Napi::TypeError::New(env, "vnetRxFlags(header: Uint8Array of 10 bytes)");
  }
  return Napi::Number::New(env, rxFlagsOf(info[0].As<Napi::Uint8Array>().Data()));
}

// setOffload(fd, flags): TUNSETOFFLOAD with TUN_F_* bits.
Napi::Value SetOffload(const Napi::CallbackInfo& info) {
  check(info.Env(), setOffload(intArg(info, 0), static_cast<unsigned>(intArg(info, 1))), "ioctl(TUNSETOFFLOAD)",
        "cannot set the offloads");
  return info.Env().Undefined();
}

Napi::Value CloseFd(const Napi::CallbackInfo& info) {
  close(intArg(info, 0));
  return info.Env().Undefined();
}

Napi::Value SetPersist(const Napi::CallbackInfo& info) {
  check(info.Env(), setPersist(intArg(info, 0), info[1].ToBoolean()), "ioctl(TUNSETPERSIST)",
        "cannot change persistence");
  return info.Env().Undefined();
}

Napi::Value InterfaceName(const Napi::CallbackInfo& info) {
  std::string name;
  check(info.Env(), interfaceName(intArg(info, 0), name), "ioctl(TUNGETIFF)", "cannot read the name");
  return Napi::String::New(info.Env(), name);
}

Napi::Value GetMac(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Uint8Array mac = Napi::Uint8Array::New(env, 6);
  check(env, getMac(intArg(info, 0), mac.Data()), "ioctl(SIOCGIFHWADDR)", "cannot read the MAC");
  return mac;
}

Napi::Value SetMac(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().ByteLength() != 6 ||
      info[1].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(env, "setMac(fd, mac: 6-byte Uint8Array)");
  }
  check(env, setMac(intArg(info, 0), info[1].As<Napi::Uint8Array>().Data()), "ioctl(SIOCSIFHWADDR)",
        "cannot set the MAC");
  return env.Undefined();
}

Napi::Value SetMtu(const Napi::CallbackInfo& info) {
  check(info.Env(), setMtu(stringArg(info, 0), intArg(info, 1)), "ioctl(SIOCSIFMTU)", "cannot set the MTU");
  return info.Env().Undefined();
}

Napi::Value GetMtu(const Napi::CallbackInfo& info) {
  int mtu = 0;
  check(info.Env(), getMtu(stringArg(info, 0), mtu), "ioctl(SIOCGIFMTU)", "cannot read the MTU");
  return Napi::Number::New(info.Env(), mtu);
}

Napi::Value SetUp(const Napi::CallbackInfo& info) {
  check(info.Env(), setUp(stringArg(info, 0), info[1].ToBoolean()), "ioctl(SIOCSIFFLAGS)",
        "cannot change the link state");
  return info.Env().Undefined();
}

}  // namespace

}  // namespace usernet_tap

static Napi::Object InitTapAddon(Napi::Env env, Napi::Object exports) {
  using namespace usernet_tap;
  exports.Set("openTap", Napi::Function::New(env, OpenTap));
  exports.Set("setOffload", Napi::Function::New(env, SetOffload));
  exports.Set("vnetTxHeader", Napi::Function::New(env, VnetTxHeader));
  exports.Set("vnetRxFlags", Napi::Function::New(env, VnetRxFlags));
  exports.Set("closeFd", Napi::Function::New(env, CloseFd));
  exports.Set("setPersist", Napi::Function::New(env, SetPersist));
  exports.Set("interfaceName", Napi::Function::New(env, InterfaceName));
  exports.Set("getMac", Napi::Function::New(env, GetMac));
  exports.Set("setMac", Napi::Function::New(env, SetMac));
  exports.Set("setMtu", Napi::Function::New(env, SetMtu));
  exports.Set("getMtu", Napi::Function::New(env, GetMtu));
  exports.Set("setUp", Napi::Function::New(env, SetUp));
  exports.Set("TapHandle", TapHandle::Define(env));
  exports.Set("LoopPoller", LoopPoller::Define(env));
  return exports;
}

NODE_API_MODULE(usernet_tap, InitTapAddon)
