"""The static servers with live reload under test (serve scenarios), and how to start each.

Each returns a started procs.Group serving `root` on 127.0.0.1:`port` once its page answers.
"""
import os

from procs import Group, wait_http

HERE = os.path.dirname(os.path.abspath(__file__))


class ServeTool:
    def __init__(self, name, label, argv, min_gap=0.0, live_css=True, note=""):
        self.name = name
        self.label = label
        self._argv = argv          # (root, port) -> argv
        self.min_gap = min_gap     # seconds the tool needs between two saves
        self.live_css = live_css   # whether it claims to swap stylesheets without a reload
        self.note = note

    async def start(self, root, port, log_path):
        group = Group(self._argv(root, port), cwd=root, log_path=log_path)
        try:
            await wait_http(port, "/index.html", timeout=20.0, group=group)
        except BaseException:
            group.stop()
            raise
        return group


def tools(config):
    """The serve tools that can run here: {name: ServeTool}, and {name: why skipped}."""
    available, skipped = {}, {}
    broker = config.broker
    available["ours"] = ServeTool(
        "ours", "reload-broker serve", lambda root, port: [broker, "serve", "--root", root, "--port", str(port)])
    if config.alt_broker:
        alt = config.alt_broker
        available["alt"] = ServeTool(
            "alt", "reload-broker serve (alt)", lambda root, port: [alt, "serve", "--root", root, "--port", str(port)],
            note=f"another build of reload-broker, for an A/B in one run: {alt}")
    if config.python_ok("livereload"):
        available["livereload"] = ServeTool(
            "livereload", "python-livereload 2.7.1",
            lambda root, port: [config.python, os.path.join(HERE, "peers", "livereload_serve.py"), root, str(port)],
            # It drops every change within 3 s of its last reload (LiveReloadHandler.DEFAULT_RELOAD_TIME).
            min_gap=3.3, note="ignores changes within 3 s of its last reload: saves are spaced 3.3 s apart")
    else:
        skipped["livereload"] = config.why_missing("livereload")
    if config.live_server_python:
        available["live-server"] = ServeTool(
            "live-server", "live-server 0.9.9",
            lambda root, port: [config.live_server_python, os.path.join(HERE, "peers", "live_server_loopback.py"),
                                "--port", str(port), root],
            live_css=False, note="reloads the page on every change (no CSS swap)")
    else:
        skipped["live-server"] = config.live_server_missing
    # The floor: the same page from our server with its watcher off; the harness reloads the page.
    available["floor"] = ServeTool(
        "floor", "floor: Page.reload",
        lambda root, port: [broker, "serve", "--root", root, "--port", str(port), "--no-watch"],
        note="the browser reloads the page itself (CDP Page.reload right after the save), served by reload-broker --no-watch")
    return available, skipped
