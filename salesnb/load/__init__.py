"""Read sales data, map it onto the contract, validate it, quarantine bad rows."""

from salesnb.load.data import SalesData
from salesnb.load.loader import load
from salesnb.load.mapping import mapping_settings, read_mapping
from salesnb.load.parse import parse_dates, parse_numbers
from salesnb.load.scan import scan
from salesnb.load.sources import SAMPLE_DATA, redact_url

__all__ = [
    "load",
    "scan",
    "SalesData",
    "SAMPLE_DATA",
    "read_mapping",
    "mapping_settings",
    "parse_numbers",
    "parse_dates",
    "redact_url",
]
