#ifndef RELOAD_BROKER_CLIBUV_SHIM_H
#define RELOAD_BROKER_CLIBUV_SHIM_H
#include <uv.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#endif
