"""One module per source format; each exposes `parse(files, source_id)` and `publication_date`.

`files` maps the official file names (upper case, e.g. "SDN.CSV") to archived paths.
"""

from types import ModuleType

from sanctions.parsers import (
    au_dfat_xlsx,
    ca_sema_xml,
    eu_fsf_xml,
    ofac_advanced_xml,
    ofac_csv,
    ofac_sdn_xml,
    uk_fcdo_xml,
    uk_ofsi_csv,
    un_sc_xml,
)

PARSERS: dict[str, ModuleType] = {
    "ofac_advanced_xml": ofac_advanced_xml,
    "ofac_sdn_xml": ofac_sdn_xml,
    "ofac_csv": ofac_csv,
    "ca_sema_xml": ca_sema_xml,
    "eu_fsf_xml": eu_fsf_xml,
    "uk_fcdo_xml": uk_fcdo_xml,
    "uk_ofsi_csv": uk_ofsi_csv,
    "au_dfat_xlsx": au_dfat_xlsx,
    "un_sc_xml": un_sc_xml,
}
