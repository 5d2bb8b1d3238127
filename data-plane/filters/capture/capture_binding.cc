// SPDX-License-Identifier: Apache-2.0
// `capture.Regex` for the js backend: the native Capture's RE2 matcher, so a hostile pattern such
// as `(a+)+$` costs linear time there too instead of stalling the event loop in V8's backtracking.
// new Regex(translatedPattern) throws RE2's message; findAll(buffer) -> [start0, end0, start1, ...].
#include "data-plane/filters/capture/capture_binding.h"

#include "data-plane/filters/capture/capture_regex.h"

namespace qk::filters {

namespace {

class JsRegex : public Napi::ObjectWrap<JsRegex> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Regex", {InstanceMethod<&JsRegex::FindAll>("findAll")});
  }

  explicit JsRegex(const Napi::CallbackInfo& info) : Napi::ObjectWrap<JsRegex>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsString()) {
      Napi::TypeError::New(env, "Regex(pattern): pattern must be a string").ThrowAsJavaScriptException();
      return;
    }
    // Latin-1: one JS character of the translated pattern is one byte, as the engine receives it.
    std::u16string wide = info[0].As<Napi::String>().Utf16Value();
    std::string pattern;
    pattern.reserve(wide.size());
    for (char16_t c : wide) {
      if (c > 0xff) {
        Napi::Error::New(env, "Regex(pattern): the translated pattern is not Latin-1").ThrowAsJavaScriptException();
        return;
      }
      pattern.push_back(static_cast<char>(c));
    }
    std::string error;
    re_ = capture__regex(pattern, &error);
    if (!re_) Napi::Error::New(env, error).ThrowAsJavaScriptException();
  }

 private:
  Napi::Value FindAll(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!re_ || info.Length() < 1 || !info[0].IsBuffer()) {
      Napi::TypeError::New(env, "findAll(contents): contents must be a Buffer").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    auto buf = info[0].As<Napi::Buffer<uint8_t>>();
    Napi::Array out = Napi::Array::New(env);
    uint32_t n = 0;
    capture__for_each_match(*re_, buf.Data(), buf.Length(), [&](size_t start, size_t end) {
      out.Set(n++, static_cast<double>(start));
      out.Set(n++, static_cast<double>(end));
      return true;
    });
    return out;
  }

  std::shared_ptr<const RE2> re_;
};

}  // namespace

void capture__init_binding(Napi::Env env, Napi::Object exports) {
  Napi::Object part = Napi::Object::New(env);
  part.Set("Regex", JsRegex::Define(env));
  exports.Set("capture", part);
}

}  // namespace qk::filters
