// SPDX-License-Identifier: Apache-2.0
// Builds a Generation (endpoint table + chain) from the compiler's binary description.
#include <cstring>
#include <deque>
#include <string_view>
#include <unordered_map>

#include "native/engine/filter.h"

namespace qk::engine {

namespace {

constexpr uint32_t kMagic = 0x48434b51;  // "QKCH"
constexpr uint16_t kVersion = 1;
constexpr uint32_t kMaxWorkersPerChain = 64;

std::shared_ptr<EndpointTable> parse_endpoints(DescReader& r) {
  auto table = std::make_shared<EndpointTable>();
  uint32_t count = r.u32("endpoint count");
  if (count > r.remaining() / 22) r.fail("endpoint count larger than the description");
  for (uint32_t i = 0; i < count && r.ok(); i++) {
    Endpoint e;
    e.addr.family = r.u8("endpoint family");
    const uint8_t* ip = r.bytes(16, "endpoint ip");
    e.addr.port = r.u16("endpoint port");
    e.host = r.str16("endpoint host");
    if (!r.ok()) break;
    if (e.addr.family != 0 && e.addr.family != 4 && e.addr.family != 6) r.fail("invalid endpoint family");
    std::memcpy(e.addr.ip, ip, 16);
    uint16_t ntokens = r.u16("endpoint token count");
    for (uint16_t t = 0; t < ntokens && r.ok(); t++) {
      uint32_t len = r.u32("token length");
      const uint8_t* bytes = r.bytes(len, "token");
      if (bytes) table->add_token(i, bytes, len);
    }
    table->endpoints.push_back(std::move(e));
  }
  table->finish();
  return table;
}

std::vector<std::string> parse_keys(DescReader& r) {
  std::vector<std::string> keys(r.u16("key count"));
  for (auto& k : keys) k = r.str16("metadata key");
  return keys;
}

// A top-level filter's identity: its kind and payload, with key indices replaced by key names and
// nested slots made relative to the filter's own slot (IdentityMark), so it equals the identity of
// the same filter config in another chain, as the TS chain's name + normalised config does.
std::string filter_identity(const uint8_t* base, size_t start, size_t end, const std::vector<IdentityMark>& marks,
                            const std::vector<std::string>& keys) {
  auto le = [&](size_t at, int n) {
    uint32_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = (v << 8) | base[at + i];
    return v;
  };
  const uint32_t top_slot = le(start + 1, 4);
  std::string id(reinterpret_cast<const char*>(base + start), 1);  // kind
  size_t pos = start + 5;                                          // after kind and slot
  for (const IdentityMark& m : marks) {
    id.append(reinterpret_cast<const char*>(base + pos), m.offset - pos);
    if (m.key) {
      const std::string& name = keys[le(m.offset, 2)];  // in range: the filter checked it
      const uint32_t n = static_cast<uint32_t>(name.size());
      id.append(reinterpret_cast<const char*>(&n), sizeof(n));
      id.append(name);
      pos = m.offset + 2;
    } else {
      const uint32_t relative = le(m.offset, 4) - top_slot;
      id.append(reinterpret_cast<const char*>(&relative), sizeof(relative));
      pos = m.offset + 4;
    }
  }
  id.append(reinterpret_cast<const char*>(base + pos), end - pos);
  return id;
}

// The TS rule (data-plane/filters/chain.ts): each top-level filter takes over the state of the
// first not yet claimed top-level filter of the previous chain with the same identity. Returns how
// many did.
uint32_t inherit_states(std::vector<std::unique_ptr<Filter>>& filters, const std::vector<std::string>& identities,
                        const Chain& previous) {
  std::unordered_map<std::string_view, std::deque<size_t>> unclaimed;
  const auto& prev_ids = previous.identities();
  for (size_t j = 0; j < prev_ids.size() && j < previous.filters().size(); j++) unclaimed[prev_ids[j]].push_back(j);
  uint32_t kept = 0;
  for (size_t i = 0; i < filters.size(); i++) {
    auto it = unclaimed.find(identities[i]);
    if (it == unclaimed.end() || it->second.empty()) continue;
    filters[i]->inherit_state(*previous.filters()[it->second.front()]);
    it->second.pop_front();
    kept++;
  }
  return kept;
}

// `kinds` gets the description kind of each top-level filter (left alone when the chain is reused).
std::shared_ptr<const Chain> parse_chain(DescReader& r, const uint8_t* base, std::vector<std::string> keys,
                                         const uint8_t* keys_start, const Generation* previous,
                                         std::vector<uint8_t>* kinds) {
  uint32_t chain_len = r.u32("chain length");
  if (r.ok() && chain_len != r.remaining()) r.fail("chain length does not match the description's end");
  if (!r.ok()) return nullptr;
  // The keys and chain sections decide the chain's behaviour; reuse the old chain when identical
  // (its Match/Timestamp/Compress cells carry over too).
  std::string whole(reinterpret_cast<const char*>(keys_start), static_cast<size_t>(r.here() + chain_len - keys_start));
  const Chain* prev_chain = previous ? previous->chain.get() : nullptr;
  if (prev_chain && prev_chain->desc_bytes() == whole) return previous->chain;
  uint32_t slots = r.u32("slot count");
  uint16_t nfilters = r.u16("filter count");
  if (r.ok() && slots > 4096) r.fail("slot count above 4096");
  std::vector<std::unique_ptr<Filter>> filters;
  std::vector<std::string> identities;
  std::vector<IdentityMark> marks;
  ParseEnv env{r, static_cast<uint32_t>(keys.size()), slots, 0, &marks};
  for (uint16_t i = 0; i < nfilters && r.ok(); i++) {
    marks.clear();
    const size_t start = r.offset();
    uint8_t kind = r.remaining() > 0 ? *r.here() : 0;  // a filter entry starts with its kind
    auto f = filter__parse(env);
    if (!f) {
      r.fail("invalid filter");  // parsers fail the reader first; this only guards a silent null
      break;
    }
    identities.push_back(filter_identity(base, start, r.offset(), marks, keys));
    filters.push_back(std::move(f));
    kinds->push_back(kind);
  }
  if (r.ok() && r.remaining() != 0) r.fail("trailing bytes after the chain");
  if (!r.ok()) return nullptr;
  const uint32_t kept = prev_chain ? inherit_states(filters, identities, *prev_chain) : 0;
  return std::make_shared<Chain>(std::move(filters), std::move(keys), slots, std::move(whole), kMaxWorkersPerChain,
                                 std::move(identities), kept);
}

}  // namespace

std::shared_ptr<const Generation> generation__compile(const uint8_t* desc, size_t len, const Generation* previous,
                                                      std::string* error) {
  DescReader r(desc, len);
  if (r.u32("magic") != kMagic && r.ok()) r.fail("bad magic (not a chain description)");
  uint16_t version = r.u16("version");
  if (r.ok() && version != kVersion)
    r.fail("unsupported version " + std::to_string(version) + " (this engine reads version 1)");
  r.u16("reserved");
  auto gen = std::make_shared<Generation>();
  if (r.ok()) gen->endpoints = parse_endpoints(r);
  const uint8_t* keys_start = r.here();
  std::vector<std::string> keys;
  if (r.ok()) keys = parse_keys(r);
  if (r.ok()) gen->chain = parse_chain(r, desc, std::move(keys), keys_start, previous, &gen->filter_kinds);
  if (previous && gen->chain && gen->chain == previous->chain) gen->filter_kinds = previous->filter_kinds;
  if (!r.ok() || !gen->chain) {
    *error = r.ok() ? "chain description: invalid chain" : r.error();
    return nullptr;
  }
  return gen;
}

uint32_t Generation::max_growth() const { return chain ? chain->max_growth() : 0; }
bool Generation::edits_payload() const { return chain && chain->edits_payload(); }

uint32_t Generation::max_destinations() const {
  return static_cast<uint32_t>(endpoints ? endpoints->endpoints.size() : 0);
}

Chain::Chain(std::vector<std::unique_ptr<Filter>> filters, std::vector<std::string> keys, uint32_t slots,
             std::string desc_bytes, uint32_t max_workers, std::vector<std::string> identities, uint32_t filters_kept)
    : filters_(std::move(filters)),
      keys_(std::move(keys)),
      slots_(slots),
      desc_bytes_(std::move(desc_bytes)),
      identities_(std::move(identities)),
      filters_kept_(filters_kept),
      max_workers_(max_workers),
      cell_index_(slots, -1) {
  for (const auto& f : filters_) {
    max_growth_ += f->max_growth();
  }
  int32_t ncells = 0;
  for (const Filter* f : all_filters()) edits_payload_ = edits_payload_ || f->edits_payload();
  for (const Filter* f : all_filters())
    if (f->has_cells() && cell_index_[f->slot()] < 0) cell_index_[f->slot()] = ncells++;
  if (ncells) cells_.reset(new SlotCell[static_cast<size_t>(ncells) * max_workers_]);
}

static void collect(const Filter& f, void* arg) {
  auto* out = static_cast<std::vector<const Filter*>*>(arg);
  out->push_back(&f);
  f.for_each_nested(collect, arg);
}

std::vector<const Filter*> Chain::all_filters() const {
  std::vector<const Filter*> out;
  for (const auto& f : filters_) collect(*f, &out);
  return out;
}

uint8_t Chain::read(FilterCtx& ctx) const {
  for (const auto& f : filters_) {
    uint8_t reason = f->read(ctx);
    if (reason != QK_DROP_NONE) return reason;
  }
  return QK_DROP_NONE;
}

uint8_t Chain::write(FilterCtx& ctx) const {
  for (auto it = filters_.rbegin(); it != filters_.rend(); ++it) {
    uint8_t reason = (*it)->write(ctx);
    if (reason != QK_DROP_NONE) return reason;
  }
  return QK_DROP_NONE;
}

const double kHistogramBounds[SlotCell::kBuckets] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

}  // namespace qk::engine
