"""The pages under test and how a save is made.

A save is one write of the whole file, as an editor saving in place does (open with O_TRUNC,
write, close), or with `atomic` a write to a temporary file renamed over it, as JetBrains IDEs'
"safe write" does (`NAME___jb_tmp___`, then a rename over NAME). The harness reads its clock
just before the save starts.
"""
import os

COLORS = ["rgb(200, 30, 30)", "rgb(30, 140, 40)", "rgb(30, 60, 200)", "rgb(160, 40, 160)"]


def html(version):
    return ("<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>bench</title>\n"
            "<link rel=\"stylesheet\" href=\"style.css\">\n</head>\n<body>\n"
            f"<h1 id=\"marker\">{version}</h1>\n<p>A small page: save, then look.</p>\n</body></html>\n")


def css(index):
    return f"#marker {{ color: {COLORS[index % len(COLORS)]}; }}\nbody {{ font-family: sans-serif; }}\n"


def fastapi_app(version, seed=False):
    """main.py of the proxy scenario; `seed` wires fastapi-reloader 1.3.4 in as its README says."""
    page = (f"<!doctype html><html><head><title>app</title></head><body>"
            f"<h1 id=\\\"marker\\\">{version}</h1></body></html>")
    lines = [
        "from fastapi import FastAPI",
        "from fastapi.responses import HTMLResponse",
        "",
        "app = FastAPI()",
        "",
        "",
        "@app.get(\"/\", response_class=HTMLResponse)",
        "def index():",
        f"    return \"{page}\"",
    ]
    if seed:
        lines += [
            "",
            "",
            "# fastapi-reloader's standalone recipe: the routes and the HTML injection, and a",
            "# reload signal before uvicorn shuts the worker down (or its open streams block the exit).",
            "import uvicorn",
            "from fastapi_reloader import auto_refresh_middleware, send_reload_signal",
            "",
            "app.add_middleware(auto_refresh_middleware)",
            "_shutdown = uvicorn.Server.shutdown",
            "",
            "",
            "def shutdown(self, *args, **kwargs):",
            "    send_reload_signal()",
            "    return _shutdown(self, *args, **kwargs)",
            "",
            "",
            "uvicorn.Server.shutdown = shutdown",
        ]
    return "\n".join(lines) + "\n"


def write(path, text, atomic=False):
    data = text.encode()
    if not atomic:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
        return
    temp = path + "___jb_tmp___"  # JetBrains IDEs' "safe write" name, which watchers know to ignore
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    os.rename(temp, path)


def make_site(root):
    os.makedirs(root, exist_ok=True)
    write(os.path.join(root, "index.html"), html("v0"))
    write(os.path.join(root, "style.css"), css(0))
