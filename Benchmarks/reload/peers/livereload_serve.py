"""python-livereload as its README runs it: Server().watch(root).serve(root=root, port=port).

    python livereload_serve.py ROOT PORT

Prints which watcher it uses (INotifyWatcher with pyinotify, else 0.8 s polling).
"""
import sys

from livereload import Server


def main():
    root, port = sys.argv[1], int(sys.argv[2])
    server = Server()
    server.watch(root)
    print(f"livereload watcher: {type(server.watcher).__name__}", flush=True)
    server.serve(root=root, port=port, host="127.0.0.1")


if __name__ == "__main__":
    main()
