// rtnetlink transport: requests built by hand on a raw NETLINK_ROUTE socket, and
// the kernel's answers (with its extended-ack text on failure).
#include "netlink.h"

#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "errors.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

namespace pk {

// ---- message building -------------------------------------------------------

NetlinkMessage::NetlinkMessage(uint16_t type, uint16_t flags) {
  // Reserved up front so pointers returned by AddHeader/Reserve stay valid while
  // a request is built (requests here are a few hundred bytes).
  buffer_.reserve(4096);
  buffer_.resize(NLMSG_HDRLEN, 0);
  header()->nlmsg_len = NLMSG_HDRLEN;
  header()->nlmsg_type = type;
  header()->nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | flags);
}

void* NetlinkMessage::Reserve(size_t length) {
  size_t offset = buffer_.size();
  size_t grown = offset + NLMSG_ALIGN(length);
  if (grown > buffer_.capacity()) throw SysError("netlink message build", "request", EMSGSIZE);
  buffer_.resize(grown, 0);
  header()->nlmsg_len = static_cast<uint32_t>(buffer_.size());
  return buffer_.data() + offset;
}

void NetlinkMessage::Put(uint16_t type, const void* data, size_t length) {
  auto* attr = static_cast<rtattr*>(Reserve(RTA_SPACE(length)));
  attr->rta_type = type;
  attr->rta_len = static_cast<uint16_t>(RTA_LENGTH(length));
  if (length > 0) std::memcpy(RTA_DATA(attr), data, length);
}

void NetlinkMessage::PutString(uint16_t type, const std::string& value) { Put(type, value.c_str(), value.size() + 1); }

size_t NetlinkMessage::BeginNest(uint16_t type) {
  size_t offset = buffer_.size();
  Put(type, nullptr, 0);
  return offset;
}

void NetlinkMessage::EndNest(size_t offset) {
  auto* attr = reinterpret_cast<rtattr*>(buffer_.data() + offset);
  attr->rta_len = static_cast<uint16_t>(buffer_.size() - offset);
}

// ---- socket -----------------------------------------------------------------

namespace {

// The kernel's own words for a failure (extended ack), e.g. "Invalid prefix".
std::string ExtAckMessage(const nlmsghdr* h) {
  if (!(h->nlmsg_flags & NLM_F_ACK_TLVS)) return "";
  const auto* err = static_cast<const nlmsgerr*>(NLMSG_DATA(h));
  size_t offset = sizeof(nlmsgerr);
  if (!(h->nlmsg_flags & NLM_F_CAPPED)) offset += err->msg.nlmsg_len - NLMSG_HDRLEN;
  size_t header = NLMSG_HDRLEN + offset;
  if (h->nlmsg_len <= header) return "";
  int remaining = static_cast<int>(h->nlmsg_len - header);
  const auto* attr = reinterpret_cast<const rtattr*>(reinterpret_cast<const char*>(NLMSG_DATA(h)) + offset);
  for (; RTA_OK(attr, remaining); attr = RTA_NEXT(attr, remaining)) {
    if (attr->rta_type == NLMSGERR_ATTR_MSG) return static_cast<const char*>(RTA_DATA(attr));
  }
  return "";
}

[[noreturn]] void ThrowNetlinkError(const nlmsghdr* h, int err, const std::string& op, const std::string& object) {
  std::string kernel_says = ExtAckMessage(h);
  throw SysError(op, object, err,
                 kernel_says.empty() ? "" : std::string(std::strerror(err)) + " (" + kernel_says + ")");
}

}  // namespace

NetlinkSocket::NetlinkSocket(const std::string& op) : fd_(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE)) {
  if (!fd_) ThrowErrno(op, "netlink socket");
  int one = 1;
  // Best effort: richer error text, and acks without a copy of our request.
  setsockopt(fd_.get(), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
  setsockopt(fd_.get(), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
  sockaddr_nl local = {};
  local.nl_family = AF_NETLINK;
  if (bind(fd_.get(), reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0) ThrowErrno(op, "netlink socket");
}

void NetlinkSocket::Send(NetlinkMessage& message, const std::string& op, const std::string& object) {
  nlmsghdr* h = message.header();
  h->nlmsg_seq = ++seq_;
  sockaddr_nl kernel = {};
  kernel.nl_family = AF_NETLINK;
  ssize_t sent;
  do {
    sent = sendto(fd_.get(), h, h->nlmsg_len, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof(kernel));
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) ThrowErrno(op, object);
}

namespace {

// Receives datagrams and hands each message of sequence `seq` to `each` until it returns true.
template <typename Each>
void ReceiveUntil(int fd, uint32_t seq, const std::string& op, const std::string& object, Each each) {
  alignas(nlmsghdr) static thread_local char buffer[32768];
  for (;;) {
    ssize_t got = recv(fd, buffer, sizeof(buffer), 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      ThrowErrno(op, object);
    }
    int remaining = static_cast<int>(got);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buffer); NLMSG_OK(h, remaining); h = NLMSG_NEXT(h, remaining)) {
      if (h->nlmsg_seq != seq) continue;  // a late answer to an earlier request
      if (each(h)) return;
    }
  }
}

}  // namespace

void NetlinkSocket::Request(NetlinkMessage& message, const std::string& op, const std::string& object,
                            const std::function<void(const nlmsghdr*)>& each) {
  message.header()->nlmsg_flags |= NLM_F_ACK;
  Send(message, op, object);
  ReceiveUntil(fd_.get(), seq_, op, object, [&](const nlmsghdr* h) {
    if (h->nlmsg_type != NLMSG_ERROR) {
      if (each) each(h);
      return false;
    }
    const auto* err = static_cast<const nlmsgerr*>(NLMSG_DATA(h));
    if (err->error != 0) ThrowNetlinkError(h, -err->error, op, object);
    return true;
  });
}

void NetlinkSocket::Dump(NetlinkMessage& message, const std::string& op, const std::string& object,
                         const std::function<void(const nlmsghdr*)>& each) {
  message.header()->nlmsg_flags |= NLM_F_DUMP;
  Send(message, op, object);
  ReceiveUntil(fd_.get(), seq_, op, object, [&](const nlmsghdr* h) {
    if (h->nlmsg_type == NLMSG_DONE) return true;
    if (h->nlmsg_type == NLMSG_ERROR) {
      const auto* err = static_cast<const nlmsgerr*>(NLMSG_DATA(h));
      if (err->error != 0) ThrowNetlinkError(h, -err->error, op, object);
      return true;
    }
    each(h);
    return false;
  });
}

}  // namespace pk
