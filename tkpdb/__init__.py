"""tkpdb: in-database source association for radio transient surveys.

Units everywhere: positions and beam axes in degrees, systematic and fit error radii in arcsec
(as in TraP), fluxes in Jy, frequencies in Hz, durations in seconds; RA in [0, 360).
"""

from .associate import associate_extracted_sources
from .config import resolve_dsn
from .connection import SchemaVersionError, connect
from .images import insert_dataset, insert_image
from .ingest import SourceValidationError, insert_extracted_sources
from .heritage import heritage_graph, lightcurve_heritage, render_heritage
from .lightcurves import LightcurvePoint, get_lightcurve
from .migrations import downgrade, upgrade
from .monitoring import (MonitorEntry, associate_monitored, get_monitor_entries,
                         insert_monitor_positions)
from .nulldetections import associate_nulldetections, get_nulldetections
from .stats import DatasetStats, SuspectTransient, dataset_stats, suspect_transients
from .formats import FORMATS, Catalogue, CatalogueError, ImageContext, read_catalogue
from .fitsimage import FitsError, header_metadata, read_pixels
from .forcedfit import ForcedFits, forced_fit
from .run import (Manifest, ManifestError, RunError, RunSummary, catalogue_extractions,
                  load_manifest, run_manifest)
from .results import (EXPORT_FORMATS, TransientCandidate, Variability, export_dataset,
                      lightcurve_table, runcat_table, transient_candidates, variability)
from .plots import plot_lightcurve
from .survey import Survey, SurveySpec, Truth, load_truth, simulate_survey, write_survey
from .truth import TruthScore, score_truth, survey_truth
from ._db import ConnectionLostError
from .check import CheckResult, check_catalogue
from .config import mask_dsn
from .validation import ImageValidationError

__version__ = "0.1.0"

__all__ = [
    "connect",
    "upgrade",
    "downgrade",
    "resolve_dsn",
    "insert_dataset",
    "insert_image",
    "insert_extracted_sources",
    "associate_extracted_sources",
    "SchemaVersionError",
    "SourceValidationError",
    "get_lightcurve",
    "LightcurvePoint",
    "lightcurve_heritage",
    "heritage_graph",
    "render_heritage",
    "dataset_stats",
    "DatasetStats",
    "suspect_transients",
    "SuspectTransient",
    "get_nulldetections",
    "associate_nulldetections",
    "insert_monitor_positions",
    "get_monitor_entries",
    "associate_monitored",
    "MonitorEntry",
    "FORMATS",
    "Catalogue",
    "CatalogueError",
    "ImageContext",
    "read_catalogue",
    "FitsError",
    "header_metadata",
    "read_pixels",
    "ForcedFits",
    "forced_fit",
    "Manifest",
    "ManifestError",
    "RunError",
    "RunSummary",
    "load_manifest",
    "run_manifest",
    "catalogue_extractions",
    "EXPORT_FORMATS",
    "TransientCandidate",
    "Variability",
    "transient_candidates",
    "variability",
    "runcat_table",
    "lightcurve_table",
    "export_dataset",
    "plot_lightcurve",
    "Survey",
    "SurveySpec",
    "Truth",
    "simulate_survey",
    "write_survey",
    "load_truth",
    "TruthScore",
    "score_truth",
    "survey_truth",
    "ImageValidationError",
    "ConnectionLostError",
    "check_catalogue",
    "CheckResult",
    "mask_dsn",
]
