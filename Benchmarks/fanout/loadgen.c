/* loadgen: broadcast fan-out load generator (epoll, one thread).
 *
 * Opens N real WebSocket clients (RFC 6455 handshake with a random key, the
 * Sec-WebSocket-Accept checked; pongs and the final close frame are masked) or
 * N fastapi-reloader long-poll clients, spread over source addresses
 * 127.0.0.2 .. 127.0.0.(1+srcs) (bound before connect with
 * IP_BIND_ADDRESS_NO_PORT), then fires triggers (an HTTP request on its own
 * connection) and records, per client, the CLOCK_MONOTONIC time from the
 * trigger's send to the receipt of the reload frame.
 *
 * Phases: connect -> idle (RSS, idle CPU of --pid) -> latency triggers (one at a
 * time, each waits for every client) -> sustained triggers at --rate.
 * Prints one JSON object on stdout; --cdf FILE writes the latencies (us) of the
 * median latency trigger, one per line. Every loop is bounded in time.
 *
 * --passive T (the cluster benchmark: several generators, one per broker, and a driver that
 * fires the triggers): connect, print {"ready":CONNECTED}, then for each of T broadcasts
 * (epochs 1..T) wait until every client has it and print one line
 * {"trigger":i,"received":R,"first_ns":..,"last_ns":..} with CLOCK_MONOTONIC receipt times,
 * comparable with the driver's time.monotonic_ns() on the same machine; then a summary line.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ws_common.h"

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

enum { ST_CONNECTING, ST_HEAD, ST_OPEN, ST_CLOSED };
enum { PROTO_WS, PROTO_LONGPOLL };
#define BUFCAP 512

typedef struct {
    int fd;
    uint8_t state;
    uint8_t prev_nl;      /* long-poll: previous body byte was '\n' */
    uint8_t pending_one;  /* long-poll: saw '1' after '\n' */
    uint16_t len;
    uint32_t skip;        /* bytes of an oversized frame still to discard */
    int last_idx;         /* index of the last trigger this client received */
    uint32_t frames;      /* reload frames received */
    char key[25];
    char buf[BUFCAP];
} client_t;

/* options */
static const char *host = "127.0.0.1", *path = "/__reload/ws", *trig_method = "POST", *trig_path = "/__reload/trigger";
static const char *cdf_path = NULL;
static int port = 0, trig_port = 0, nclients = 1000, srcs = 8, window = 256, proto = PROTO_WS, pid = 0;
static int lat_triggers = 3, sus_triggers = 100;
static double rate = 20, phase_timeout = 60, trig_timeout = 15;
static int settle_ms = 1000, idle_ms = 2000, passive = 0;

static client_t *clients;
static int ep;
static int total_triggers;
static int64_t *trig_sent;  /* send time of trigger i */
static int64_t *recv_ns;    /* [trigger][client] receipt time, 0 = none */
static long *recv_count;    /* clients that received trigger i */
static int triggers_sent = 0;
static long connected = 0, connect_failed = 0, closed_after_open = 0, handshake_bad = 0;
static long frames_total = 0;
static int64_t last_receipt = 0;
static int trig_fd = -1;
static char trig_resp[512];
static int trig_resp_len = 0;

static void die(const char *m) { perror(m); exit(2); }

static void set_nonblock(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

/* /proc/PID/status VmRSS in KiB */
static long rss_kib(void) {
    if (!pid) return -1;
    char p[64], line[256];
    snprintf(p, sizeof p, "/proc/%d/status", pid);
    FILE *f = fopen(p, "r");
    if (!f) return -1;
    long v = -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0) { v = atol(line + 6); break; }
    fclose(f);
    return v;
}

/* utime+stime of PID (all threads) in microseconds */
static double cpu_us(void) {
    if (!pid) return -1;
    char p[64], b[2048];
    snprintf(p, sizeof p, "/proc/%d/stat", pid);
    FILE *f = fopen(p, "r");
    if (!f) return -1;
    size_t n = fread(b, 1, sizeof b - 1, f);
    fclose(f);
    b[n] = 0;
    char *s = strrchr(b, ')');
    if (!s) return -1;
    unsigned long ut = 0, st = 0;
    /* fields after ")": state(3) ... utime(14) stime(15) */
    int field = 2;
    char *tok = strtok(s + 1, " ");
    while (tok) {
        field++;
        if (field == 14) ut = strtoul(tok, NULL, 10);
        if (field == 15) { st = strtoul(tok, NULL, 10); break; }
        tok = strtok(NULL, " ");
    }
    return (double)(ut + st) * 1e6 / sysconf(_SC_CLK_TCK);
}

static void client_close(client_t *c) {
    if (c->state == ST_CLOSED) return;
    if (c->state == ST_OPEN) closed_after_open++;
    else connect_failed++;
    close(c->fd);
    c->state = ST_CLOSED;
}

static int start_connect(int i) {
    client_t *c = &clients[i];
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0) { c->state = ST_CLOSED; connect_failed++; return -1; }
    int one = 1;
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in src = {.sin_family = AF_INET};
    src.sin_addr.s_addr = htonl(0x7f000002u + (uint32_t)(i % srcs));
    if (bind(fd, (struct sockaddr *)&src, sizeof src) < 0) die("bind source address");
    struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, host, &dst.sin_addr);
    c->fd = fd;
    c->state = ST_CONNECTING;
    c->len = 0;
    c->last_idx = -1;
    c->prev_nl = 1;
    if (connect(fd, (struct sockaddr *)&dst, sizeof dst) < 0 && errno != EINPROGRESS) {
        close(fd);
        c->state = ST_CLOSED;
        connect_failed++;
        return -1;
    }
    struct epoll_event ev = {.events = EPOLLOUT, .data.u32 = (uint32_t)i};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    return 0;
}

static void send_request(client_t *c) {
    char req[512];
    int n;
    if (proto == PROTO_WS) {
        uint8_t raw[16];
        if (getrandom(raw, 16, 0) != 16) die("getrandom");
        base64(raw, 16, c->key);
        n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n",
                     path, host, port, c->key);
    } else {
        n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s:%d\r\nAccept: */*\r\n\r\n", path, host, port);
    }
    if (write(c->fd, req, n) != n) client_close(c);
}

/* A masked client frame (pong or close). */
static void send_masked(client_t *c, uint8_t opcode, const uint8_t *payload, size_t len) {
    uint8_t f[2 + 4 + 125];
    if (len > 125) len = 125;
    f[0] = 0x80 | opcode;
    f[1] = 0x80 | (uint8_t)len;
    uint8_t mask[4];
    if (getrandom(mask, 4, 0) != 4) memset(mask, 0x5a, 4);
    memcpy(f + 2, mask, 4);
    for (size_t i = 0; i < len; i++) f[6 + i] = payload[i] ^ mask[i & 3];
    ssize_t w = write(c->fd, f, 6 + len);
    (void)w;
}

static void record_reload(client_t *c, int ci, long epoch) {
    int64_t t = now_ns();
    int idx;
    if (epoch > 0) idx = (int)epoch - 1;  /* every server under test numbers broadcasts from 1 */
    else idx = triggers_sent - 1;         /* no epoch (long-poll): the latest trigger sent */
    if (idx <= c->last_idx) idx = c->last_idx + 1;
    if (idx < 0 || idx >= triggers_sent) return;
    c->last_idx = idx;
    c->frames++;
    frames_total++;
    if (!recv_ns[(size_t)idx * nclients + ci]) { recv_ns[(size_t)idx * nclients + ci] = t; recv_count[idx]++; }
    last_receipt = t;
}

/* Parse complete server frames in c->buf. */
static void parse_frames(client_t *c, int ci) {
    size_t off = 0;
    while (off < c->len) {
        if (c->skip) {
            size_t take = c->len - off < c->skip ? c->len - off : c->skip;
            off += take;
            c->skip -= take;
            continue;
        }
        if (c->len - off < 2) break;
        uint8_t *b = (uint8_t *)c->buf + off;
        uint8_t opcode = b[0] & 0x0f;
        uint64_t plen = b[1] & 0x7f;
        size_t hl = 2;
        if (plen == 126) { if (c->len - off < 4) break; plen = (uint64_t)b[2] << 8 | b[3]; hl = 4; }
        else if (plen == 127) {
            if (c->len - off < 10) break;
            plen = 0;
            for (int i = 0; i < 8; i++) plen = plen << 8 | b[2 + i];
            hl = 10;
        }
        if (hl + plen > BUFCAP) {  /* not a reload frame: discard */
            off += hl;
            c->skip = (uint32_t)plen;
            continue;
        }
        if (c->len - off < hl + plen) break;
        const char *p = (const char *)b + hl;
        if (opcode == 1) {
            if (memmem(p, plen, "\"reload\"", 8)) {
                long epoch = 0;
                const char *e = memmem(p, plen, "\"epoch\":", 8);
                if (e) epoch = strtol(e + 8, NULL, 10);
                record_reload(c, ci, epoch);
            }
        } else if (opcode == 9) {
            send_masked(c, 0xA, (const uint8_t *)p, plen);
        } else if (opcode == 8) {
            client_close(c);
            return;
        }
        off += hl + plen;
    }
    memmove(c->buf, c->buf + off, c->len - off);
    c->len -= off;
}

/* Long-poll body: "1\n" alone on a line (chunked: "2\r\n1\n\r\n") is the reload. */
static void scan_longpoll(client_t *c, int ci, const char *p, size_t n) {
    for (size_t i = 0; i < n; i++) {
        char ch = p[i];
        if (c->pending_one) {
            c->pending_one = 0;
            if (ch == '\n') {
                record_reload(c, ci, 0);
                /* the seed ends the response after a reload: subscribe again (keep-alive) */
                char req[256];
                int m = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s:%d\r\nAccept: */*\r\n\r\n", path, host, port);
                if (write(c->fd, req, m) != m) { client_close(c); return; }
            }
        }
        if (ch == '1' && c->prev_nl) c->pending_one = 1;
        c->prev_nl = ch == '\n';
    }
}

static void on_head(client_t *c, int ci) {
    char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
    if (!end) {
        if (c->len >= BUFCAP) { handshake_bad++; client_close(c); }
        return;
    }
    size_t hlen = end + 4 - c->buf;
    int ok;
    if (proto == PROTO_WS) {
        const char *v = NULL;
        char expect[32];
        ws_accept(c->key, strlen(c->key), expect);
        int vl = header_value(c->buf, hlen, "Sec-WebSocket-Accept", &v);
        ok = c->len > 12 && memcmp(c->buf + 9, "101", 3) == 0 && vl == (int)strlen(expect) && memcmp(v, expect, vl) == 0;
    } else {
        ok = c->len > 12 && c->buf[9] == '2';
    }
    if (!ok) { handshake_bad++; client_close(c); return; }
    c->state = ST_OPEN;
    connected++;
    size_t rest = c->len - hlen;
    memmove(c->buf, c->buf + hlen, rest);
    c->len = rest;
    if (proto == PROTO_WS) parse_frames(c, ci);
    else { scan_longpoll(c, ci, c->buf, c->len); c->len = 0; }
}

static void on_readable(int ci) {
    client_t *c = &clients[ci];
    for (int rounds = 0; rounds < 64 && c->state != ST_CLOSED; rounds++) {
        if (proto == PROTO_LONGPOLL && c->state == ST_OPEN) {
            char tmp[4096];
            ssize_t r = read(c->fd, tmp, sizeof tmp);
            if (r > 0) { scan_longpoll(c, ci, tmp, r); continue; }
            if (r == 0 || errno != EAGAIN) client_close(c);
            return;
        }
        ssize_t r = read(c->fd, c->buf + c->len, BUFCAP - c->len);
        if (r > 0) {
            c->len += r;
            if (c->state == ST_HEAD) on_head(c, ci);
            else parse_frames(c, ci);
            if (r < (ssize_t)(BUFCAP - c->len)) return;
            continue;
        }
        if (r == 0 || errno != EAGAIN) client_close(c);
        return;
    }
}

/* ---- trigger: one HTTP request on its own connection ---- */
#define TRIG_TAG 0xFFFFFFFFu
static int fire_trigger(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons(trig_port)};
    inet_pton(AF_INET, host, &dst.sin_addr);
    if (connect(fd, (struct sockaddr *)&dst, sizeof dst) < 0) { close(fd); return -1; }
    set_nonblock(fd);
    char req[512];
    int n = snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: %s:%d\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                     trig_method, trig_path, host, trig_port);
    if (trig_fd >= 0) { epoll_ctl(ep, EPOLL_CTL_DEL, trig_fd, NULL); close(trig_fd); }
    trig_fd = fd;
    trig_resp_len = 0;
    trig_sent[triggers_sent] = now_ns();
    triggers_sent++;
    if (write(fd, req, n) != n) return -1;
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = TRIG_TAG};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    return 0;
}

static void on_trigger_readable(void) {
    char tmp[4096];
    for (;;) {
        ssize_t r = read(trig_fd, tmp, sizeof tmp);
        if (r > 0) {
            int room = (int)sizeof trig_resp - 1 - trig_resp_len;
            if (room > 0) { memcpy(trig_resp + trig_resp_len, tmp, r < room ? r : room); trig_resp_len += r < room ? r : room; trig_resp[trig_resp_len] = 0; }
            continue;
        }
        if (r == 0 || errno != EAGAIN) { epoll_ctl(ep, EPOLL_CTL_DEL, trig_fd, NULL); close(trig_fd); trig_fd = -1; }
        return;
    }
}

/* Runs the event loop until `deadline`, or until `done()` says so. */
static struct epoll_event events[1024];
static int next_to_connect = 0, in_flight = 0;

static void pump(int64_t deadline, int (*done)(void)) {
    while (now_ns() < deadline && !(done && done())) {
        int64_t left_ms = (deadline - now_ns()) / 1000000;
        int n = epoll_wait(ep, events, 1024, left_ms > 50 ? 50 : (int)left_ms);
        for (int k = 0; k < n; k++) {
            uint32_t id = events[k].data.u32;
            if (id == TRIG_TAG) { on_trigger_readable(); continue; }
            client_t *c = &clients[id];
            if (c->state == ST_CONNECTING) {
                int err = 0;
                socklen_t el = sizeof err;
                getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
                in_flight--;
                if (err) { client_close(c); continue; }
                struct epoll_event ev = {.events = EPOLLIN, .data.u32 = id};
                epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
                c->state = ST_HEAD;
                send_request(c);
                in_flight++;  /* until the head arrives */
                continue;
            }
            int was_head = c->state == ST_HEAD;
            on_readable(id);
            if (was_head && c->state != ST_HEAD) in_flight--;
        }
        while (next_to_connect < nclients && in_flight < window) {
            if (start_connect(next_to_connect++) == 0) in_flight++;
        }
    }
}

static int all_connected(void) { return next_to_connect == nclients && in_flight == 0; }
static int cur_trigger;
static int all_received(void) { return recv_count[cur_trigger] >= connected - closed_after_open; }
static int sus_last;
static int sustained_done(void) { return recv_count[sus_last] >= connected - closed_after_open; }

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

typedef struct { long received; double first, p50, p90, p99, max; } latstat_t;

static latstat_t trigger_stats(int t, int64_t *scratch, long *count) {
    latstat_t s = {0};
    long m = 0;
    for (int i = 0; i < nclients; i++) {
        int64_t r = recv_ns[(size_t)t * nclients + i];
        if (r) scratch[m++] = r - trig_sent[t];
    }
    qsort(scratch, m, sizeof *scratch, cmp_i64);
    s.received = m;
    if (m) {
        s.first = scratch[0] / 1e6;
        s.p50 = scratch[(m - 1) * 50 / 100] / 1e6;
        s.p90 = scratch[(m - 1) * 90 / 100] / 1e6;
        s.p99 = scratch[(m - 1) * 99 / 100] / 1e6;
        s.max = scratch[m - 1] / 1e6;
    }
    *count = m;
    return s;
}

static void usage(void) {
    fprintf(stderr,
            "loadgen --port P [--host 127.0.0.1] [--path /__reload/ws] [--proto ws|longpoll] [--n N] [--srcs K]\n"
            "        [--trigger-port P] [--trigger-method POST] [--trigger-path /__reload/trigger]\n"
            "        [--latency-triggers 3] [--sustained-triggers 100] [--rate 20] [--window 256]\n"
            "        [--pid SERVER_PID] [--cdf FILE] [--timeout S] [--trigger-timeout S] [--settle-ms 1000] [--idle-ms 2000]\n"
            "        [--passive TRIGGERS]\n");
    exit(2);
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) usage();
        if (!strcmp(a, "--port")) port = atoi(v);
        else if (!strcmp(a, "--host")) host = v;
        else if (!strcmp(a, "--path")) path = v;
        else if (!strcmp(a, "--proto")) proto = !strcmp(v, "longpoll") ? PROTO_LONGPOLL : PROTO_WS;
        else if (!strcmp(a, "--n")) nclients = atoi(v);
        else if (!strcmp(a, "--srcs")) srcs = atoi(v);
        else if (!strcmp(a, "--trigger-port")) trig_port = atoi(v);
        else if (!strcmp(a, "--trigger-method")) trig_method = v;
        else if (!strcmp(a, "--trigger-path")) trig_path = v;
        else if (!strcmp(a, "--latency-triggers")) lat_triggers = atoi(v);
        else if (!strcmp(a, "--sustained-triggers")) sus_triggers = atoi(v);
        else if (!strcmp(a, "--rate")) rate = atof(v);
        else if (!strcmp(a, "--window")) window = atoi(v);
        else if (!strcmp(a, "--pid")) pid = atoi(v);
        else if (!strcmp(a, "--cdf")) cdf_path = v;
        else if (!strcmp(a, "--timeout")) phase_timeout = atof(v);
        else if (!strcmp(a, "--trigger-timeout")) trig_timeout = atof(v);
        else if (!strcmp(a, "--settle-ms")) settle_ms = atoi(v);
        else if (!strcmp(a, "--idle-ms")) idle_ms = atoi(v);
        else if (!strcmp(a, "--passive")) passive = atoi(v);
        else usage();
        i++;
    }
    if (!port || nclients < 1 || srcs < 1 || srcs > 250 || lat_triggers < 1) usage();
    if (!trig_port) trig_port = port;
    if (passive < 0 || passive > 1000) usage();
    if (passive) lat_triggers = passive, sus_triggers = 0;

    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    if ((long)rl.rlim_cur < nclients + 32) {
        fprintf(stderr, "loadgen: fd limit %ld is too low for %d clients\n", (long)rl.rlim_cur, nclients);
        return 2;
    }

    total_triggers = lat_triggers + sus_triggers;
    clients = calloc(nclients, sizeof *clients);
    trig_sent = calloc(total_triggers, sizeof *trig_sent);
    recv_count = calloc(total_triggers, sizeof *recv_count);
    recv_ns = calloc((size_t)total_triggers * nclients, sizeof *recv_ns);
    int64_t *scratch = malloc(sizeof(int64_t) * nclients);
    if (!clients || !trig_sent || !recv_ns || !scratch) die("calloc");
    ep = epoll_create1(0);

    long rss0 = rss_kib();
    double cpu0 = cpu_us();

    /* 1. connect */
    int64_t t0 = now_ns();
    pump(t0 + (int64_t)(phase_timeout * 1e9), all_connected);
    int64_t t1 = now_ns();
    double connect_s = (t1 - t0) / 1e9;
    double cpu_connect = cpu_us() - cpu0;

    if (passive) {
        /* Receipts only: the driver fires the triggers (epochs 1..passive) once all are ready. */
        triggers_sent = passive;
        printf("{\"ready\":%ld,\"connect_s\":%.4f}\n", connected, connect_s);
        fflush(stdout);
        for (int t = 0; t < passive; t++) {
            cur_trigger = t;
            pump(now_ns() + (int64_t)(phase_timeout * 1e9), all_received);
            int64_t first = 0, last = 0;
            for (int i = 0; i < nclients; i++) {
                int64_t r = recv_ns[(size_t)t * nclients + i];
                if (!r) continue;
                if (!first || r < first) first = r;
                if (r > last) last = r;
            }
            printf("{\"trigger\":%d,\"received\":%ld,\"first_ns\":%lld,\"last_ns\":%lld}\n", t, recv_count[t],
                   (long long)first, (long long)last);
            fflush(stdout);
        }
        long open = 0;
        for (int i = 0; i < nclients; i++) open += clients[i].state == ST_OPEN;
        printf("{\"n\":%d,\"connected\":%ld,\"connect_failed\":%ld,\"open_after\":%ld,\"frames\":%ld,"
               "\"cpu_connect_us\":%.0f}\n", nclients, connected, connect_failed, open, frames_total, cpu_connect);
        for (int i = 0; i < nclients; i++)
            if (clients[i].state != ST_CLOSED) close(clients[i].fd);
        return 0;
    }

    /* 2. idle: let the server settle, then RSS and idle CPU over --idle-ms */
    pump(now_ns() + settle_ms * 1000000LL, NULL);
    long rss1 = rss_kib();
    double cpu_idle0 = cpu_us();
    int64_t ti = now_ns();
    pump(ti + idle_ms * 1000000LL, NULL);
    double idle_cpu_pct = (cpu_us() - cpu_idle0) / ((now_ns() - ti) / 1e3) * 100;

    /* 3. latency triggers, one at a time */
    latstat_t lat[64];
    int nlat = lat_triggers > 64 ? 64 : lat_triggers;
    double cpu_lat0 = cpu_us();
    for (int t = 0; t < nlat; t++) {
        cur_trigger = triggers_sent;
        if (fire_trigger() < 0) fprintf(stderr, "loadgen: trigger %d failed to send\n", t);
        pump(now_ns() + (int64_t)(trig_timeout * 1e9), all_received);
        pump(now_ns() + 300000000LL, NULL);  /* let the trigger response and stragglers arrive */
        long m;
        lat[t] = trigger_stats(cur_trigger, scratch, &m);
    }
    double cpu_lat = cpu_us() - cpu_lat0;
    /* the median trigger by max latency */
    int order[64] = {0};
    for (int t = 0; t < nlat; t++) order[t] = t;
    for (int a = 0; a < nlat; a++)
        for (int b = a + 1; b < nlat; b++)
            if (lat[order[b]].max < lat[order[a]].max) { int x = order[a]; order[a] = order[b]; order[b] = x; }
    int med = order[nlat / 2];
    long min_received = nclients;
    for (int t = 0; t < nlat; t++) if (lat[t].received < min_received) min_received = lat[t].received;
    if (cdf_path) {
        long m;
        trigger_stats(med, scratch, &m);
        FILE *f = fopen(cdf_path, "w");
        if (f) { for (long i = 0; i < m; i++) fprintf(f, "%.1f\n", scratch[i] / 1e3); fclose(f); }
    }
    long open_before_sustained = 0;
    for (int i = 0; i < nclients; i++) open_before_sustained += clients[i].state == ST_OPEN;

    /* 4. sustained: sus_triggers at `rate` per second */
    long frames_before = frames_total;
    double cpu_sus0 = cpu_us();
    int64_t ts0 = now_ns();
    int first_sus = triggers_sent;
    for (int k = 0; k < sus_triggers; k++) {
        int64_t due = ts0 + (int64_t)(k * 1e9 / rate);
        pump(due, NULL);
        fire_trigger();
    }
    sus_last = triggers_sent - 1;
    if (sus_triggers > 0) pump(now_ns() + 10000000000LL, sustained_done);
    int64_t ts1 = last_receipt > ts0 ? last_receipt : now_ns();
    double cpu_sus = cpu_us() - cpu_sus0;
    long frames_sus = frames_total - frames_before;
    long behind = 0, open_after = 0;
    long missed = 0;
    double sus_max_ms = 0;
    for (int i = 0; i < nclients; i++) {
        if (clients[i].state == ST_OPEN) open_after++;
        if (sus_triggers > 0 && clients[i].last_idx < sus_last) behind++;
        for (int t = first_sus; t < triggers_sent; t++) {
            int64_t r = recv_ns[(size_t)t * nclients + i];
            if (!r) missed++;
            else if ((r - trig_sent[t]) / 1e6 > sus_max_ms) sus_max_ms = (r - trig_sent[t]) / 1e6;
        }
    }
    long rss2 = rss_kib();

    /* 5. close politely (masked close frame), then the sockets */
    for (int i = 0; i < nclients; i++) {
        if (clients[i].state == ST_OPEN && proto == PROTO_WS) {
            uint8_t code[2] = {0x03, 0xE8};
            send_masked(&clients[i], 0x8, code, 2);
        }
        if (clients[i].state != ST_CLOSED) close(clients[i].fd);
    }

    latstat_t L = lat[med];
    printf("{\"n\":%d,\"connected\":%ld,\"connect_failed\":%ld,\"handshake_bad\":%ld,\"connect_s\":%.4f,"
           "\"handshakes_per_s\":%.1f,\"cpu_connect_us\":%.0f,"
           "\"rss_before_kib\":%ld,\"rss_idle_kib\":%ld,\"rss_after_kib\":%ld,\"rss_per_conn_b\":%.1f,"
           "\"idle_cpu_pct\":%.3f,"
           "\"latency\":{\"triggers\":%d,\"received\":%ld,\"min_received\":%ld,\"first_ms\":%.3f,\"p50_ms\":%.3f,"
           "\"p90_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,\"all_max_ms\":[",
           nclients, connected, connect_failed, handshake_bad, connect_s, connected / (connect_s > 0 ? connect_s : 1),
           cpu_connect, rss0, rss1, rss2, connected ? (rss1 - rss0) * 1024.0 / connected : 0, idle_cpu_pct, nlat,
           L.received, min_received, L.first, L.p50, L.p90, L.p99, L.max);
    for (int t = 0; t < nlat; t++) printf("%s%.3f", t ? "," : "", lat[t].max);
    double bcast = (double)nlat * (open_before_sustained ? open_before_sustained : 1);
    printf("],\"cpu_us\":%.0f,\"cpu_us_per_client_broadcast\":%.4f},", cpu_lat, cpu_lat / bcast);
    double sus_s = (ts1 - ts0) / 1e9;
    printf("\"sustained\":{\"triggers\":%d,\"rate\":%.1f,\"frames\":%ld,\"expected\":%ld,\"missed\":%ld,\"behind\":%ld,"
           "\"seconds\":%.3f,\"frames_per_s\":%.0f,\"max_ms\":%.3f,\"cpu_us\":%.0f,\"cpu_us_per_client_broadcast\":%.4f},",
           sus_triggers, rate, frames_sus, (long)sus_triggers * open_before_sustained, missed, behind, sus_s,
           sus_s > 0 ? frames_sus / sus_s : 0, sus_max_ms, cpu_sus,
           sus_triggers ? cpu_sus / ((double)sus_triggers * (open_before_sustained ? open_before_sustained : 1)) : 0);
    printf("\"open_after\":%ld,\"closed_after_open\":%ld}\n", open_after, closed_after_open);
    return 0;
}
