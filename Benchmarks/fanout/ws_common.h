/* Shared by loadgen.c and floor.c: SHA-1 and base64 for the WebSocket handshake,
 * a monotonic clock, and small helpers. Public-domain style minimal implementations. */
#ifndef WS_COMMON_H
#define WS_COMMON_H
#include <stdint.h>
#include <string.h>
#include <time.h>

static inline int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

#define ROL(v, b) (((v) << (b)) | ((v) >> (32 - (b))))
static void sha1(const uint8_t *data, size_t len, uint8_t out[20]) {
    uint32_t h0 = 0x67452301, h1 = 0xEFCDAB89, h2 = 0x98BADCFE, h3 = 0x10325476, h4 = 0xC3D2E1F0;
    size_t total = ((len + 8) / 64 + 1) * 64;
    uint8_t msg[256];  /* handshake inputs are 60 bytes: 128 is enough; keep margin */
    if (total > sizeof msg) { memset(out, 0, 20); return; }
    memset(msg, 0, total);
    memcpy(msg, data, len);
    msg[len] = 0x80;
    uint64_t bits = (uint64_t)len * 8;
    for (int i = 0; i < 8; i++) msg[total - 1 - i] = (uint8_t)(bits >> (8 * i));
    for (size_t off = 0; off < total; off += 64) {
        uint32_t w[80];
        for (int i = 0; i < 16; i++)
            w[i] = (uint32_t)msg[off + 4 * i] << 24 | (uint32_t)msg[off + 4 * i + 1] << 16 |
                   (uint32_t)msg[off + 4 * i + 2] << 8 | msg[off + 4 * i + 3];
        for (int i = 16; i < 80; i++) w[i] = ROL(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
        uint32_t a = h0, b = h1, c = h2, d = h3, e = h4;
        for (int i = 0; i < 80; i++) {
            uint32_t f, k;
            if (i < 20) { f = (b & c) | (~b & d); k = 0x5A827999; }
            else if (i < 40) { f = b ^ c ^ d; k = 0x6ED9EBA1; }
            else if (i < 60) { f = (b & c) | (b & d) | (c & d); k = 0x8F1BBCDC; }
            else { f = b ^ c ^ d; k = 0xCA62C1D6; }
            uint32_t t = ROL(a, 5) + f + e + k + w[i];
            e = d; d = c; c = ROL(b, 30); b = a; a = t;
        }
        h0 += a; h1 += b; h2 += c; h3 += d; h4 += e;
    }
    uint32_t hs[5] = {h0, h1, h2, h3, h4};
    for (int i = 0; i < 5; i++) {
        out[4 * i] = hs[i] >> 24; out[4 * i + 1] = hs[i] >> 16; out[4 * i + 2] = hs[i] >> 8; out[4 * i + 3] = hs[i];
    }
}

static size_t base64(const uint8_t *in, size_t len, char *out) {
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < len ? (uint32_t)in[i + 1] << 8 : 0) | (i + 2 < len ? in[i + 2] : 0);
        out[o++] = t[(v >> 18) & 63];
        out[o++] = t[(v >> 12) & 63];
        out[o++] = i + 1 < len ? t[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < len ? t[v & 63] : '=';
    }
    out[o] = 0;
    return o;
}

/* Sec-WebSocket-Accept for a key (NUL-terminated, at most 40 chars); out needs 29 bytes. */
static void ws_accept(const char *key, size_t keylen, char out[32]) {
    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    uint8_t buf[128], digest[20];
    if (keylen > 64) keylen = 64;
    memcpy(buf, key, keylen);
    memcpy(buf + keylen, guid, 36);
    sha1(buf, keylen + 36, digest);
    base64(digest, 20, out);
}

/* Case-insensitive search for a header's value in a request/response head; returns length or -1. */
static int header_value(const char *head, size_t len, const char *name, const char **value) {
    size_t nl = strlen(name);
    for (size_t i = 0; i + nl + 1 < len; i++) {
        if ((i == 0 || head[i - 1] == '\n') && strncasecmp(head + i, name, nl) == 0 && head[i + nl] == ':') {
            size_t v = i + nl + 1;
            while (v < len && (head[v] == ' ' || head[v] == '\t')) v++;
            size_t e = v;
            while (e < len && head[e] != '\r' && head[e] != '\n') e++;
            *value = head + v;
            return (int)(e - v);
        }
    }
    return -1;
}
#endif
