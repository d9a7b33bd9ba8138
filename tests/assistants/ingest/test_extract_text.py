"""Text-like formats: plain text, Markdown, code, HTML, JSON and CSV, with their encodings."""

from __future__ import annotations

import io
import time

import pytest

from assistants.ingest import ExtractionFailed, FileFormat, extract_text

CODE_SAMPLES = {
    "py": "def greet(name):\n    return f'hello {name}'\n",
    "js": "function add(a, b) {\n  return a + b;\n}\n",
    "ts": "export const n: number = 4;\n",
    "java": "class A {\n    int x = 1;\n}\n",
    "go": "package main\n\nfunc main() {}\n",
    "rs": 'fn main() {\n    println!("hi");\n}\n',
    "c": "#include <stdio.h>\nint main(void) { return 0; }\n",
    "cpp": "#include <vector>\nstd::vector<int> v;\n",
    "h": "#define LIMIT 10\n",
    "cs": "namespace N { class C {} }\n",
    "rb": "puts 'hello'\n",
    "php": "<?php echo 'hi'; ?>\n",
    "sh": '#!/bin/sh\necho "$HOME"\n',
    "css": "body {\n  color: red;\n}\n",
    "tex": "\\section{Intro}\nSome $x^2$ math.\n",
}


def test_plain_text_is_returned_as_written():
    result = extract_text(b"Hello world.\nSecond line.\n", "notes.txt", "text/plain")
    assert result.text == "Hello world.\nSecond line."
    assert result.format is FileFormat.TEXT
    assert result.pages is None and result.page_texts == ()


def test_markdown_keeps_its_markup():
    result = extract_text(b"# Title\n\n- item *one*\n", "README.md", None)
    assert result.text == "# Title\n\n- item *one*"
    assert result.format is FileFormat.MARKDOWN


@pytest.mark.parametrize("extension", sorted(CODE_SAMPLES))
def test_code_files_are_text_with_indentation_kept(extension):
    source = CODE_SAMPLES[extension]
    result = extract_text(source.encode(), f"src/module.{extension}", "application/octet-stream")
    assert result.format is FileFormat.CODE
    assert result.text == source.strip()


def test_whitespace_is_tidied():
    raw = b"line one   \r\nline two\rline three\x07\x7f\n\n\n\n\nafter\x0cform feed"
    assert extract_text(raw, "a.txt").text == "line one\nline two\nline three\n\nafter\nform feed"


def test_utf8_bom_is_dropped():
    result = extract_text(b"\xef\xbb\xbfcaf\xc3\xa9 \xe2\x82\xac5", "bom.txt")
    assert result.text == "café €5"


def test_utf16_with_bom_is_decoded():
    assert extract_text("naïve text".encode("utf-16"), "wide.txt").text == "naïve text"


def test_latin1_falls_back_from_utf8():
    assert extract_text(b"caf\xe9 cr\xe8me br\xfbl\xe9e", "menu.txt").text == "café crème brûlée"


def test_cp1252_punctuation_is_understood():
    assert (
        extract_text(b"\x93quoted\x94 \x96 dash", "w.txt").text == "\u201cquoted\u201d \u2013 dash"
    )


def test_declared_charset_is_tried_first():
    greek = "Καλημέρα κόσμε"
    result = extract_text(greek.encode("iso-8859-7"), "g.txt", "text/plain; charset=ISO-8859-7")
    assert result.text == greek


def test_unknown_or_non_text_charset_is_ignored():
    assert extract_text(b"plain", "a.txt", "text/plain; charset=zlib").text == "plain"
    assert extract_text(b"plain", "a.txt", "text/plain; charset=klingon").text == "plain"


def test_binary_bytes_under_a_text_extension_fail():
    with pytest.raises(ExtractionFailed, match="binary"):
        extract_text(bytes(range(256)) * 4, "data.txt")


def test_binary_file_objects_are_read():
    assert extract_text(io.BytesIO(b"from a stream"), "s.txt").text == "from a stream"


def test_short_reads_are_reassembled():
    class Trickle(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self._data = data

        def readable(self) -> bool:
            return True

        def read(self, size: int = -1) -> bytes:
            part, self._data = self._data[:3], self._data[3:]
            return part

    assert extract_text(Trickle(b"one byte at a time"), "t.txt").text == "one byte at a time"


def test_html_keeps_readable_text_and_drops_scripts():
    page = b"""<!DOCTYPE html><html><head><title>Doc title</title>
    <style>body { color: red }</style><script>var secret = "do not index";</script></head>
    <body><!-- a comment --><nav>Home</nav><h1>Main   heading</h1>
    <p>Hello <b>bold</b> and <a href="#">link</a>.<br>Next line</p>
    <table><tr><th>Name</th><th>Qty</th></tr><tr><td>Apple</td><td>3</td></tr></table>
    <pre>def f():
    return 1</pre><noscript>enable js</noscript></body></html>"""
    result = extract_text(page, "page.html", "text/html")
    assert result.format is FileFormat.HTML
    assert "secret" not in result.text and "color" not in result.text
    assert "comment" not in result.text and "enable js" not in result.text
    assert result.text.splitlines() == [
        "Doc title",
        "",
        "Home",
        "",
        "Main heading",
        "",
        "Hello bold and link.",
        "Next line",
        "",
        "Name | Qty",
        "Apple | 3",
        "",
        "def f():",
        "    return 1",
    ]


def test_html_declared_encoding_is_honoured():
    page = '<html><head><meta charset="windows-1252"></head><body>Caf\xe9 \u2013 ok</body></html>'
    assert extract_text(page.encode("cp1252"), "p.htm").text == "Café \u2013 ok"


def test_json_is_flattened_to_path_lines():
    raw = b'{"title": "Guide", "tags": ["a", "b"], "owner": {"name": "Ann", "age": 41},'
    raw += b' "odd key": true, "empty": [], "none": null}'
    result = extract_text(raw, "data.json", "application/json")
    assert result.format is FileFormat.JSON
    assert result.text.splitlines() == [
        "title: Guide",
        "tags[0]: a",
        "tags[1]: b",
        "owner.name: Ann",
        "owner.age: 41",
        '"odd key": true',
        "empty: []",
        "none: null",
    ]


def test_top_level_json_array_and_scalar():
    assert extract_text(b'[{"a": 1}, 2]', "x.json").text == "[0].a: 1\n[1]: 2"
    assert extract_text(b'"just text"', "x.json").text == "just text"


def test_invalid_json_is_indexed_as_text():
    result = extract_text(b'{"a": 1}\n{"a": 2}\n', "lines.json")
    assert result.text == '{"a": 1}\n{"a": 2}'
    assert result.warnings


def test_deeply_nested_json_does_not_crash():
    raw = b"[" * 100_000 + b"1" + b"]" * 100_000
    assert extract_text(raw, "deep.json").text


def test_csv_rows_become_lines():
    raw = b'name,city,note\n"Smith, J",Paris,"multi\nline"\n\nDoe,Rome,\n'
    result = extract_text(raw, "people.csv", "text/csv")
    assert result.format is FileFormat.CSV
    assert result.text.splitlines() == [
        "name | city | note",
        "Smith, J | Paris | multi line",
        "Doe | Rome |",
    ]


@pytest.mark.parametrize(
    ("raw", "name"), [(b"a;b\n1;2\n3;4\n", "x.csv"), (b"a\tb\n1\t2\n3\t4\n", "x.tsv")]
)
def test_csv_delimiter_is_sniffed(raw, name):
    assert extract_text(raw, name).text == "a | b\n1 | 2\n3 | 4"


def test_content_type_decides_without_extension():
    assert extract_text(b"<p>hi</p>", "upload", "text/html").format is FileFormat.HTML
    assert extract_text(b'{"a": 1}', "upload", "application/json").text == "a: 1"
    assert extract_text(b"x = 1", "upload", "text/x-python").format is FileFormat.TEXT


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"<!doctype html><html><body><p>x</p></body></html>", FileFormat.HTML),
        (b'  {"k": "v"}\n', FileFormat.JSON),
        (b"just some words", FileFormat.TEXT),
    ],
)
def test_sniffing_without_name_or_type(raw, expected):
    assert extract_text(raw, "blob", None).format is expected


def test_unknown_extension_with_text_is_accepted():
    assert extract_text(b"2024-01-01 started", "server.out", None).text == "2024-01-01 started"


def test_html_behind_leading_comments_is_sniffed():
    page = b"\xef\xbb\xbf  <!-- generated --><!-- twice -->\n<HTML><body>Hi</body></HTML>"
    assert extract_text(page, "blob").format is FileFormat.HTML


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        (b"a" + b" " * 1_000_000 + b"b", "spaces.txt"),
        (b"<!-- -->" * 500 + b"x", "comments"),
        (b"x" + b"\n" * 1_000_000 + b"y", "newlines.md"),
    ],
    ids=["space-run", "comment-run", "newline-run"],
)
def test_pathological_text_is_handled_in_linear_time(raw, name):
    started = time.perf_counter()
    assert extract_text(raw, name).text
    assert time.perf_counter() - started < 5
