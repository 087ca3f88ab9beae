"""The seed: fastapi-reloader 1.3.4 on uvicorn, as an app would use it.

    uvicorn seed_app:app --port PORT

Clients long-poll GET /---fastapi-reloader--- (a stream of "0\n" heartbeats, "1\n" on
reload, then the response ends). POST /trigger calls send_reload_signal().
"""
from fastapi import FastAPI
from fastapi_reloader import patch_for_auto_reloading, send_reload_signal

inner = FastAPI()


@inner.post("/trigger")
async def trigger():
    send_reload_signal()
    return {"ok": True}


app = patch_for_auto_reloading(inner)
