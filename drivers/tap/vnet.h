// The virtio-net header in front of each TAP frame once IFF_VNET_HDR is set (kernel's
// include/uapi/linux/virtio_net.h, Documentation/networking/tuntap.rst): reading the one the
// kernel writes on frames it hands over, and building the one we write on frames we send.
#pragma once

#include <cstddef>
#include <cstdint>

namespace usernet_tap {

// VIRTIO_NET_HDR_F_* and VIRTIO_NET_HDR_GSO_*.
constexpr uint8_t kVnetFlagNeedsCsum = 1;
constexpr uint8_t kVnetFlagDataValid = 2;
constexpr uint8_t kVnetGsoNone = 0;
constexpr uint8_t kVnetGsoTcpV4 = 1;
constexpr uint8_t kVnetGsoTcpV6 = 4;
constexpr uint8_t kVnetGsoEcn = 0x80;

// What the receive path reports per frame (the rxFlags array JavaScript reads).
constexpr uint8_t kRxVouched = 1;    // NEEDS_CSUM or DATA_VALID: the L4 checksum is not to be checked
constexpr uint8_t kRxCoalesced = 2;  // gso_type set: a TCP segment larger than the MTU

// The rxFlags bits of a header the kernel wrote (at least kVnetHeaderLen bytes).
uint8_t rxFlagsOf(const uint8_t* header);

// What the transmit side may ask of the kernel, as agreed with the stack (stack/link.ts).
struct TxOffloads {
  bool tcpChecksum = false;  // TCP segments carry a partial checksum: ask the kernel to finish it
  bool segmentation = false;  // TCP segments larger than `mtu` are to be cut by the kernel
  size_t mtu = 0;             // the link MTU (IP packet bytes)
};

// Writes the header for Ethernet `frame` into `header` (kVnetHeaderLen bytes), all zero unless
// the frame is TCP over IPv4 without options (and not a fragment) or over IPv6 without extension
// headers, and checksum offload is on: then NEEDS_CSUM with csum_start at the TCP header and
// csum_offset 16; if the IP packet is also larger than the MTU and segmentation is on,
// gso_type TCPV4/TCPV6 (with ECN when CWR is set), gso_size = MTU − IP header − TCP header
// (options included) and hdr_len = every header. Returns true when the frame is to be segmented.
bool buildTxHeader(const uint8_t* frame, size_t length, const TxOffloads& offloads, bool littleEndian,
                   uint8_t* header);

}  // namespace usernet_tap
