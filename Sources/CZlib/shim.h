#ifndef RELOAD_BROKER_CZLIB_SHIM_H
#define RELOAD_BROKER_CZLIB_SHIM_H
#include <zlib.h>

/// inflateInit2 is a macro; Swift calls this instead. 15 + 32: gzip or zlib, detected from the header.
static inline int rb_inflate_init(z_stream *stream) {
    return inflateInit2(stream, 15 + 32);
}
#endif
