"""Pure CSV writing and reading: formula escaping, cell formats, link encoding, file validation."""

import csv
import io
from datetime import date

import pytest

from tracker.formats import csvio
from tracker.formats.tables import COUNTRIES, COVERAGE, MILESTONES, Column


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("=1+1", "'=1+1"),
        ("+x", "'+x"),
        ("-x", "'-x"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("-0.5", "'-0.5"),  # text that looks like a number is still text
        ("plain", "plain"),
        ("a=b", "a=b"),
        ("", ""),
        ("'quoted", "'quoted"),  # a leading quote before harmless text is left alone
        ("'=x", "''=x"),  # ... but before a formula it gets one more, so it round-trips
        ("''-x", "'''-x"),
    ],
)
def test_text_cells_are_escaped_reversibly(text, escaped):
    assert csvio.escape_text(text) == escaped
    assert csvio.unescape_text(escaped) == text


@pytest.mark.parametrize(
    ("value", "column", "cell"),
    [
        (-0.5, None, "-0.5"),
        (12, None, "12"),
        (-3, None, "-3"),
        (0.29306, Column("x", "number", "", decimals=4), "0.2931"),
        (0.0, Column("x", "number", "", decimals=4), "0.0000"),
        (1.0, Column("x", "number", "", decimals=4), "1.0000"),
        (True, None, "true"),
        (False, None, "false"),
        (None, None, ""),
        (date(2024, 1, 5), None, "2024-01-05"),
        ("=SUM(A1)", None, "'=SUM(A1)"),
        ([3, 1], Column("x", "idlist", ""), "1;3"),
        ([], Column("x", "idlist", ""), ""),
    ],
)
def test_numbers_stay_numbers_and_text_is_escaped(value, column, cell):
    assert csvio.format_cell(value, column) == cell


def test_links_encoding_is_lossless():
    links = [(7, "full", "s. 58(1); s. 60 – 100% : all"), (3, "partial", None), (9, "full", "")]
    text = csvio.encode_links(links)
    assert text == "3:partial;7:full:s. 58(1)%3B s. 60 – 100%25 : all;9:full:"
    assert csvio.decode_links(text, ("partial", "full")) == [
        (3, "partial", None),
        (7, "full", "s. 58(1); s. 60 – 100% : all"),
        (9, "full", None),
    ]


@pytest.mark.parametrize("text", ["x:full", "3", "3:most", "3:full;3:partial", "0:full"])
def test_bad_links_are_refused(text):
    with pytest.raises(ValueError):
        csvio.decode_links(text, ("partial", "full"))


def test_stream_writes_a_crlf_header_then_batches():
    chunks = list(csvio.stream(MILESTONES, ([i] + [None] * 14 for i in range(5)), batch=2))
    assert chunks[0] == ",".join(MILESTONES.header) + "\r\n"
    assert len(chunks) == 1 + 3  # header, then 2 + 2 + 1 rows
    assert chunks[1] == "0,,,,,,,,,,,,,,\r\n1,,,,,,,,,,,,,,\r\n"


def test_stream_with_bom():
    first = next(csvio.stream(COUNTRIES, [], bom=True))
    assert first.startswith("\ufeffiso3,iso2,")


def _file(header, *rows) -> bytes:
    return ("\r\n".join([",".join(header), *rows]) + "\r\n").encode()


def test_read_parses_typed_values_and_unescapes():
    data = _file(
        MILESTONES.header,
        "5,ZMB,launch,'=Launch,2024-01-02,,\"Lusaka, Zambia\",done,,'-note,3,official,context,en,fr",
    )
    [row] = csvio.read(data, MILESTONES)
    assert row.errors == []
    assert row.line == 2
    assert row.values == {
        "id": 5,
        "country_iso3": "ZMB",
        "kind": "launch",
        "title": "=Launch",
        "planned_on": date(2024, 1, 2),
        "actual_on": None,
        "place": "Lusaka, Zambia",
        "status": "done",
        "source_url": None,
        "notes": "-note",
        "version": 3,
        "source_kind": "official",
        "nature": "context",
        "title_lang": "en",
        "notes_lang": "fr",
    }


def test_read_reports_cell_errors_with_line_and_column():
    data = _file(
        MILESTONES.header,
        ",ZMB,launch,ok,2024-01-02,,,done,,,,,project,,",
        ",ZMB,party,=cmd|' /C calc'!A0,24/11/2026,,,done,,,x,,project,,",
    )
    rows = csvio.read(data, MILESTONES)
    assert rows[0].errors == []
    errors = {(e.line, e.column) for e in rows[1].errors}
    assert errors == {(3, "kind"), (3, "title"), (3, "planned_on"), (3, "version")}
    title_error = next(e for e in rows[1].errors if e.column == "title")
    assert "formula" in title_error.message


def test_read_accepts_a_bom_and_any_column_order():
    header = list(reversed(MILESTONES.header))
    data = "\ufeff".encode() + _file(header, ",,,,1,,,,,,,,,,")
    # every cell empty: the required ones are reported, nothing crashes (a milestone's country
    # may be empty: the project's own timeline; the import refuses such rows itself)
    [row] = csvio.read(data, MILESTONES)
    assert {e.column for e in row.errors} == {"kind", "title", "status", "nature"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\r\n\r\n", "empty"),
        ("id;title\r\n".encode("utf-16"), "UTF-16"),
        ("country_iso3,título\r\n".encode("latin-1"), "not UTF-8"),
        (b"id,\x00title\r\n", "NUL"),
    ],
)
def test_unreadable_files_are_refused(data, message):
    with pytest.raises(csvio.FileError) as info:
        csvio.read(data, MILESTONES)
    assert message in info.value.message


def test_missing_and_extra_columns_are_named():
    header = [c for c in COVERAGE.header if c != "evidence"] + ["comment", "comment"]
    with pytest.raises(csvio.FileError) as info:
        csvio.read(_file(header), COVERAGE)
    message = info.value.message
    assert "missing columns: evidence" in message
    assert "unknown columns: comment" in message
    assert "repeated columns: comment" in message


def test_a_header_without_rows_is_refused():
    with pytest.raises(csvio.FileError) as info:
        csvio.read(_file(MILESTONES.header), MILESTONES)
    assert "no data rows" in info.value.message


def test_a_row_with_the_wrong_number_of_cells_is_reported():
    [row] = csvio.read(_file(MILESTONES.header, "1,ZMB"), MILESTONES)
    assert row.errors[0].column is None
    assert "2 cells" in row.errors[0].message


# --- CSV text without the writer where it gives the same bytes ------------------------------------

AWKWARD_CHARACTERS = 'a,"\r\n\t =+-@\'; %Zé中ع\x00\\'


def _writer_text(rows) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()


def test_plain_rows_are_what_csv_writer_writes_or_left_to_it():
    import random

    randomly = random.Random(14)
    rows = [("",), ("x",), ("", ""), (",",), ('"',), ("a", "b,c"), ("a\nb", "c"), ("a\r", "")]
    for _ in range(5000):
        width = randomly.randint(1, 6)
        rows.append(tuple(
            "".join(randomly.choice(AWKWARD_CHARACTERS) for _ in range(randomly.randint(0, 4)))
            for _ in range(width)
        ))  # fmt: skip
    plain = 0
    for row in rows:
        line = csvio.plain_row(row)
        if line is not None:
            plain += 1
            assert line == _writer_text([row]), row
            assert not any(c in cell for cell in row for c in ',"\r\n')
        else:  # left to csv.writer: some cell needs quotes, or it is a row of one empty cell
            assert any(c in cell for cell in row for c in ',"\r\n') or row == ("",), row
    assert 100 < plain < len(rows) - 100  # both ways were taken


def test_rows_written_as_text_or_by_the_writer_make_one_file():
    rows = [("a", "b,c", None, 3), ("=x", "", "é", 0), ("", "")]
    text = csvio.TextRows()
    text.writerow(rows[0])
    text.add(csvio.row_text(rows[1]))
    text.writerows(rows[2:])
    assert text.take() == _writer_text(rows) == 'a,"b,c",,3\r\n=x,,é,0\r\n,\r\n'
    assert text.take() == ""
    assert csvio.LINE_END == "\r\n"


@pytest.mark.parametrize(
    ("cell", "field"),
    [("", ""), ("a", "a"), ("a,b", '"a,b"'), ('say "hi"', '"say ""hi"""'), ("a\nb", '"a\nb"'),
     ("a\rb", '"a\rb"'), (" a ", " a "), ("中文", "中文")],
)  # fmt: skip
def test_a_field_is_the_cell_as_the_writer_writes_it_among_others(cell, field):
    assert csvio.field_text(cell) == field
    assert ",".join((field, field)) + "\r\n" == _writer_text([(cell, cell)])
