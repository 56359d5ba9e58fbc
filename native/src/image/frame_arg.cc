// ParseFrame (livefr/frame_arg.h): the one native re-check of a JS frame.
#include "livefr/frame_arg.h"

#include "livefr/common.h"

namespace livefr {

namespace {

image::Format ParseFormat(Napi::Env env, const Napi::Value& v, const std::string& param) {
  static const char* names[] = {"rgb", "bgr", "rgba", "bgra", "gray", "nv12", "i420"};
  if (!v.IsString()) ThrowType(env, param, "a pixel format string");
  const std::string s = v.As<Napi::String>().Utf8Value();
  for (int i = 0; i < 7; i++) {
    if (s == names[i]) return static_cast<image::Format>(i);
  }
  ThrowRange(env, param, "one of 'rgb', 'bgr', 'rgba', 'bgra', 'gray', 'nv12', 'i420'");
}

}  // namespace

FrameArg ParseFrame(Napi::Env env, const Napi::Value& v, const std::string& param) {
  using image::Format;
  if (!v.IsObject()) ThrowType(env, param, "a Frame object");
  Napi::Object o = v.As<Napi::Object>();
  FrameArg fa;
  fa.data = o.Get("data");
  ByteView bytes = GetBytes(env, fa.data, param + ".data");
  image::FrameView& f = fa.view;
  f.data = bytes.data;
  f.byteLength = bytes.length;
  f.width = static_cast<int>(GetInt(env, o, "width", param + ".width", 1, 32768));
  f.height = static_cast<int>(GetInt(env, o, "height", param + ".height", 1, 32768));
  f.format = ParseFormat(env, o.Get("format"), param + ".format");
  f.stride = static_cast<int>(GetInt(env, o, "stride", param + ".stride", 1, 32768 * 4));
  f.chromaStride = f.format == Format::kNv12 ? f.stride : (f.format == Format::kI420 ? (f.stride + 1) / 2 : 0);
  const size_t need = image::RequiredBytes(f.format, f.width, f.height, f.stride);
  if (need == 0) ThrowRange(env, param + ".stride", "a stride large enough for the frame width");
  if (need > bytes.length) ThrowRange(env, param + ".data", "at least " + std::to_string(need) + " bytes");
  return fa;
}

}  // namespace livefr
