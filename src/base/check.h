// OMX_CHECK: invariants that stay on in release builds. A failed check prints the condition,
// location and message to stderr and aborts: it marks a bug in omx, never bad input.
#pragma once

#include <cstdio>
#include <cstdlib>

#define OMX_CHECK(cond, ...)                                                      \
  do {                                                                           \
    if (__builtin_expect(!(cond), 0)) {                                          \
      std::fprintf(stderr, "omx: check failed at %s:%d: %s: ", __FILE__, __LINE__, \
                   #cond);                                                       \
      std::fprintf(stderr, "" __VA_ARGS__);                                      \
      std::fputc('\n', stderr);                                                  \
      std::abort();                                                              \
    }                                                                            \
  } while (0)
