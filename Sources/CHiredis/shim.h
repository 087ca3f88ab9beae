#ifndef RELOAD_BROKER_CHIREDIS_SHIM_H
#define RELOAD_BROKER_CHIREDIS_SHIM_H
// hiredis (Debian libhiredis-dev 0.14.1): the client and its asynchronous API.
#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#endif
