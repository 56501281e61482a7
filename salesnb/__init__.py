"""salesnb: sales-performance KPIs, models and report packs from CRM/ERP data."""

from salesnb.errors import (
    DataSourceError,
    DataValidationError,
    MappingError,
    MissingColumnsError,
    SalesnbError,
)
from salesnb.load import SAMPLE_DATA, SalesData, load, scan

__version__ = "0.1.0"

__all__ = [
    "load",
    "scan",
    "SalesData",
    "SAMPLE_DATA",
    "SalesnbError",
    "DataSourceError",
    "DataValidationError",
    "MappingError",
    "MissingColumnsError",
    "__version__",
]
