// BPF_PROG_TEST_RUN of the fault program on handcrafted frames, against the
// live maps: how the tests judge frames without any interface.
#include <bpf/bpf.h>
#include <linux/bpf.h>

#include <cerrno>
#include <vector>

#include "../bpf/pakostii_shared.h"
#include "errors.h"
#include "xdp_internal.h"

namespace pk {

// The kernel refuses test inputs shorter than an Ethernet header, but lets the
// context end the packet early (xdp_md.data_end): the program then sees only the
// first `visible` bytes, and whatever follows is not in its linear data.
// So a truncated frame is passed as (frame, visible) with the input padded to 14.
int TestRun(int prog_fd, const uint8_t* frame, size_t size, size_t visible, uint32_t repeat, uint32_t* retval,
            uint32_t* duration_ns) {
  std::vector<uint8_t> input(frame, frame + size);
  if (input.size() < 14) input.resize(14, 0);
  struct xdp_md ctx = {};
  ctx.data_end = static_cast<uint32_t>(visible < size ? visible : size);
  bpf_test_run_opts opts = {};
  opts.sz = sizeof(opts);
  opts.data_in = input.data();
  opts.data_size_in = static_cast<uint32_t>(input.size());
  if (ctx.data_end != input.size()) {
    opts.ctx_in = &ctx;
    opts.ctx_size_in = sizeof(ctx);
  }
  opts.repeat = repeat;
  int err = bpf_prog_test_run_opts(prog_fd, &opts);
  *retval = opts.retval;
  *duration_ns = opts.duration;
  return err < 0 ? -errno : 0;
}

namespace {

class TestRunWorker : public Napi::AsyncWorker {
 public:
  TestRunWorker(Napi::Env env, int prog_fd, std::vector<uint8_t> frame, uint32_t repeat)
      : Napi::AsyncWorker(env),
        deferred_(Napi::Promise::Deferred::New(env)),
        prog_fd_(prog_fd),
        frame_(std::move(frame)),
        repeat_(repeat) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override {
    errno_ = -TestRun(prog_fd_, frame_.data(), frame_.size(), frame_.size(), repeat_, &retval_, &duration_);
    if (errno_ != 0) SetError("xdp test run");
  }
  void OnOK() override {
    Napi::Object result = Napi::Object::New(Env());
    result.Set("action", retval_);
    result.Set("durationNs", duration_);
    deferred_.Resolve(result);
  }
  void OnError(const Napi::Error&) override {
    deferred_.Reject(ToJsError(Env(), SysError("xdp test run", PK_PROG_NAME, errno_)).Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  int prog_fd_;
  std::vector<uint8_t> frame_;
  uint32_t repeat_, retval_ = 0, duration_ = 0;
  int errno_ = 0;
};

}  // namespace

Napi::Promise QueueTestRunRepeat(Napi::Env env, int prog_fd, std::vector<uint8_t> frame, uint32_t repeat) {
  auto* worker = new TestRunWorker(env, prog_fd, std::move(frame), repeat);
  worker->Queue();
  return worker->Promise();
}

}  // namespace pk
