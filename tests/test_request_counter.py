"""The relay that counts what reaches a server (lab 12's load test goes through it)."""

from __future__ import annotations

import http.server
import socketserver
import threading
import time

import httpx
import pytest

from autograder.request_counter import RequestCounter, _Requests


class Echo(http.server.BaseHTTPRequestHandler):
    """Answers every request with the length of the body it read."""

    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        if self.headers.get("transfer-encoding") == "chunked":
            body = b""
            while size := int(self.rfile.readline().strip(), 16):
                body += self.rfile.read(size)
                self.rfile.readline()
            self.rfile.readline()
        else:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
        answer = str(len(body)).encode()
        self.send_response(200)
        self.send_header("content-length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    do_GET = do_POST

    def log_message(self, *arguments) -> None:
        pass


@pytest.fixture
def server_port():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_requests_on_kept_alive_connections_are_counted_by_path(server_port):
    def chunks():
        yield b"abc"
        yield b"defg" * 1000

    with RequestCounter(server_port) as counter, httpx.Client(base_url=counter.url) as client:
        answers = [client.post("/v2/predict", json={"n": n}).text for n in range(20)]
        answers += [client.post("/v1/predict/batch?x=1", content=b"x" * 100_000).text]
        answers += [client.post("/chunked", content=chunks()).text, client.get("/health").text]
        time.sleep(0.1)
        counted = counter.counted()
    assert answers[-3:] == ["100000", "4003", "0"], "every byte is passed on"
    assert counted == {"/v2/predict": 20, "/v1/predict/batch": 1, "/chunked": 1, "/health": 1}
    assert counter.unreadable == 0


def test_requests_are_read_whatever_pieces_they_arrive_in():
    sent = b"POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
    sent += b"POST /b HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello" + b"GET /c?q=1 HTTP/1.1\r\n\r\n"
    reader = _Requests()
    paths = [path for index in range(len(sent)) for path in reader.feed(sent[index : index + 1])]
    assert paths == ["/a", "/b", "/c"] and not reader.lost


def test_a_stream_that_is_not_http_is_relayed_but_not_counted():
    reader = _Requests()
    assert reader.feed(b"\x16\x03\x01 not a request line\r\n\r\n") == [] and reader.lost
