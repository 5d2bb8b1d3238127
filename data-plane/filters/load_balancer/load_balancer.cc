// SPDX-License-Identifier: Apache-2.0
#include "data-plane/filters/load_balancer/load_balancer.h"

#include <arpa/inet.h>

#include "data-plane/filters/load_balancer/load_balancer_core.h"

namespace qk::filters {
using namespace qk::engine;

namespace {

enum Policy : uint8_t { kRoundRobin = 0, kRandom = 1, kHash = 2 };

class LoadBalancerFilter : public Filter {
 public:
  LoadBalancerFilter(uint32_t slot, uint8_t policy)
      : Filter(slot), policy_(policy), next_(std::make_shared<std::atomic<uint64_t>>(0)) {}

  uint8_t read(FilterCtx& ctx) const override {
    const uint64_t n = ctx.endpoints->endpoints.size();
    if (n == 0) return QK_DROP_NO_UPSTREAM_ENDPOINTS;  // the pipeline drops earlier; kept for safety
    uint64_t pick;
    if (policy_ == kRoundRobin) {
      // One counter for all workers, like Quilkin's single atomic per filter instance.
      pick = next_->fetch_add(1, std::memory_order_relaxed) % n;
    } else if (policy_ == kRandom) {
      pick = ctx.ws.next_random() % n;
    } else {
      char text[INET6_ADDRSTRLEN];
      if (!inet_ntop(ctx.source.family == 4 ? AF_INET : AF_INET6, ctx.source.ip, text, sizeof(text))) text[0] = 0;
      pick = qk_load_balancer__hash(text, ctx.source.port) % n;
    }
    // Quilkin v0.9 replaces the list with the one pick: earlier routing is discarded.
    ctx.dests->n = 0;
    ctx.dests->push(static_cast<uint32_t>(pick));
    return QK_DROP_NONE;
  }
  // The rotation continues where the identical filter of the previous chain left it. The counter is
  // an atomic already shared by every worker, so workers still on the old chain may share it too.
  void inherit_state(const Filter& previous) override {
    next_ = static_cast<const LoadBalancerFilter&>(previous).next_;
  }

 private:
  uint8_t policy_;
  std::shared_ptr<std::atomic<uint64_t>> next_;  // round-robin position
};

}  // namespace

std::unique_ptr<Filter> load_balancer__parse(ParseEnv& env, uint32_t slot) {
  uint8_t policy = env.r.u8("load balancer policy");
  if (env.r.ok() && policy > kHash) env.r.fail("unknown load balancer policy " + std::to_string(policy));
  if (!env.r.ok()) return nullptr;
  return std::make_unique<LoadBalancerFilter>(slot, policy);
}

}  // namespace qk::filters
