#pragma once
#include <stddef.h>
#include <stdint.h>

/// libFuzzer's driver (compiler-rt, FuzzerDriver.cpp), linked in by -sanitize=fuzzer.
/// The targets call it from their own `main` because SwiftPM renames an executable's `main`
/// in debug builds (for testable executables) and libFuzzer's `main` would then not be used.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
