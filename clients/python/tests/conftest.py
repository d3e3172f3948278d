"""Fixtures: a real `reef serve` on a temporary data dir and a free port.

The binary is REEF_BIN when set; otherwise the tests `go build` their own
copy of this checkout's ./cmd/reef into the temp dir (Go's build cache makes
that a link step when nothing changed), so they never run a stale or foreign
bin/reef and never overwrite it (bin/ may be shared between worktrees).
REEF_MODELS / REEF_ORT_LIB are passed through to the server for image ingest."""

import hashlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))  # test the source tree, installed or not

import reef  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


def reef_binary():
    if os.environ.get("REEF_BIN"):
        return os.environ["REEF_BIN"]
    tag = hashlib.sha1(REPO.encode()).hexdigest()[:10]
    path = os.path.join(tempfile.gettempdir(), f"reef-pytest-{tag}", "reef")
    if not getattr(reef_binary, "built", False):
        subprocess.run(["go", "build", "-o", path, "./cmd/reef"], cwd=REPO, check=True)
        reef_binary.built = True
    return path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, tmp, *args):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(os.path.join(tmp, "serve.log"), "w+")
        cmd = [reef_binary(), "serve", "--data", os.path.join(tmp, "data"), "--addr", f"127.0.0.1:{self.port}",
               "--snapshot-interval", "0", *args]
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, cwd=REPO)
        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(self.url + "/v1/health", timeout=1).read()
                return
            except OSError:
                if self.proc.poll() is not None or time.time() > deadline:
                    self.stop()
                    self.log.seek(0)
                    raise RuntimeError("reef serve did not start:\n" + self.log.read()[-4000:])
                time.sleep(0.1)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    s = Server(str(tmp_path_factory.mktemp("reef")))
    yield s
    s.stop()


@pytest.fixture(scope="session")
def keyed_server(tmp_path_factory):
    s = Server(str(tmp_path_factory.mktemp("reef-keys")), "--admin-key", "admin-secret", "--read-key", "read-secret")
    yield s
    s.stop()


@pytest.fixture
def client(server):
    with reef.Client(server.url) as c:
        yield c


_counter = [0]


@pytest.fixture
def ds(client):
    """A fresh dataset name per test."""
    _counter[0] += 1
    return f"t{_counter[0]}-{os.getpid()}"
