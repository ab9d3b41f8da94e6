// TAP device control: the ioctls JavaScript cannot make (Linux tun/tap, see the kernel's
// Documentation/networking/tuntap.rst). Every function returns 0 or a negative errno and
// never throws; addon.cc turns failures into JavaScript errors.
#pragma once

#include <cstdint>
#include <string>

namespace usernet_tap {

// The virtio-net header (include/uapi/linux/virtio_net.h, struct virtio_net_hdr) that precedes
// every frame in both directions once IFF_VNET_HDR is set: 10 bytes, its 16-bit fields in the
// byte order TUNSETVNETLE chose (little-endian), or the host's on kernels without that ioctl.
constexpr size_t kVnetHeaderLen = 10;

struct OpenResult {
  int fd = -1;          // the TAP descriptor, O_CLOEXEC, O_NONBLOCK unless asked otherwise
  std::string name;     // the kernel side's interface name (chosen by the kernel if none given)
  int err = 0;          // 0, or a positive errno
  const char* syscall = "";  // which call failed: "open", "ioctl(TUNSETIFF)", "ioctl(TUNSETVNETHDRSZ)" …
  size_t vnetHeaderLen = 0;    // kVnetHeaderLen when opened with a virtio-net header, else 0
  bool vnetLittleEndian = true;  // the header's byte order (see kVnetHeaderLen)
};

// Opens `devicePath` (normally /dev/net/tun) and attaches it to TAP interface `name`
// (IFF_TAP | IFF_NO_PI); an empty name lets the kernel choose tapN. With `vnetHeader`, also
// IFF_VNET_HDR: the header size is set to kVnetHeaderLen, its byte order to little-endian where
// the kernel allows (TUNSETVNETLE), and the offloads to none (TUNSETOFFLOAD 0), so that until
// setOffload says otherwise the kernel hands over complete frames with checksums filled in.
OpenResult openTap(const std::string& devicePath, const std::string& name, bool nonBlocking, bool vnetHeader);

// TUNSETOFFLOAD: which TUN_F_* work the kernel may leave to us in the frames it hands over
// (partial checksums, unsegmented TCP). Needs a descriptor opened with a virtio-net header.
int setOffload(int fd, unsigned flags);

// TUNSETPERSIST on the TAP descriptor: a persistent device outlives the descriptor.
int setPersist(int fd, bool persist);
// TUNGETIFF: the interface's current name. Works in whatever namespace the device is now.
int interfaceName(int fd, std::string& out);
// SIOCGIFHWADDR / SIOCSIFHWADDR on the TAP descriptor itself, so they keep working after the
// device moves into another network namespace.
int getMac(int fd, uint8_t out[6]);
int setMac(int fd, const uint8_t mac[6]);
// SIOCSIFMTU and SIOCSIFFLAGS (IFF_UP) by name through an AF_INET datagram socket: these only
// reach devices in the caller's network namespace, so call them before moving the device.
int setMtu(const std::string& name, int mtu);
int getMtu(const std::string& name, int& mtu);
int setUp(const std::string& name, bool up);

}  // namespace usernet_tap
