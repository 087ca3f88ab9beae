#include "CRedisShim.h"
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <hiredis/adapters/libuv.h>

// Reply objects like hiredis' own (so its freeReplyObject frees them), refusing what is too big:
// returning NULL makes hiredis fail the connection with an out-of-memory error, never the process.

static redisReply *rb_reply(const redisReadTask *task, int type) {
    redisReply *reply = calloc(1, sizeof(redisReply));
    if (reply == NULL) return NULL;
    reply->type = type;
    if (task->parent != NULL) {
        redisReply *parent = task->parent->obj;
        if (parent == NULL || parent->type != REDIS_REPLY_ARRAY || task->idx < 0 ||
            (size_t)task->idx >= parent->elements) {
            free(reply);
            return NULL;
        }
        parent->element[task->idx] = reply;
    }
    return reply;
}

static void *rb_create_string(const redisReadTask *task, char *text, size_t length) {
    if (length > RB_REDIS_MAX_STRING) return NULL;
    char *copy = malloc(length + 1);
    if (copy == NULL) return NULL;
    redisReply *reply = rb_reply(task, task->type);
    if (reply == NULL) { free(copy); return NULL; }
    memcpy(copy, text, length);
    copy[length] = '\0';
    reply->str = copy;
    reply->len = length;
    return reply;
}

static void *rb_create_array(const redisReadTask *task, int elements) {
    if (elements < 0 || elements > RB_REDIS_MAX_ELEMENTS) return NULL;
    redisReply **slots = NULL;
    if (elements > 0) {
        slots = calloc((size_t)elements, sizeof(redisReply *));
        if (slots == NULL) return NULL;
    }
    redisReply *reply = rb_reply(task, REDIS_REPLY_ARRAY);
    if (reply == NULL) { free(slots); return NULL; }
    reply->element = slots;
    reply->elements = (size_t)elements;
    return reply;
}

static void *rb_create_integer(const redisReadTask *task, long long value) {
    redisReply *reply = rb_reply(task, REDIS_REPLY_INTEGER);
    if (reply != NULL) reply->integer = value;
    return reply;
}

static void *rb_create_nil(const redisReadTask *task) { return rb_reply(task, REDIS_REPLY_NIL); }

static redisReplyObjectFunctions rb_reply_functions = {
    rb_create_string, rb_create_array, rb_create_integer, rb_create_nil, freeReplyObject,
};

static void rb_copy(char *error, size_t size, const char *text) {
    if (size == 0) return;
    strncpy(error, text, size - 1);
    error[size - 1] = '\0';
}

redisAsyncContext *rb_redis_connect(const char *host, int port, uv_loop_t *loop, char *error, size_t size) {
    redisAsyncContext *context = redisAsyncConnect(host, port);
    if (context == NULL) { rb_copy(error, size, "out of memory"); return NULL; }
    if (context->err) {
        rb_copy(error, size, context->errstr);
        redisAsyncFree(context);
        return NULL;
    }
    context->c.reader->fn = &rb_reply_functions;
    if (redisLibuvAttach(context, loop) != REDIS_OK) {
        rb_copy(error, size, "cannot attach to the event loop");
        redisAsyncFree(context);
        return NULL;
    }
    return context;
}

const char *rb_redis_error(const redisAsyncContext *context) {
    return context->err ? context->errstr : "";
}

size_t rb_redis_buffered(const redisAsyncContext *context) {
    const redisReader *reader = context->c.reader;
    return reader == NULL || reader->len < reader->pos ? 0 : reader->len - reader->pos;
}

int rb_redis_socket_error(const redisAsyncContext *context) {
    int error = 0;
    socklen_t length = sizeof(error);
    if (context->c.fd < 0) return 0;
    if (getsockopt(context->c.fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) return 0;
    return error;
}
