// The virtio-net header: see vnet.h.
#include "vnet.h"

#include <cstring>

#include "device.h"

namespace usernet_tap {

namespace {

constexpr size_t kEthernetHeader = 14;
constexpr uint16_t kEtherTypeIpv4 = 0x0800;
constexpr uint16_t kEtherTypeIpv6 = 0x86dd;
constexpr uint8_t kProtocolTcp = 6;
constexpr size_t kIpv4MinHeader = 20;
constexpr size_t kIpv6Header = 40;
constexpr size_t kTcpMinHeader = 20;
constexpr size_t kTcpChecksumOffset = 16;  // RFC 9293 §3.1: the checksum field's offset
constexpr uint8_t kTcpCwr = 0x80;
// Header field offsets (struct virtio_net_hdr).
constexpr size_t kFlags = 0, kGsoType = 1, kHdrLen = 2, kGsoSize = 4, kCsumStart = 6, kCsumOffset = 8;

uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }

void put16(uint8_t* p, uint16_t v, bool littleEndian) {
  if (littleEndian) {
    p[0] = static_cast<uint8_t>(v);
    p[1] = static_cast<uint8_t>(v >> 8);
  } else {
    p[0] = static_cast<uint8_t>(v >> 8);
    p[1] = static_cast<uint8_t>(v);
  }
}

}  // namespace

uint8_t rxFlagsOf(const uint8_t* header) {
  uint8_t out = 0;
  if (header[kFlags] & (kVnetFlagNeedsCsum | kVnetFlagDataValid)) out |= kRxVouched;
  if ((header[kGsoType] & ~kVnetGsoEcn) != kVnetGsoNone) out |= kRxCoalesced;
  return out;
}

bool buildTxHeader(const uint8_t* frame, size_t length, const TxOffloads& offloads, bool littleEndian,
                   uint8_t* header) {
  std::memset(header, 0, kVnetHeaderLen);
  if (!offloads.tcpChecksum || length < kEthernetHeader) return false;
  const uint8_t* ip = frame + kEthernetHeader;
  const size_t ipBytes = length - kEthernetHeader;
  size_t ipHeader;
  size_t ipLength;
  uint8_t gsoType;
  switch (be16(frame + 12)) {
    case kEtherTypeIpv4:
      // RFC 791: version 4, IHL 5 (no options), protocol TCP, neither MF nor a fragment offset.
      if (ipBytes < kIpv4MinHeader || ip[0] != 0x45 || ip[9] != kProtocolTcp) return false;
      if ((be16(ip + 6) & 0x3fff) != 0) return false;
      ipHeader = kIpv4MinHeader;
      ipLength = be16(ip + 2);
      gsoType = kVnetGsoTcpV4;
      break;
    case kEtherTypeIpv6:
      // RFC 8200: version 6, Next Header TCP straight after the fixed header.
      if (ipBytes < kIpv6Header || (ip[0] >> 4) != 6 || ip[6] != kProtocolTcp) return false;
      ipHeader = kIpv6Header;
      ipLength = kIpv6Header + be16(ip + 4);
      gsoType = kVnetGsoTcpV6;
      break;
    default:
      return false;  // ARP, VLAN-tagged, anything else: a plain frame
  }
  if (ipLength > ipBytes || ipLength < ipHeader + kTcpMinHeader) return false;
  const uint8_t* tcp = ip + ipHeader;
  const size_t tcpHeader = static_cast<size_t>(tcp[12] >> 4) * 4;
  if (tcpHeader < kTcpMinHeader || ipHeader + tcpHeader > ipLength) return false;
  const size_t l4 = kEthernetHeader + ipHeader;
  header[kFlags] = kVnetFlagNeedsCsum;
  put16(header + kCsumStart, static_cast<uint16_t>(l4), littleEndian);
  put16(header + kCsumOffset, kTcpChecksumOffset, littleEndian);
  if (!offloads.segmentation || ipLength <= offloads.mtu || offloads.mtu <= ipHeader + tcpHeader) return false;
  header[kGsoType] = static_cast<uint8_t>(gsoType | ((tcp[13] & kTcpCwr) ? kVnetGsoEcn : 0));
  put16(header + kHdrLen, static_cast<uint16_t>(l4 + tcpHeader), littleEndian);
  put16(header + kGsoSize, static_cast<uint16_t>(offloads.mtu - ipHeader - tcpHeader), littleEndian);
  return true;
}

}  // namespace usernet_tap
