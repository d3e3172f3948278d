"""HTTP for the client: JSON calls and multipart uploads over one
keep-alive connection, with reef's error bodies turned into ReefError."""

import http.client
import json
import threading
import urllib.parse
import uuid

from .errors import ReefError


class Transport:
    def __init__(self, url, key=None, timeout=600.0):
        u = urllib.parse.urlsplit(url if "://" in url else "http://" + url)
        if u.scheme not in ("http", "https"):
            raise ReefError(f"url scheme must be http or https, got {u.scheme!r}", code="invalid", field="url")
        self.scheme, self.netloc = u.scheme, u.netloc
        self.base = u.path.rstrip("/")
        self.url = f"{u.scheme}://{u.netloc}{self.base}"
        self.key, self.timeout = key, timeout
        self._local = threading.local()

    def _conn(self):
        c = getattr(self._local, "conn", None)
        if c is None:
            cls = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
            c = self._local.conn = cls(self.netloc, timeout=self.timeout)
        return c

    def close(self):
        c = getattr(self._local, "conn", None)
        if c is not None:
            c.close()
            self._local.conn = None

    def request(self, method, path, body=None, content_type=None, query=None, raw=False):
        """Send one request; returns decoded JSON (or bytes when raw)."""
        url = self.base + path
        if query:
            url += "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v is not None})
        headers = {"Accept": "application/json"}
        if self.key:
            headers["Authorization"] = "Bearer " + self.key
        if body is not None:
            headers["Content-Type"] = content_type or "application/json"
            headers["Content-Length"] = str(len(body))
        for attempt in (0, 1):
            reused = getattr(self._local, "conn", None) is not None
            conn = self._conn()
            try:
                try:
                    conn.request(method, url, body=body, headers=headers)
                except (BrokenPipeError, ConnectionResetError):
                    # The server may answer (e.g. 413) before reading the
                    # body and close: its answer is still worth reading.
                    pass
                resp = conn.getresponse()
                data = resp.read()
                break
            except (http.client.RemoteDisconnected, http.client.BadStatusLine, ConnectionError) as e:
                self.close()
                # A kept-alive connection the server has since closed (idle
                # timeout) fails like this: retry once on a new one. Every
                # reef write is an idempotent upsert, so a retry is safe.
                if attempt == 1 or not reused:
                    raise ReefError(f"cannot reach reef at {self.url}: {e}") from e
            except OSError as e:
                self.close()
                raise ReefError(f"cannot reach reef at {self.url}: {e}") from e
        if resp.getheader("Connection", "").lower() == "close":
            self.close()
        if resp.status >= 400:
            raise _error(resp.status, data)
        if raw:
            return data
        return json.loads(data) if data else None

    def json(self, method, path, payload=None, query=None):
        body = None if payload is None else json.dumps(payload, separators=(",", ":")).encode()
        return self.request(method, path, body=body, query=query)

    def multipart(self, path, fields=None, files=()):
        """files: (field, filename, bytes, content type) tuples."""
        body, ctype = encode_multipart(fields or {}, files)
        return self.request("POST", path, body=body, content_type=ctype)


def _error(status, data):
    try:
        e = json.loads(data)["error"]
        return ReefError(e.get("message", ""), status=status, code=e.get("code"), field=e.get("field") or None)
    except (ValueError, KeyError, TypeError):
        return ReefError(data.decode("utf-8", "replace")[:500] or http.client.responses.get(status, ""), status=status)


def encode_multipart(fields, files):
    """A multipart/form-data body in one bytes object (parts joined once,
    not copied per part)."""
    boundary = "reef-" + uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        if value is None:
            continue
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        parts.append(str(value).encode() + b"\r\n")
    for name, filename, data, ctype in files:
        parts.append((f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                      f"Content-Type: {ctype}\r\n\r\n").encode())
        parts.append(data)
        parts.append(b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), "multipart/form-data; boundary=" + boundary
