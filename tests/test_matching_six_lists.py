"""The matcher on the six real lists (issue 20): parties several governments list are one target,
look-alikes stay apart. The US list is loaded as its 2021-07-07 CSV set, then as the SDN.CSV of
2024-05-03, so that the names only the old ALT.CSV held still take part (matching.names_seen).

Slow: loading six lists and matching them takes about a minute on a busy machine."""

import pytest

from sanctions import clusters, matching, warehouse
from sanctions.archive import Archive
from sanctions.evaluation import split_parties
from sanctions.refresh import refresh_from_mirror
from tests.conftest import real_data_dir

pytestmark = pytest.mark.slow


def _publish(con, folder, snapshots, mirror_name):
    mirror = folder / mirror_name
    for source_id, files in snapshots.items():
        (mirror / source_id).mkdir(parents=True)
        for name, path in files.items():
            (mirror / source_id / name).symlink_to(path)
    refresh_from_mirror(con, snapshots, Archive(folder / "raw"), str(mirror))


@pytest.fixture(scope="module")
def six_lists(tmp_path_factory):
    data = real_data_dir()
    if not (data / "au").is_dir():
        pytest.skip(f"real snapshots not found at {data} (set SANCTIONS_REAL_DATA)")
    folder = tmp_path_factory.mktemp("six")
    path = folder / "warehouse.duckdb"
    us_2021 = data / "us_ofac/csv_2021-07-07"
    with warehouse.connect(path) as con:
        _publish(
            con,
            folder,
            {"us_ofac": {n: us_2021 / n for n in ("SDN.CSV", "ALT.CSV", "ADD.CSV")}},
            "mirror-2021",
        )
        _publish(
            con,
            folder,
            {
                "us_ofac": {"SDN.CSV": data / "us_ofac/sdn_history/SDN_2024-05-03.CSV"},
                "uk_fcdo": {"ConList.csv": data / "uk/ConList_2025-04-10.csv"},
                "ca_sema": {"sema-lmes.xml": data / "ca/sema-lmes_2025-05-25.xml"},
                "au_dfat": {
                    "regulation8_consolidated.xlsx": data
                    / "au/regulation8_consolidated_2026-07-23.xlsx"
                },
                "un_sc": {"consolidated.xml": data / "un/un_consolidated_2025-04-19.xml"},
            },
            "mirror-latest",
        )
        matching.match(con)
        clusters.write_clusters(con)
        split = split_parties(con)
        found = dict(con.execute("SELECT record_id, target_id FROM matching.clusters").fetchall())
        links = {
            (left, right): rule
            for left, right, rule in con.execute(
                "SELECT left_record_id, right_record_id, rule FROM matching.links"
            ).fetchall()
        }
        links["accepted despite birth dates"] = con.execute(
            """SELECT count(*) FROM matching.links
               WHERE decision = 'accept' AND explanation->>'entity_type' = 'person'
                 AND explanation->>'dob_disjoint' = 'true'
                 AND explanation->>'shared_strong_identifier' = 'false'"""
        ).fetchall()[0][0]
        links["review:birth-date-conflict"] = sum(
            rule == "review:birth-date-conflict" for rule in links.values()
        )
    return found, links, split


CA_RUSSIA = "CA:Russia / Russie|1, Part 2|"
CA_IRAN = "CA:Iran|1, Part 1|"


@pytest.mark.parametrize(
    ("records", "case"),
    [
        (["US:4695", "AU:276"], "1: HAMAS, one short primary name on two lists"),
        (["UK:15018", f"{CA_RUSSIA}91", "AU:6942"], "1: ALROSA on three lists"),
        (
            [f"{CA_IRAN}103", "US:12941", "UK:11200", "AU:7773"],
            "5: Iran Centrifuge Technology Company, identical primary names",
        ),
        (["AU:8228", "CA:Russia / Russie|1.1|21"], "2: a tanker of one IMO number"),
        (["US:21963", "UK:13750"], "4: SA'ID, Sa'id = Said SAID, same birth day"),
        (["US:12954", f"{CA_IRAN}99", "AU:2037"], "5: FULMEN GROUP / Fulmen"),
        (["US:15912", f"{CA_IRAN}122", "UK:11559"], "5: TAGHTIRAN KASHAN COMPANY / Taghtiran"),
        (["UK:6965", "AU:155", "UN:QDe.004"], "6: one UN reference number, QDe.004"),
        (["US:23248", "UK:14006"], "8: KATAEV, Aiub: an alias of the 2021 ALT.CSV only"),
    ],
)
def test_one_party_on_several_lists_is_one_target(six_lists, records, case):
    found, _, _ = six_lists
    assert len({found[record] for record in records}) == 1, case


@pytest.mark.parametrize(
    ("us", "others"),
    [
        ("US:11977", ["UK:8709", "AU:641", "UN:CDi.018"]),  # MUTEBUTSI, Jules: 1960 / 1964
        ("US:15832", ["UK:12862", "AU:2578", "UN:QDi.316"]),  # GHALI, Iyad ag: 1954 / 1958
    ],
)
def test_a_birth_year_gap_against_a_rare_exact_name_goes_to_review(six_lists, us, others):
    found, links, _ = six_lists
    for other in others:
        assert links[tuple(sorted((us, other)))] == "review:birth-date-conflict"
        assert found[us] != found[other]  # until an analyst judges


@pytest.mark.parametrize(
    ("records", "why"),
    [
        (["US:535", "US:537"], "CIMEX: branches of one organisation in different countries"),
        (["US:25019", "US:25680"], "BANK MELLAT: two offices listed apart"),
        (["US:7637", "US:7643", "US:7644", "US:7645"], "AL AQSA FOUNDATION: four branches"),
        (["UK:16201", "UK:16405"], "PARAMOUNT ENERGY & COMMODITIES: DMCC and its Swiss SA"),
        (["AU:2269", "AU:2354"], "Cham Holding and its subsidiary, whose name it carries"),
        (["UK:15364", "UK:15776"], "ZVEZDA PJSC and JSC ZVEZDA: two companies, one word"),
    ],
)
def test_look_alikes_stay_apart(six_lists, records, why):
    found, _, _ = six_lists
    assert len({found[record] for record in records}) == len(records), why


def test_people_of_one_name_with_different_birth_dates_are_never_accepted(six_lists):
    """No accepted link between two people whose birth dates lie more than a year apart,
    unless they share a passport, a national id or a listing identifier."""
    _, links, _ = six_lists
    assert links["accepted despite birth dates"] == 0
    assert links["review:birth-date-conflict"] > 0


def test_shared_identifiers_and_primary_names_are_one_target_or_a_recorded_conflict(six_lists):
    """Every cross-list pair in different targets that shares an IMO number, a UN reference or
    an organisation's primary name carries its reason: a conflict, a name several parties of a
    list carry, or a merge the clusterer refused (two records of one list); all in review."""
    _, _, split = six_lists
    assert split["vessel IMO"] == []
    for pairs in split.values():
        for pair in pairs:
            assert pair.reason.startswith("review:"), pair
            assert (
                "conflict" in pair.reason
                or "name-fits-several" in pair.reason
                or pair.reason.startswith("review:merge-refused+")
            ), pair
