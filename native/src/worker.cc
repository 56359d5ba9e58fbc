// PromiseWorker (livefr/worker.h): the base of every asynchronous call.
#include "livefr/worker.h"

#include <new>

#include "livefr/common.h"

namespace livefr {

PromiseWorker::PromiseWorker(Napi::Env env, const char* name)
    : Napi::AsyncWorker(env, name), deferred_(Napi::Promise::Deferred::New(env)) {}

Napi::Promise PromiseWorker::Start() {
  Napi::Promise p = deferred_.Promise();
  Queue();
  return p;
}

void PromiseWorker::Keep(const Napi::Value& v) { kept_.push_back(Napi::Persistent(v)); }

Napi::Value PromiseWorker::Result(Napi::Env env) { return env.Undefined(); }

void PromiseWorker::Execute() {
  try {
    Run();
  } catch (const Failure& f) {
    kind_ = f.kind;
    param_ = f.param;
    SetError(f.what());
  } catch (const std::bad_alloc&) {
    kind_ = UnexpectedKind();
    SetError("out of memory");
  } catch (const std::exception& e) {
    kind_ = UnexpectedKind();
    SetError(e.what());
  }
}

// Settling runs JS (the promise's reactions are queued, the error factory is
// called). When the environment is shutting down (process.exit, a worker
// thread terminated) that fails; nothing can receive the result then, so the
// failure is dropped instead of escaping into a C callback (std::terminate).
void PromiseWorker::OnOK() {
  Napi::Env env = Env();
  try {
    deferred_.Resolve(Result(env));
  } catch (const Napi::Error& e) {
    try {
      deferred_.Reject(e.Value());
    } catch (const Napi::Error&) {
    }
  }
  kept_.clear();
}

void PromiseWorker::OnError(const Napi::Error& e) {
  Napi::Env env = Env();
  try {
    deferred_.Reject(MakeError(env, kind_, param_, e.Message()).Value());
  } catch (const Napi::Error&) {
    try {
      deferred_.Reject(e.Value());
    } catch (const Napi::Error&) {
    }
  }
  kept_.clear();
}

}  // namespace livefr
