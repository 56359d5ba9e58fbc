// A frame passed from JS ({ data, width, height, format, stride }), re-checked
// on the native side before any pixel is read: a mistake here is a segfault.
#pragma once

#include <napi.h>

#include <string>

#include "livefr/image.h"

namespace livefr {

struct FrameArg {
  image::FrameView view;
  Napi::Value data;  // keep it alive (PromiseWorker::Keep) while the view is used
};

// Parses and re-checks a frame (sizes against the buffer's byte length);
// throws livefr TypeError / RangeError naming param.width, param.data, ...
FrameArg ParseFrame(Napi::Env env, const Napi::Value& v, const std::string& param);

}  // namespace livefr
