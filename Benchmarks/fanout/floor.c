/* floor: the minimal broadcast server, the hardware floor of the fan-out benchmark.
 *
 * One thread, epoll, level-triggered. Any GET with "Upgrade: websocket" gets the
 * RFC 6455 handshake (101 with Sec-WebSocket-Accept) and joins the client list;
 * any request whose path contains "trigger" encodes {"type":"reload","epoch":N}
 * once into one text frame, write()s it to every client, and answers
 * {"ok":true,"epoch":N,"clients":K}. Client input after the upgrade is read and
 * ignored (a close frame or EOF closes the socket). No per-client buffers beyond
 * the request head. Prints "floor: listening on PORT" once ready.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ws_common.h"

typedef struct {
    int fd;
    int ws_index;  /* index in ws[] or -1 */
    int len;
    char *head;    /* request head while in HTTP, freed after upgrade */
} conn_t;

static conn_t **conns;  /* by fd */
static int *ws;         /* fds of upgraded clients */
static int nws = 0;
static long epoch = 0;
static int ep;

static void drop(int fd) {
    conn_t *c = conns[fd];
    if (!c) return;
    if (c->ws_index >= 0) {
        int last = ws[--nws];
        if (c->ws_index < nws) { ws[c->ws_index] = last; conns[last]->ws_index = c->ws_index; }
    }
    free(c->head);
    free(c);
    conns[fd] = NULL;
    epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
    close(fd);
}

static void respond_close(int fd, const char *status, const char *body) {
    char r[512];
    int n = snprintf(r, sizeof r, "HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
                     status, strlen(body), body);
    ssize_t w = write(fd, r, n);
    (void)w;
    drop(fd);
}

static void broadcast(int trigger_fd) {
    epoch++;
    char payload[64];
    int pl = snprintf(payload, sizeof payload, "{\"type\":\"reload\",\"epoch\":%ld}", epoch);
    uint8_t frame[2 + 64];
    frame[0] = 0x81;
    frame[1] = (uint8_t)pl;
    memcpy(frame + 2, payload, pl);
    int reached = 0;
    for (int i = 0; i < nws; i++) {
        ssize_t w = write(ws[i], frame, 2 + pl);
        if (w == 2 + pl) reached++;  /* a full socket buffer would need a queue; not in the floor */
    }
    char body[128];
    snprintf(body, sizeof body, "{\"ok\":true,\"epoch\":%ld,\"clients\":%d}", epoch, reached);
    respond_close(trigger_fd, "200 OK", body);
}

static void on_head(conn_t *c) {
    char *end = memmem(c->head, c->len, "\r\n\r\n", 4);
    if (!end) {
        if (c->len >= 2048) respond_close(c->fd, "431 Request Header Fields Too Large", "{}");
        return;
    }
    int hl = (int)(end + 4 - c->head);
    char *line_end = memchr(c->head, '\r', hl);
    if (line_end && memmem(c->head, line_end - c->head, "trigger", 7)) { broadcast(c->fd); return; }
    const char *key, *up;
    int ul = header_value(c->head, hl, "Upgrade", &up);
    int kl = header_value(c->head, hl, "Sec-WebSocket-Key", &key);
    if (ul != 9 || strncasecmp(up, "websocket", 9) != 0 || kl <= 0 || kl > 40) {
        respond_close(c->fd, "404 Not Found", "{}");
        return;
    }
    char accept[32];
    ws_accept(key, kl, accept);
    char r[256];
    int n = snprintf(r, sizeof r,
                     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Accept: %s\r\n\r\n", accept);
    if (write(c->fd, r, n) != n) { drop(c->fd); return; }
    free(c->head);
    c->head = NULL;
    c->len = 0;
    c->ws_index = nws;
    ws[nws++] = c->fd;
}

int main(int argc, char **argv) {
    int port = argc > 1 ? atoi(argv[1]) : 0;
    signal(SIGPIPE, SIG_IGN);
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    long maxfd = (long)rl.rlim_cur + 16;
    conns = calloc(maxfd, sizeof *conns);
    ws = calloc(maxfd, sizeof *ws);

    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (bind(lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(lfd, 4096) < 0) { perror("floor: listen"); return 1; }
    socklen_t al = sizeof a;
    getsockname(lfd, (struct sockaddr *)&a, &al);
    ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = lfd};
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    printf("floor: listening on %d\n", ntohs(a.sin_port));
    fflush(stdout);

    struct epoll_event events[1024];
    for (;;) {
        int n = epoll_wait(ep, events, 1024, -1);
        for (int k = 0; k < n; k++) {
            int fd = events[k].data.fd;
            if (fd == lfd) {
                for (int accepted = 0; accepted < 256; accepted++) {
                    int cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
                    if (cfd < 0) break;
                    if (cfd >= maxfd) { close(cfd); continue; }
                    setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    conn_t *c = calloc(1, sizeof *c);
                    c->fd = cfd;
                    c->ws_index = -1;
                    c->head = malloc(2048);
                    conns[cfd] = c;
                    struct epoll_event cev = {.events = EPOLLIN, .data.fd = cfd};
                    epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &cev);
                }
                continue;
            }
            conn_t *c = conns[fd];
            if (!c) continue;
            if (c->head) {
                ssize_t r = read(fd, c->head + c->len, 2048 - c->len);
                if (r <= 0) { if (r == 0 || errno != EAGAIN) drop(fd); continue; }
                c->len += r;
                on_head(c);
            } else {
                uint8_t tmp[4096];
                ssize_t r = read(fd, tmp, sizeof tmp);
                if (r == 0 || (r < 0 && errno != EAGAIN)) { drop(fd); continue; }
                if (r >= 2 && (tmp[0] & 0x0f) == 8) drop(fd);  /* close frame: we are done */
            }
        }
    }
}
