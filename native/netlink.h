// rtnetlink over a raw NETLINK_ROUTE socket (no libnl): building requests and
// reading the kernel's answers. A socket acts in the network namespace the calling
// thread was in when it was opened; open it in RunInNetns work. Every failure
// throws SysError(op, object, errno), e.g. "veth create pkabcde-1: File exists".
// The operations built on it: links.h (links, addresses), qdisc.h (traffic control).
#pragma once

#include <linux/netlink.h>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "fd.h"

namespace pk {

// One rtnetlink request being built: nlmsghdr, a family header, attributes.
class NetlinkMessage {
 public:
  NetlinkMessage(uint16_t type, uint16_t flags);
  // Appends the family header (ifinfomsg, ifaddrmsg…) right after nlmsghdr.
  template <typename T>
  T* AddHeader() {
    return static_cast<T*>(Reserve(sizeof(T)));
  }
  void Put(uint16_t type, const void* data, size_t length);
  void PutString(uint16_t type, const std::string& value);
  void PutU32(uint16_t type, uint32_t value) { Put(type, &value, sizeof(value)); }
  // Nested attribute: BeginNest returns its offset; EndNest fixes its length.
  size_t BeginNest(uint16_t type);
  void EndNest(size_t offset);
  // Room for a raw struct inside a nest (e.g. the veth peer's ifinfomsg).
  void* Reserve(size_t length);

  nlmsghdr* header() { return reinterpret_cast<nlmsghdr*>(buffer_.data()); }

 private:
  std::vector<char> buffer_;
};

class NetlinkSocket {
 public:
  // Opens a NETLINK_ROUTE socket in the calling thread's current namespace.
  explicit NetlinkSocket(const std::string& op);
  // Sends `message` with NLM_F_ACK and waits for the kernel's ack; answers that
  // come before it (e.g. the link of an RTM_GETLINK) go to `each`.
  void Request(NetlinkMessage& message, const std::string& op, const std::string& object,
               const std::function<void(const nlmsghdr*)>& each = nullptr);
  // Sends a dump request and calls `each` for every answer message.
  void Dump(NetlinkMessage& message, const std::string& op, const std::string& object,
            const std::function<void(const nlmsghdr*)>& each);

 private:
  void Send(NetlinkMessage& message, const std::string& op, const std::string& object);
  UniqueFd fd_;
  uint32_t seq_ = 0;
};

}  // namespace pk
