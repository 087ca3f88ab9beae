"""A small Chrome DevTools Protocol client: one WebSocket to the browser, flat sessions per tab.

Every command and every wait is bounded in time (asyncio.wait_for); a late answer or event is
an error that says what was awaited, never a hang.
"""
import asyncio
import json
import time

import websockets


class CDPError(Exception):
    pass


class Browser:
    """The browser-level connection. Events are routed to the Tab that owns their session."""

    def __init__(self, ws):
        self._ws = ws
        self._next_id = 0
        self._answers = {}
        self._tabs = {}
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def connect(cls, url, timeout=10.0):
        ws = await asyncio.wait_for(websockets.connect(url, max_size=None, open_timeout=timeout), timeout)
        return cls(ws)

    async def _read(self):
        try:
            async for text in self._ws:
                received = time.monotonic()
                message = json.loads(text)
                if "id" in message:
                    future = self._answers.pop(message["id"], None)
                    if future is not None and not future.done():
                        future.set_result(message)
                    continue
                tab = self._tabs.get(message.get("sessionId"))
                if tab is not None:
                    tab._event(message["method"], message.get("params", {}), received)
        except websockets.ConnectionClosed:
            pass
        finally:
            for future in self._answers.values():
                if not future.done():
                    future.set_exception(CDPError("the DevTools connection closed"))

    async def call(self, method, params=None, session=None, timeout=10.0):
        self._next_id += 1
        ident = self._next_id
        future = asyncio.get_running_loop().create_future()
        self._answers[ident] = future
        message = {"id": ident, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        await self._ws.send(json.dumps(message))
        try:
            answer = await asyncio.wait_for(future, timeout)
        except asyncio.TimeoutError:
            self._answers.pop(ident, None)
            raise CDPError(f"no answer to {method} within {timeout} s") from None
        if "error" in answer:
            raise CDPError(f"{method} failed: {answer['error']}")
        return answer.get("result", {})

    async def new_tab(self, url="about:blank"):
        target = (await self.call("Target.createTarget", {"url": url, "newWindow": True}))["targetId"]
        session = (await self.call("Target.attachToTarget", {"targetId": target, "flatten": True}))["sessionId"]
        tab = Tab(self, target, session)
        self._tabs[session] = tab
        return tab

    async def close_tab(self, tab):
        self._tabs.pop(tab.session, None)
        try:
            await self.call("Target.closeTarget", {"targetId": tab.target}, timeout=5.0)
        except CDPError:
            pass

    async def close(self):
        self._reader.cancel()
        await self._ws.close()


class Tab:
    """One page target. `watch(predicate)` futures resolve on the first matching event."""

    def __init__(self, browser, target, session):
        self.browser = browser
        self.target = target
        self.session = session
        self._watchers = []
        self.events = []  # (method, params, received) of the events the harness records

    def _event(self, method, params, received):
        self.events.append((method, params, received))
        if len(self.events) > 2000:
            del self.events[:1000]
        for watcher in list(self._watchers):
            predicate, future = watcher
            if not future.done() and predicate(method, params):
                future.set_result((params, received))
                self._watchers.remove(watcher)

    def watch(self, predicate):
        """A future for the first event after now for which predicate(method, params) holds."""
        future = asyncio.get_running_loop().create_future()
        self._watchers.append((predicate, future))
        return future

    async def wait(self, future, timeout, what):
        try:
            return await asyncio.wait_for(future, timeout)
        except asyncio.TimeoutError:
            self._watchers = [w for w in self._watchers if w[1] is not future]
            raise CDPError(f"timed out after {timeout} s waiting for {what}") from None

    async def call(self, method, params=None, timeout=10.0):
        return await self.browser.call(method, params, self.session, timeout)

    async def evaluate(self, expression, timeout=10.0):
        answer = await self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True}, timeout)
        if "exceptionDetails" in answer:
            raise CDPError(f"evaluating {expression!r} threw: {answer['exceptionDetails']}")
        return answer.get("result", {}).get("value")
