#ifndef RELOAD_BROKER_CREDIS_SHIM_H
#define RELOAD_BROKER_CREDIS_SHIM_H
// The few C functions UVLoop needs around hiredis: its libuv adapter is a header of static
// functions, compiled once here; replies are built under limits (a hostile server cannot make
// the broker allocate a huge array or string).
#include <stddef.h>
#include <uv.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>

/// Largest array a reply may have, and largest string (status, error or bulk), in bytes.
#define RB_REDIS_MAX_ELEMENTS 1024
#define RB_REDIS_MAX_STRING (1024 * 1024)

/// Starts a non-blocking connection to host:port attached to `loop` (hiredis' libuv adapter),
/// with the bounded reply functions. NULL when it cannot even start; then `error` (of `size` bytes)
/// names why.
redisAsyncContext *rb_redis_connect(const char *host, int port, uv_loop_t *loop, char *error, size_t size);

/// The context's error text ("" when none).
const char *rb_redis_error(const redisAsyncContext *context);

/// Bytes received and not yet parsed into a reply (a reply still arriving).
size_t rb_redis_buffered(const redisAsyncContext *context);

/// The socket's pending error (SO_ERROR, an errno value; 0 when none). hiredis 0.14.1's libuv
/// adapter drops libuv's error status (POLLERR: a refused connect, a reset), after which libuv
/// has stopped polling: without this check such a connection would wait forever.
int rb_redis_socket_error(const redisAsyncContext *context);

#endif
