// The one promise worker of the native core. A subclass parses its JS
// arguments on the JS thread into plain members (a "baton"), Keep()s the JS
// values whose memory it reads or writes, and implements Run(), which runs
// on libuv's pool, touches no N-API and reports problems by throwing a
// livefr::Failure. Result() builds the resolved value on the JS thread.
// Rejections are livefr's error classes (MakeError) with the parameter.
#pragma once

#include <napi.h>

#include <string>
#include <vector>

#include "livefr/errors.h"

namespace livefr {

class PromiseWorker : public Napi::AsyncWorker {
 public:
  PromiseWorker(Napi::Env env, const char* name);

  // Queues the worker; the promise settles when it completes. The worker
  // deletes itself after settling.
  Napi::Promise Start();
  // Keeps a JS value (and so its memory) alive until the worker settles.
  void Keep(const Napi::Value& v);

 protected:
  // The work, off the JS thread. Throw a Failure for a livefr error.
  virtual void Run() = 0;
  // The resolved value (on the JS thread). Default: undefined.
  virtual Napi::Value Result(Napi::Env env);
  // The class of exceptions that are not Failures (from FAISS, the standard
  // library): NativeError, unless the work parses untrusted bytes.
  virtual ErrorKind UnexpectedKind() const { return ErrorKind::kNative; }

 private:
  void Execute() final;
  void OnOK() final;
  void OnError(const Napi::Error& e) final;

  Napi::Promise::Deferred deferred_;
  std::vector<Napi::Reference<Napi::Value>> kept_;
  ErrorKind kind_ = ErrorKind::kNative;
  std::string param_;
};

}  // namespace livefr
