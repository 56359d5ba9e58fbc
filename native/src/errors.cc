// livefr's error classes on the native side. The TypeScript layer registers
// one factory, (kind, parameter, message) => Error, right after loading the
// addon (lib/native/errors.ts owns the table of classes and codes); the
// factory lives in per-environment instance data, so the addon works in
// worker threads too.
#include "livefr/common.h"

namespace livefr {

namespace {

struct AddonData {
  Napi::FunctionReference errorFactory;
};

AddonData* Data(Napi::Env env) {
  AddonData* d = env.GetInstanceData<AddonData>();
  if (d == nullptr) {
    d = new AddonData();
    env.SetInstanceData(d);  // deleted with the environment
  }
  return d;
}

Napi::Value SetErrorFactory(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsFunction()) ThrowType(env, "factory", "a function (kind, parameter, message) => Error");
  Data(env)->errorFactory = Napi::Persistent(info[0].As<Napi::Function>());
  return env.Undefined();
}

}  // namespace

const char* ErrorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kType:
      return "type";
    case ErrorKind::kRange:
      return "range";
    case ErrorKind::kFormat:
      return "format";
    case ErrorKind::kState:
      return "state";
    default:
      return "native";
  }
}

Napi::Error MakeError(Napi::Env env, ErrorKind kind, const std::string& param, const std::string& message) {
  AddonData* d = env.GetInstanceData<AddonData>();
  if (d != nullptr && !d->errorFactory.IsEmpty()) {
    Napi::Value made = d->errorFactory.Call({Napi::String::New(env, ErrorKindName(kind)),
                                             param.empty() ? env.Undefined() : Napi::String::New(env, param),
                                             Napi::String::New(env, message)});
    if (made.IsObject()) return Napi::Error(env, made);
  }
  Napi::Error e = kind == ErrorKind::kType    ? Napi::Error(Napi::TypeError::New(env, message))
                  : kind == ErrorKind::kRange ? Napi::Error(Napi::RangeError::New(env, message))
                                              : Napi::Error::New(env, message);
  e.Set("kind", Napi::String::New(env, ErrorKindName(kind)));
  if (!param.empty()) e.Set("parameter", Napi::String::New(env, param));
  return e;
}

void InitErrors(Napi::Env env, Napi::Object exports) {
  Data(env);
  exports.Set("setErrorFactory", Napi::Function::New(env, SetErrorFactory, "setErrorFactory"));
}

}  // namespace livefr
