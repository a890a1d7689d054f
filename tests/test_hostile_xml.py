"""Hostile XML is refused by the parser settings (no DTD, no entities, no network, no huge
trees): every case either fails with a ParseError or parses without obeying the attack."""

import contextlib

import pytest

from sanctions.errors import ParseError
from sanctions.parsers import ca_sema_xml

RECORD = (
    "<record><Country>Russia / Russie</Country><LastName>{name}</LastName>"
    "<GivenName>Ivan</GivenName><Schedule>1</Schedule><Item>1</Item></record>"
)


def parse(tmp_path, text: str):
    path = tmp_path / "sema-lmes.xml"
    path.write_text(text, encoding="utf-8")
    return list(ca_sema_xml.parse({"sema-lmes.xml": path}))


def names(rows):
    return [row.name for row in rows if type(row).__name__ == "Name"]


def test_external_entity_to_a_local_file_is_not_read(tmp_path):
    text = (
        '<?xml version="1.0"?><!DOCTYPE data-set [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        f"<data-set>{RECORD.format(name='&xxe;')}</data-set>"
    )
    try:
        rows = parse(tmp_path, text)
    except ParseError:
        return
    assert not any("root:" in name for name in names(rows))


def test_billion_laughs_is_not_expanded(tmp_path):
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    text = (
        f'<?xml version="1.0"?><!DOCTYPE data-set [{entities}]>'
        f"<data-set>{RECORD.format(name='&lol9;')}</data-set>"
    )
    try:
        rows = parse(tmp_path, text)
    except ParseError:
        return
    assert all(len(name) < 1000 for name in names(rows))


def test_a_dtd_on_the_network_is_never_fetched(tmp_path, http_server):
    text = (
        f'<?xml version="1.0"?><!DOCTYPE data-set SYSTEM "{http_server.base_url}/evil.dtd">'
        f"<data-set>{RECORD.format(name='Petrov')}</data-set>"
    )
    with contextlib.suppress(ParseError):
        parse(tmp_path, text)
    assert http_server.hits("/evil.dtd") == []


def test_deep_nesting_is_refused(tmp_path):
    text = "<data-set>" + "<x>" * 100_000 + "</x>" * 100_000 + "</data-set>"
    with pytest.raises(ParseError, match="malformed XML"):
        parse(tmp_path, text)


def test_a_huge_text_node_is_refused(tmp_path):
    text = f"<data-set>{RECORD.format(name='A' * 20_000_000)}</data-set>"
    with pytest.raises(ParseError, match="malformed XML"):
        parse(tmp_path, text)
