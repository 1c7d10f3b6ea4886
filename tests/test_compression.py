"""Responses are compressed for clients that accept it; the bytes inside are unchanged."""

import gzip

import brotli


def test_pages_are_gzipped_and_unchanged_inside(client, demo_data):
    plain = client.get("/en/countries/ZMB")
    packed = client.get("/en/countries/ZMB", headers={"Accept-Encoding": "gzip"})
    assert plain.headers.get("Content-Encoding") is None
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert gzip.decompress(packed.data) == plain.data
    assert len(packed.data) < len(plain.data) / 4


def test_conditional_requests_still_answer_304_with_compression(client, demo_data):
    first = client.get("/en/", headers={"Accept-Encoding": "br, gzip"})
    etag = first.headers["ETag"]
    again = client.get("/en/", headers={"Accept-Encoding": "br, gzip", "If-None-Match": etag})
    assert again.status_code == 304


def test_api_json_is_compressed(client, demo_data):
    plain = client.get("/api/v1/countries/ZMB")
    packed = client.get("/api/v1/countries/ZMB", headers={"Accept-Encoding": "br"})
    assert packed.headers["Content-Encoding"] == "br"
    assert brotli.decompress(packed.data) == plain.data


def test_streamed_exports_stay_streamed_and_identical(client, demo_data):
    plain = client.get("/exports/coverage.csv").data
    response = client.get("/exports/coverage.csv", headers={"Accept-Encoding": "br, gzip"})
    assert response.is_streamed
    assert response.headers.get("Content-Encoding") is None
    assert response.data == plain
