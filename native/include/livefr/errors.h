// Failures of the native core, as plain C++ (no N-API): thrown by code that
// runs off the JS thread, and turned into livefr's own JS error classes on
// the JS thread (common.h MakeError; the classes are TypeScript's,
// lib/native/errors.ts, handed to the addon at load).
#pragma once

#include <stdexcept>
#include <string>

namespace livefr {

// Which livefr error class a failure becomes. The names are the ones the
// TypeScript error factory knows ("type", "range", ...).
enum class ErrorKind { kType, kRange, kFormat, kState, kNative };

const char* ErrorKindName(ErrorKind kind);

// A failure with the parameter it is about ("" when none) and a message.
struct Failure : std::runtime_error {
  ErrorKind kind;
  std::string param;
  Failure(ErrorKind k, std::string parameter, const std::string& message)
      : std::runtime_error(message), kind(k), param(std::move(parameter)) {}
};

// A value out of range (a RangeError naming `param`).
struct RangeFailure : Failure {
  explicit RangeFailure(const std::string& message, std::string parameter = "")
      : Failure(ErrorKind::kRange, std::move(parameter), message) {}
};
// Bytes from a file that are not what the format promises (a FileFormatError).
struct FormatFailure : Failure {
  explicit FormatFailure(const std::string& message) : Failure(ErrorKind::kFormat, "", message) {}
};
// An operation the object's state does not allow (a StateError).
struct StateFailure : Failure {
  explicit StateFailure(const std::string& message) : Failure(ErrorKind::kState, "", message) {}
};

}  // namespace livefr
