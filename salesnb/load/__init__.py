"""Read sales data, map it onto the contract, validate it, quarantine bad rows."""

from salesnb.load.sources import (
    SAMPLE_DATA,
    SalesData,
    load,
    parse_dates,
    parse_numbers,
    read_mapping,
    redact_url,
)

__all__ = [
    "load",
    "SalesData",
    "SAMPLE_DATA",
    "read_mapping",
    "parse_numbers",
    "parse_dates",
    "redact_url",
]
