// SPDX-License-Identifier: Apache-2.0
#include "data-plane/filters/compress/compress.h"

#include <lz4.h>
#include <snappy-c.h>

#include <algorithm>
#include <cstring>

namespace qk::filters {
using namespace qk::engine;

namespace {

enum Mode : uint8_t { kSnappy = 0, kLz4 = 1 };
enum Action : uint8_t { kDoNothing = 0, kCompress = 1, kDecompress = 2 };
// Cell counters, [direction * 2 + kind], as Quilkin's compressed/decompressed_bytes_total.
enum Counter { kCompressedBytes = 0, kDecompressedBytes = 1 };

// Largest payload a filter hands on: the IPv4 UDP limit, as the backends send.
constexpr uint32_t kMaxOutput = 65507;

// Snappy's length preamble: a varint of at most 5 bytes holding a u32. False if truncated/malformed.
bool snappy_length(const uint8_t* in, uint32_t len, uint64_t* out) {
  uint64_t value = 0;
  for (uint32_t i = 0; i < 5 && i < len; i++) {
    if (i == 4 && in[i] > 0x0f) return false;
    value |= uint64_t(in[i] & 0x7f) << (7 * i);
    if (in[i] < 0x80) {
      *out = value;
      return true;
    }
  }
  return false;
}

// Quilkin's LZ4 size prefix, read as v0.9 does: bits gathered into a u16 (a third byte's high bits
// are lost), a fourth byte or a missing terminator fails. Returns the prefix length, 0 on failure.
uint32_t lz4_size(const uint8_t* in, uint32_t len, uint32_t* size) {
  uint32_t n = 0;
  for (uint32_t i = 0, shift = 0; i < len && shift < 16; i++, shift += 7) {
    n = (n | (uint32_t(in[i] & 0x7f) << shift)) & 0xffff;
    if (in[i] < 0x80) {
      *size = n;
      return i + 1;
    }
  }
  return 0;
}

uint32_t lz4_write_size(uint8_t* out, uint32_t n) {
  uint32_t i = 0;
  for (; n >= 0x80; n >>= 7) out[i++] = uint8_t(n | 0x80);
  out[i++] = uint8_t(n);
  return i;
}

// Grows `buf` to at least n bytes, and one at least so the pointer is never null; it never shrinks,
// so a worker's buffer settles at its largest packet.
uint8_t* room(std::vector<uint8_t>& buf, size_t n) {
  if (buf.size() < std::max<size_t>(n, 1)) buf.resize(std::max<size_t>(n, 1));
  return buf.data();
}

// Encodes into buf; the output length goes to *n. False on failure or an output past the limit.
bool encode(uint8_t mode, const uint8_t* in, uint32_t len, std::vector<uint8_t>& buf, uint32_t* n) {
  if (mode == kSnappy) {
    size_t out_len = snappy_max_compressed_length(len);
    char* out = reinterpret_cast<char*>(room(buf, out_len));
    if (snappy_compress(reinterpret_cast<const char*>(in), len, out, &out_len) != SNAPPY_OK) return false;
    *n = static_cast<uint32_t>(out_len);
  } else {
    const int bound = LZ4_compressBound(static_cast<int>(len));
    if (bound <= 0) return false;
    uint8_t* out = room(buf, size_t(bound) + 3);
    const uint32_t prefix = lz4_write_size(out, len & 0xffff);  // Quilkin writes `len as u16`
    const int block = LZ4_compress_default(reinterpret_cast<const char*>(in), reinterpret_cast<char*>(out + prefix),
                                           static_cast<int>(len), bound);
    if (block <= 0) return false;
    *n = prefix + uint32_t(block);
  }
  return *n <= kMaxOutput;
}

// Decodes into buf. The claimed length is checked before the output is sized, so no header makes a
// packet allocate past one datagram.
bool decode(uint8_t mode, const uint8_t* in, uint32_t len, std::vector<uint8_t>& buf, uint32_t* n) {
  if (mode == kSnappy) {
    uint64_t claimed = 0;
    if (!snappy_length(in, len, &claimed) || claimed > kMaxOutput) return false;
    size_t out_len = claimed;
    char* out = reinterpret_cast<char*>(room(buf, out_len));
    if (snappy_uncompress(reinterpret_cast<const char*>(in), len, out, &out_len) != SNAPPY_OK) return false;
    *n = static_cast<uint32_t>(out_len);
    return true;
  }
  uint32_t size = 0;
  const uint32_t prefix = lz4_size(in, len, &size);
  if (prefix == 0) return false;
  const uint32_t capacity = std::min(size, kMaxOutput);
  char* out = reinterpret_cast<char*>(room(buf, capacity));
  const int got = LZ4_decompress_safe(reinterpret_cast<const char*>(in + prefix), out, static_cast<int>(len - prefix),
                                      static_cast<int>(capacity));
  if (got < 0) return false;
  *n = uint32_t(got);
  return true;
}

// Per-worker output buffer: grows to the largest packet once, then packets reuse it.
class Scratch : public SlotState {
 public:
  std::vector<uint8_t> buf;
};

// Puts `n` bytes from `src` in place of the payload; false if the worker's buffer cannot hold them.
bool replace_payload(PacketBuf& pkt, const uint8_t* src, uint32_t n) {
  if (n > pkt.len) {
    if (!pkt.push_back(n - pkt.len)) return false;
  } else {
    pkt.trim_back(pkt.len - n);
  }
  std::memcpy(pkt.data(), src, n);
  return true;
}

class CompressFilter : public Filter {
 public:
  CompressFilter(uint32_t slot, uint8_t mode, uint8_t on_read, uint8_t on_write)
      : Filter(slot), mode_(mode), on_read_(on_read), on_write_(on_write) {}

  uint8_t read(FilterCtx& ctx) const override { return apply(on_read_, 0, ctx); }
  uint8_t write(FilterCtx& ctx) const override { return apply(on_write_, 1, ctx); }
  // A decompressed (or incompressible, compressed) packet may grow up to the datagram limit.
  bool edits_payload() const override { return on_read_ != kDoNothing || on_write_ != kDoNothing; }
  uint32_t max_growth() const override { return on_read_ == kDoNothing && on_write_ == kDoNothing ? 0 : kMaxOutput; }
  std::shared_ptr<SlotState> new_state(uint32_t) const override { return std::make_shared<Scratch>(); }
  bool has_cells() const override { return true; }

 private:
  uint8_t apply(uint8_t action, int direction, FilterCtx& ctx) const {
    if (action == kDoNothing) return QK_DROP_NONE;
    auto& buf = static_cast<Scratch*>(ctx.ws.slot_state(slot()))->buf;
    const uint32_t before = ctx.pkt.len;
    const bool compressing = action == kCompress;
    uint32_t after = 0;
    const bool ok = compressing ? encode(mode_, ctx.pkt.data(), before, buf, &after)
                                : decode(mode_, ctx.pkt.data(), before, buf, &after);
    if (!ok) return QK_DROP_COMPRESSION_IO;
    if (!replace_payload(ctx.pkt, buf.data(), after)) return QK_DROP_TOO_LARGE;
    SlotCell& cell = ctx.ws.cell(slot());
    cell__add(cell.counter[direction * 2 + (compressing ? kDecompressedBytes : kCompressedBytes)], before);
    cell__add(cell.counter[direction * 2 + (compressing ? kCompressedBytes : kDecompressedBytes)], after);
    return QK_DROP_NONE;
  }

  uint8_t mode_, on_read_, on_write_;
};

}  // namespace

bool compress__encode(uint8_t mode, const uint8_t* in, uint32_t len, std::vector<uint8_t>* out) {
  uint32_t n = 0;
  const bool ok = encode(mode, in, len, *out, &n);
  out->resize(ok ? n : 0);
  return ok;
}

bool compress__decode(uint8_t mode, const uint8_t* in, uint32_t len, std::vector<uint8_t>* out) {
  uint32_t n = 0;
  const bool ok = decode(mode, in, len, *out, &n);
  out->resize(ok ? n : 0);
  return ok;
}

std::unique_ptr<Filter> compress__parse(ParseEnv& env, uint32_t slot) {
  DescReader& r = env.r;
  uint8_t mode = r.u8("compress mode");
  uint8_t on_read = r.u8("compress on_read");
  uint8_t on_write = r.u8("compress on_write");
  if (r.ok() && mode > kLz4) r.fail("unknown compress mode");
  if (r.ok() && (on_read > kDecompress || on_write > kDecompress)) r.fail("unknown compress action");
  if (!r.ok()) return nullptr;
  return std::make_unique<CompressFilter>(slot, mode, on_read, on_write);
}

}  // namespace qk::filters
