// SPDX-License-Identifier: Apache-2.0
#include "data-plane/filters/firewall/firewall.h"

#include <cstring>
#include <vector>

#include "data-plane/filters/firewall/firewall_core.h"

namespace qk::filters {
using namespace qk::engine;

namespace {

struct Rule {
  bool allow;
  std::vector<qk_cidr> sources;
  std::vector<qk_port_range> ports;

  bool matches(const SockAddr& a) const {
    bool ip_ok = false;
    for (const auto& c : sources)
      if (qk_cidr__contains(&c, a.family, a.ip)) {
        ip_ok = true;
        break;
      }
    if (!ip_ok) return false;
    for (const auto& p : ports)
      if (qk_port_range__contains(&p, a.port)) return true;
    return false;
  }
};

uint8_t evaluate(const std::vector<Rule>& rules, const SockAddr& addr) {
  for (const auto& rule : rules)
    if (rule.matches(addr)) return rule.allow ? QK_DROP_NONE : QK_DROP_FIREWALL_DENIED;
  return QK_DROP_FIREWALL_DENIED;  // no rule matched: default deny
}

class FirewallFilter : public Filter {
 public:
  FirewallFilter(uint32_t slot, std::vector<Rule> on_read, std::vector<Rule> on_write)
      : Filter(slot), on_read_(std::move(on_read)), on_write_(std::move(on_write)) {}
  uint8_t read(FilterCtx& ctx) const override { return evaluate(on_read_, ctx.source); }
  uint8_t write(FilterCtx& ctx) const override { return evaluate(on_write_, ctx.source); }

 private:
  std::vector<Rule> on_read_, on_write_;
};

bool parse_cidr(DescReader& r, qk_cidr* c) {
  c->family = r.u8("firewall cidr family");
  const uint8_t* ip = r.bytes(16, "firewall cidr ip");
  c->prefix = r.u8("firewall cidr prefix");
  if (!r.ok()) return false;
  std::memcpy(c->ip, ip, 16);
  if ((c->family != 4 && c->family != 6) || c->prefix > (c->family == 4 ? 32 : 128)) {
    r.fail("invalid firewall cidr");
    return false;
  }
  return true;
}

std::vector<Rule> parse_rules(DescReader& r) {
  std::vector<Rule> rules(r.u16("firewall rule count"));
  for (auto& rule : rules) {
    rule.allow = r.u8("firewall action") == 0;
    rule.sources.resize(r.u16("firewall source count"));
    for (auto& c : rule.sources)
      if (!parse_cidr(r, &c)) return {};
    rule.ports.resize(r.u16("firewall port count"));
    for (auto& p : rule.ports) {
      p.min = r.u16("firewall port min");
      p.end = r.u32("firewall port end");
    }
    if (!r.ok()) return {};
  }
  return rules;
}

}  // namespace

std::unique_ptr<Filter> firewall__parse(ParseEnv& env, uint32_t slot) {
  std::vector<Rule> on_read = parse_rules(env.r);
  std::vector<Rule> on_write = parse_rules(env.r);
  if (!env.r.ok()) return nullptr;
  return std::make_unique<FirewallFilter>(slot, std::move(on_read), std::move(on_write));
}

}  // namespace qk::filters
