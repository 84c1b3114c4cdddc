"""The relay that counts the requests a server answered with success (lab 12's load test
goes through it)."""

from __future__ import annotations

import http.server
import socketserver
import threading
import time

import httpx
import pytest

from autograder.request_counter import RequestCounter, _Answers, _Requests


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
        self.send_response(401 if self.path == "/refused" else 200)
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
        answers += [client.post("/refused", content=b"no").text for _ in range(3)]
        time.sleep(0.1)
        counted = counter.counted()
    assert answers[-6:] == ["100000", "4003", "0", "2", "2", "2"], "every byte is passed on"
    assert counted == {"/v2/predict": 20, "/v1/predict/batch": 1, "/chunked": 1, "/health": 1}, (
        "the requests answered 2xx, by path (the 401s are not)"
    )
    assert counter.unreadable == 0


def test_requests_are_read_whatever_pieces_they_arrive_in():
    sent = b"POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
    sent += b"POST /b HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello" + b"GET /c?q=1 HTTP/1.1\r\n\r\n"
    reader = _Requests()
    for index in range(len(sent)):
        assert reader.feed(sent[index : index + 1]) == [], "nothing counts before its answer"
    assert list(reader.pending) == [("POST", "/a"), ("POST", "/b"), ("GET", "/c")]
    assert not reader.lost


def test_a_stream_that_is_not_http_is_relayed_but_not_counted():
    reader = _Requests()
    assert reader.feed(b"\x16\x03\x01 not a request line\r\n\r\n") == [] and reader.lost


def requests_of(*heads: bytes) -> _Requests:
    reader = _Requests()
    reader.feed(b"".join(heads))
    return reader


def test_answers_count_their_requests_paths_when_their_status_is_2xx():
    requests = requests_of(
        b"POST /a HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi",
        b"HEAD /b HTTP/1.1\r\n\r\n",
        b"POST /c HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
        b"GET /d HTTP/1.1\r\n\r\n",
        b"GET /e HTTP/1.1\r\n\r\n",
    )
    answers = _Answers(requests)
    sent = b"HTTP/1.1 100 Continue\r\n\r\n"
    sent += b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nHTTP/"  # a body that looks like a head
    sent += b"HTTP/1.1 200 OK\r\ncontent-length: 99\r\n\r\n"  # HEAD: no body follows
    sent += b"HTTP/1.1 422 Unprocessable\r\ncontent-length: 2\r\n\r\n{}"
    sent += b"HTTP/1.1 204 No Content\r\n\r\n"
    sent += b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"
    counted = [path for index in range(len(sent)) for path in answers.feed(sent[index : index + 1])]
    assert counted == ["/a", "/b", "/d", "/e"] and not answers.lost and not requests.pending


def test_answers_to_no_request_or_after_a_switch_stop_the_count():
    requests = requests_of(b"GET /a HTTP/1.1\r\n\r\n")
    answers = _Answers(requests)
    twice = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n" * 2
    assert answers.feed(twice) == ["/a"] and answers.lost and requests.lost
    assert answers.feed(twice) == []


def test_websocket_connections_asked_for_are_counted_and_end_the_reading():
    asked = b"GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
    requests = requests_of(b"GET /a HTTP/1.1\r\n\r\n", asked, b"GET /b HTTP/1.1\r\n\r\n")
    assert requests.take_upgrades() == ["/ws"] and requests.take_upgrades() == []
    assert [path for _, path in requests.pending] == ["/a", "/ws"], "frames are not requests"
    answers = _Answers(requests)
    sent = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"
    sent += b"HTTP/1.1 101 Switching Protocols\r\n\r\nHTTP/1.1 200 OK\r\n\r\n"
    assert answers.feed(sent) == ["/a"] and answers.switched and not requests.lost


def test_a_length_servers_would_refuse_stops_the_count():
    for length in (b"+5", b" 5x", b"1_0", b"-1"):
        reader = requests_of(b"POST /a HTTP/1.1\r\nContent-Length: " + length + b"\r\n\r\n")
        assert reader.lost, length
