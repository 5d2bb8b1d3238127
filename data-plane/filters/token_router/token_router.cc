// SPDX-License-Identifier: Apache-2.0
#include "data-plane/filters/token_router/token_router.h"

namespace qk::filters {
using namespace qk::engine;

namespace {

class TokenRouterFilter : public Filter {
 public:
  TokenRouterFilter(uint32_t slot, uint16_t key) : Filter(slot), key_(key) {}

  // Only Bytes are tokens (a List from a multi-match regex, or a String, counts as no token: upstream
  // would panic there). The matches replace the destination list, as in Quilkin v0.9.
  uint8_t read(FilterCtx& ctx) const override {
    const MetaValue* v = ctx.meta.get(key_);
    if (!v || v->tag != MetaTag::Bytes) return QK_DROP_TOKEN_NOT_FOUND;
    DestList& d = *ctx.dests;
    d.n = ctx.endpoints->lookup_token(v->bytes, v->len, d.idx, d.cap);
    return d.n == 0 ? QK_DROP_TOKEN_NO_ENDPOINT_MATCH : QK_DROP_NONE;
  }

 private:
  uint16_t key_;
};

}  // namespace

std::unique_ptr<Filter> token_router__parse(ParseEnv& env, uint32_t slot) {
  uint16_t key = env.key_index("token router key");
  if (env.r.ok() && key >= env.key_count) env.r.fail("token router key index out of range");
  if (!env.r.ok()) return nullptr;
  return std::make_unique<TokenRouterFilter>(slot, key);
}

}  // namespace qk::filters
