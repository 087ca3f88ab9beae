#ifndef RELOAD_BROKER_CZLIB_SHIM_H
#define RELOAD_BROKER_CZLIB_SHIM_H
#include <zlib.h>

/// inflateInit2 is a macro; Swift calls this instead. windowBits 15 + 32: gzip or zlib, detected
/// from the header; -15: raw deflate (no header).
static inline int rb_inflate_init(z_stream *stream, int windowBits) {
    return inflateInit2(stream, windowBits);
}
#endif
