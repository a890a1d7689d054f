"""The CSV set and the advanced XML describe the same parties: both must give the same records."""

from sanctions.model import BirthDate, Country, Identifier, Name, Programme, Record
from sanctions.parsers import ofac_advanced_xml, ofac_csv

SHARED = {"US:1001", "US:1002", "US:1003"}  # the parties the XML fixture also holds


def facts(rows):
    def pick(kind, key):
        return {key(row) for row in rows if type(row) is kind and row.record_id in SHARED}

    return {
        "records": pick(Record, lambda r: (r.record_id, r.entity_type, r.gender)),
        "names": pick(Name, lambda n: (n.record_id, n.name, n.kind)),
        "programmes": pick(Programme, lambda p: (p.record_id, p.programme_key)),
        "birth_dates": pick(BirthDate, lambda b: (b.record_id, b.earliest, b.latest)),
        "nationality": pick(Country, lambda c: (c.record_id, c.relation, c.country_code)),
        "identifiers": pick(
            Identifier, lambda i: (i.record_id, i.id_type, i.value, i.country_code, i.issued_on)
        ),
    }


def test_csv_and_advanced_xml_agree(csv_files, xml_file):
    from_csv = facts(ofac_csv.parse(csv_files))
    from_xml = facts(ofac_advanced_xml.parse({"SDN_ADVANCED.XML": xml_file}))
    for table in ("records", "names", "programmes", "birth_dates"):
        assert from_csv[table] == from_xml[table], table
    # The CSV reads more out of its remarks (birth country, MMSI); the XML's facts are all there.
    assert from_xml["nationality"] <= from_csv["nationality"]
    xml_ids = {i[:4] for i in from_xml["identifiers"]}
    assert xml_ids <= {i[:4] for i in from_csv["identifiers"]}
    passport = {i for i in from_csv["identifiers"] if i[1] == "Passport"}
    assert passport == {i for i in from_xml["identifiers"] if i[1] == "Passport"}
