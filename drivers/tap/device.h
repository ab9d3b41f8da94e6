// TAP device control: the ioctls JavaScript cannot make (Linux tun/tap, see the kernel's
// Documentation/networking/tuntap.rst). Every function returns 0 or a negative errno and
// never throws; addon.cc turns failures into JavaScript errors.
#pragma once

#include <cstdint>
#include <string>

namespace usernet_tap {

struct OpenResult {
  int fd = -1;          // the TAP descriptor, O_CLOEXEC, O_NONBLOCK unless asked otherwise
  std::string name;     // the kernel side's interface name (chosen by the kernel if none given)
  int err = 0;          // 0, or a positive errno
  const char* syscall = "";  // which call failed: "open" or "ioctl(TUNSETIFF)"
};

// Opens `devicePath` (normally /dev/net/tun) and attaches it to TAP interface `name`
// (IFF_TAP | IFF_NO_PI); an empty name lets the kernel choose tapN.
OpenResult openTap(const std::string& devicePath, const std::string& name, bool nonBlocking);

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
