// TAP device control through ioctls; see device.h.
#include "device.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_arp.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace usernet_tap {

namespace {

// Fills ifr_name, refusing names that do not fit IFNAMSIZ (15 characters and a NUL).
bool fillName(struct ifreq& ifr, const std::string& name) {
  std::memset(&ifr, 0, sizeof ifr);
  if (name.size() >= IFNAMSIZ) return false;
  std::memcpy(ifr.ifr_name, name.data(), name.size());
  return true;
}

// Runs one ioctl on a throwaway AF_INET datagram socket, the classic way to configure links.
int socketIoctl(unsigned long request, struct ifreq& ifr) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return -errno;
  int rc = ioctl(s, request, &ifr) < 0 ? -errno : 0;
  close(s);
  return rc;
}

}  // namespace

OpenResult openTap(const std::string& devicePath, const std::string& name, bool nonBlocking, bool vnetHeader) {
  OpenResult r;
  struct ifreq ifr;
  if (!fillName(ifr, name)) {
    r.err = EINVAL;
    r.syscall = "ioctl(TUNSETIFF)";
    return r;
  }
  int fd = open(devicePath.c_str(), O_RDWR | O_CLOEXEC | (nonBlocking ? O_NONBLOCK : 0));
  if (fd < 0) {
    r.err = errno;
    r.syscall = "open";
    return r;
  }
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (vnetHeader ? IFF_VNET_HDR : 0);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    r.err = errno;
    r.syscall = "ioctl(TUNSETIFF)";
    close(fd);
    return r;
  }
  if (vnetHeader) {
    int size = static_cast<int>(kVnetHeaderLen);
    const char* failed = nullptr;
    if (ioctl(fd, TUNSETVNETHDRSZ, &size) < 0) failed = "ioctl(TUNSETVNETHDRSZ)";
    // tuntap.rst: without TUNSETVNETLE the header is in the host's byte order ("legacy" virtio);
    // with it, little-endian on every host. Kernels that lack it keep the host's order.
    r.vnetLittleEndian = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;
#ifdef TUNSETVNETLE
    int le = 1;
    if (failed == nullptr && ioctl(fd, TUNSETVNETLE, &le) == 0) r.vnetLittleEndian = true;
#endif
    if (failed == nullptr && ioctl(fd, TUNSETOFFLOAD, 0u) < 0) failed = "ioctl(TUNSETOFFLOAD)";
    if (failed != nullptr) {
      r.err = errno;
      r.syscall = failed;
      close(fd);
      return r;
    }
    r.vnetHeaderLen = kVnetHeaderLen;
  }
  r.fd = fd;
  r.name.assign(ifr.ifr_name, strnlen(ifr.ifr_name, IFNAMSIZ));
  return r;
}

int setOffload(int fd, unsigned flags) {
  return ioctl(fd, TUNSETOFFLOAD, flags) < 0 ? -errno : 0;
}

int setPersist(int fd, bool persist) {
  return ioctl(fd, TUNSETPERSIST, persist ? 1 : 0) < 0 ? -errno : 0;
}

int interfaceName(int fd, std::string& out) {
  struct ifreq ifr;
  std::memset(&ifr, 0, sizeof ifr);
  if (ioctl(fd, TUNGETIFF, &ifr) < 0) return -errno;
  out.assign(ifr.ifr_name, strnlen(ifr.ifr_name, IFNAMSIZ));
  return 0;
}

int getMac(int fd, uint8_t out[6]) {
  struct ifreq ifr;
  std::memset(&ifr, 0, sizeof ifr);
  if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) return -errno;
  std::memcpy(out, ifr.ifr_hwaddr.sa_data, 6);
  return 0;
}

int setMac(int fd, const uint8_t mac[6]) {
  struct ifreq ifr;
  std::memset(&ifr, 0, sizeof ifr);
  ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
  std::memcpy(ifr.ifr_hwaddr.sa_data, mac, 6);
  return ioctl(fd, SIOCSIFHWADDR, &ifr) < 0 ? -errno : 0;
}

int setMtu(const std::string& name, int mtu) {
  struct ifreq ifr;
  if (!fillName(ifr, name)) return -EINVAL;
  ifr.ifr_mtu = mtu;
  return socketIoctl(SIOCSIFMTU, ifr);
}

int getMtu(const std::string& name, int& mtu) {
  struct ifreq ifr;
  if (!fillName(ifr, name)) return -EINVAL;
  int rc = socketIoctl(SIOCGIFMTU, ifr);
  if (rc == 0) mtu = ifr.ifr_mtu;
  return rc;
}

int setUp(const std::string& name, bool up) {
  struct ifreq ifr;
  if (!fillName(ifr, name)) return -EINVAL;
  int rc = socketIoctl(SIOCGIFFLAGS, ifr);
  if (rc < 0) return rc;
  if (up) ifr.ifr_flags |= IFF_UP;
  else ifr.ifr_flags &= ~IFF_UP;
  return socketIoctl(SIOCSIFFLAGS, ifr);
}

}  // namespace usernet_tap
