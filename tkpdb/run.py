"""Manifest runs: a dataset described in TOML, its catalogues and FITS images, associated.

::

    [dataset]
    description = "VAST pilot field 0"   # a re-run with the same description continues it

    [association]                        # optional; these are the defaults
    deruiter_radius = 5.68
    beamwidths_limit = 1.0
    new_source_sigma_margin = 3.0
    expiration = 10                      # forced fits at null detections, in images
    ew_sys_err = 1.0                     # arcsec, added to every source
    ns_sys_err = 1.0
    mode = "trap"                        # or "resolved" (tkpdb.associate_extracted_sources)
    flux_division = "none"               # "equal", "flux"; default: the mode's ("flux" if resolved)

    [image_defaults]                     # optional: image keys shared by every [[image]]
    detection_thresh = 5.0

    [[image]]
    catalogue = "epoch01.selavy.components.txt"   # relative to the manifest
    format = "selavy"                             # see tkpdb.formats.FORMATS
    fits = "epoch01.fits"                         # optional: metadata and forced-fit pixels
    noise = "epoch01.noiseMap.fits"               # optional: rms map

    [[monitor]]                                   # optional monitoring list
    ra = 150.0
    decl = -30.0
    name = "GRB 200803A"

Image metadata (the :func:`tkpdb.insert_image` fields) come from the FITS header
(:mod:`tkpdb.fitsimage`); a value in ``[image_defaults]`` or the ``[[image]]`` overrides it.
Every image's metadata is resolved before anything is written; a missing value is an error
naming the image and the key. Images are associated in time order, the bands of one timestep
in frequency order. Each image is one transaction: load, blind association, and, where pixels
are given, forced fits (:mod:`tkpdb.forcedfit`) at the null-detection and monitoring positions,
associated, then a record of its files (``image_input``). A re-run skips the images already
recorded with the same content (SHA-256 of the catalogue, FITS image, noise map and resolved
metadata), so nothing is counted twice; a recorded catalogue whose content changed is an error.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg2.extensions

from ._db import read_rows, transaction
from .associate import FLUX_DIVISIONS, MODES, associate_extracted_sources
from .fitsimage import FitsError, header_metadata, read_pixels
from .forcedfit import as_sources, forced_fit
from .formats import FORMATS, CatalogueError, ImageContext, read_catalogue
from .images import insert_dataset, insert_image
from .ingest import insert_extracted_sources
from .monitoring import associate_monitored, get_monitor_entries, insert_monitor_positions
from .nulldetections import associate_nulldetections, get_nulldetections
from .stats import dataset_stats

__all__ = ["ManifestError", "RunError", "Manifest", "ManifestImage", "RunSummary",
           "load_manifest", "run_manifest", "catalogue_extractions", "IMAGE_KEYS",
           "ASSOCIATION_DEFAULTS"]

#: insert_image fields a manifest may give, with their units.
IMAGE_KEYS: dict[str, str] = {
    "taustart_ts": "UTC (ISO 8601 or a TOML datetime)", "tau_time": "s", "freq_eff": "Hz",
    "freq_bw": "Hz", "rb_smaj": "deg (semi-axis)", "rb_smin": "deg (semi-axis)",
    "rb_pa": "deg", "centre_ra": "deg", "centre_decl": "deg", "xtr_radius": "deg",
    "rms_min": "Jy/beam", "rms_max": "Jy/beam", "detection_thresh": "sigma",
    "analysis_thresh": "sigma", "stokes": "1 = I",
}
_OPTIONAL_KEYS = {"analysis_thresh", "stokes"}
#: The [association] defaults.
ASSOCIATION_DEFAULTS: dict[str, float] = {
    "deruiter_radius": 5.68, "beamwidths_limit": 1.0, "new_source_sigma_margin": 3.0,
    "expiration": 10, "ew_sys_err": 1.0, "ns_sys_err": 1.0,
}


#: The [association] keys that take one of a few strings (default None: the engine's default).
ASSOCIATION_CHOICES: dict[str, tuple[str, ...]] = {"mode": MODES, "flux_division": FLUX_DIVISIONS}


class ManifestError(ValueError):
    """A manifest cannot be run; the message names the manifest, the image and the key."""


class RunError(RuntimeError):
    """An image failed; nothing of it was written. The message names the image."""


@dataclass(frozen=True)
class ManifestImage:
    """One ``[[image]]``: its files and its resolved metadata (insert_image fields)."""

    name: str                 # the catalogue path as written in the manifest
    catalogue: Path
    format: str
    fits: Path | None
    noise: Path | None
    metadata: dict[str, Any]

    def digest(self) -> str:
        """SHA-256 of the files' contents, the format and the resolved metadata."""
        h = hashlib.sha256()
        for path in (self.catalogue, self.fits, self.noise):
            h.update(b"\0file\0")
            if path is not None:
                with open(path, "rb") as f:
                    for chunk in iter(lambda: f.read(1 << 20), b""):
                        h.update(chunk)
        meta = {k: (v.isoformat() if isinstance(v, dt.datetime) else v)
                for k, v in sorted(self.metadata.items())}
        h.update(json.dumps([self.format, meta], sort_keys=True).encode())
        return h.hexdigest()


@dataclass(frozen=True)
class Manifest:
    """A parsed manifest; ``images`` in association order (time, then frequency)."""

    path: Path
    description: str
    association: dict[str, float]
    images: list[ManifestImage]
    monitors: list[tuple[float, float, str | None]]
    mode: str = "trap"
    flux_division: str | None = None
    monitors: list[tuple[float, float, str | None]]


def _timestamp(value: Any, where: str) -> dt.datetime:
    if isinstance(value, dt.datetime):
        stamp = value
    elif isinstance(value, str):
        try:
            stamp = dt.datetime.fromisoformat(value)
        except ValueError:
            raise ManifestError(f"{where}: taustart_ts {value!r} is not an ISO 8601 time") from None
    else:
        raise ManifestError(f"{where}: taustart_ts must be a time, not {value!r}")
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return stamp


def _number(value: Any, where: str, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ManifestError(f"{where}: {key} must be a number ({IMAGE_KEYS.get(key, '')}), "
                            f"not {value!r}")
    return float(value)


def load_manifest(path: str | Path) -> Manifest:
    """Parse and check a manifest, resolving every image's metadata (nothing is written)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ManifestError(f"{path}: no such file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"{path}: not valid TOML ({exc})") from None
    unknown = set(data) - {"dataset", "association", "image_defaults", "image", "monitor"}
    if unknown:
        raise ManifestError(f"{path}: unknown table(s) {', '.join(sorted(unknown))}")
    description = data.get("dataset", {}).get("description")
    if not isinstance(description, str) or not description.strip():
        raise ManifestError(f"{path}: [dataset] description (a non-empty string) is required")
    association = dict(ASSOCIATION_DEFAULTS)
    choices: dict[str, str] = {}
    for key, value in data.get("association", {}).items():
        if key in ASSOCIATION_CHOICES:
            if value not in ASSOCIATION_CHOICES[key]:
                raise ManifestError(f"{path}: [association] {key} must be one of "
                                    f"{', '.join(map(repr, ASSOCIATION_CHOICES[key]))}, not {value!r}")
            choices[key] = value
        elif key not in ASSOCIATION_DEFAULTS:
            raise ManifestError(f"{path}: [association] unknown key {key!r} (known: "
                                f"{', '.join([*ASSOCIATION_DEFAULTS, *ASSOCIATION_CHOICES])})")
        else:
            association[key] = _number(value, f"{path} [association]", key)
    association["expiration"] = int(association["expiration"])
    defaults = data.get("image_defaults", {})
    for key in defaults:
        if key not in IMAGE_KEYS:
            raise ManifestError(f"{path}: [image_defaults] unknown key {key!r}")
    entries = data.get("image", [])
    if not entries:
        raise ManifestError(f"{path}: no [[image]]")
    images, seen = [], set()
    for k, entry in enumerate(entries, 1):
        images.append(_image(path, k, entry, defaults))
        if images[-1].name in seen:
            raise ManifestError(f"{path}: [[image]] {k}: catalogue {images[-1].name!r} is listed twice")
        seen.add(images[-1].name)
    images.sort(key=lambda im: (im.metadata["taustart_ts"], im.metadata["freq_eff"]))
    monitors = []
    for k, entry in enumerate(data.get("monitor", []), 1):
        where = f"{path} [[monitor]] {k}"
        if set(entry) - {"ra", "decl", "name"} or "ra" not in entry or "decl" not in entry:
            raise ManifestError(f"{where}: needs ra and decl (deg), optionally name")
        name = entry.get("name")
        monitors.append((_number(entry["ra"], where, "ra"), _number(entry["decl"], where, "decl"),
                         None if name is None else str(name)))
    return Manifest(path, description.strip(), association, images, monitors, **choices)


def _image(manifest: Path, k: int, entry: dict, defaults: dict) -> ManifestImage:
    base = manifest.parent
    name = entry.get("catalogue")
    where = f"{manifest} [[image]] {k}"
    if not isinstance(name, str):
        raise ManifestError(f"{where}: catalogue (a path) is required")
    where = f"{manifest} [[image]] {k} ({name})"
    fmt = entry.get("format")
    if fmt not in FORMATS:
        raise ManifestError(f"{where}: format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    unknown = set(entry) - {"catalogue", "format", "fits", "noise"} - set(IMAGE_KEYS)
    if unknown:
        raise ManifestError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    files = {}
    for key in ("catalogue", "fits", "noise"):
        if entry.get(key) is not None:
            files[key] = (base / entry[key]).resolve()
            if not files[key].is_file():
                raise ManifestError(f"{where}: {key} file {entry[key]!r} does not exist")
    if "noise" in files and "fits" not in files:
        raise ManifestError(f"{where}: a noise map needs its fits image")
    metadata: dict[str, Any] = {}
    if "fits" in files:
        try:
            metadata.update(header_metadata(files["fits"], files.get("noise")))
        except FitsError as exc:
            raise ManifestError(f"{where}: {exc}") from None
    for key, value in {**defaults, **{k: v for k, v in entry.items() if k in IMAGE_KEYS}}.items():
        if key == "taustart_ts":
            metadata[key] = _timestamp(value, where)
        elif key == "stokes":
            metadata[key] = int(_number(value, where, key))
        else:
            metadata[key] = _number(value, where, key)
    missing = [key for key in IMAGE_KEYS if key not in metadata and key not in _OPTIONAL_KEYS]
    if missing:
        source = "the FITS header" if "fits" in files else "no fits image was given"
        raise ManifestError(f"{where}: missing {', '.join(missing)} ({source}; give "
                            + ", ".join(f"{m} [{IMAGE_KEYS[m]}]" for m in missing)
                            + " in the [[image]] or [image_defaults])")
    return ManifestImage(name, files["catalogue"], fmt, files.get("fits"), files.get("noise"),
                         metadata)


@dataclass
class RunSummary:
    """What a run did. Counts of this run, except ``lightcurves``, ``transient_candidates``
    and ``measurements_total`` (the dataset as it is now)."""

    dataset: int
    description: str
    images: int = 0
    images_associated: int = 0
    images_skipped: int = 0
    measurements: int = 0
    forced_fits_nd: int = 0
    forced_fits_ms: int = 0
    forced_fits: str = "measured"
    association: dict[str, int] = field(default_factory=dict)
    lightcurves: int = 0
    transient_candidates: int = 0
    measurements_total: int = 0
    overcounting_fraction: float | None = None
    errors_replaced: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


#: progress(images done, images in all, image name, sources in it, skipped)
Progress = Callable[[int, int, str, int, bool], None]


def _dataset(conn: psycopg2.extensions.connection, description: str) -> int | None:
    rows = read_rows(conn, "SELECT id FROM dataset WHERE description = %s ORDER BY id", (description,))
    if len(rows) > 1:
        raise ManifestError(f"several datasets are described {description!r} "
                            f"(ids {', '.join(str(r[0]) for r in rows)}): give the run a new description")
    return rows[0][0] if rows else None


def run_manifest(conn: psycopg2.extensions.connection, manifest: Manifest | str | Path, *,
                 progress: Progress | None = None) -> RunSummary:
    """Load and associate every image of the manifest not yet in its dataset."""
    if not isinstance(manifest, Manifest):
        manifest = load_manifest(manifest)
    t0 = time.perf_counter()
    dataset = _dataset(conn, manifest.description)
    if dataset is None:
        dataset = insert_dataset(conn, manifest.description)
    summary = RunSummary(dataset, manifest.description, images=len(manifest.images))
    done = {row[1]: (row[0], row[3]) for row in read_rows(
        conn, "SELECT * FROM dataset_image_inputs(%s)", (dataset,))}
    _add_monitors(conn, dataset, manifest.monitors)
    if not any(image.fits for image in manifest.images):
        summary.forced_fits = "skipped: no fits images given"
    elif not all(image.fits for image in manifest.images):
        summary.forced_fits = "measured where a fits image is given, skipped elsewhere"
    a = manifest.association
    for k, image in enumerate(manifest.images, 1):
        digest = image.digest()
        if image.name in done:
            if done[image.name][1] != digest:
                raise RunError(f"{image.name}: its catalogue, images or metadata changed since it "
                               f"was associated (image {done[image.name][0]} of dataset {dataset}); "
                               "a changed input needs a new dataset (a new description)")
            summary.images_skipped += 1
            if progress:
                progress(k, len(manifest.images), image.name, 0, True)
            continue
        n = _associate_image(conn, dataset, image, digest, a, summary,
                             dict(mode=manifest.mode, flux_division=manifest.flux_division))
        if progress:
            progress(k, len(manifest.images), image.name, n, False)
    stats = dataset_stats(conn, dataset)
    summary.lightcurves = stats.lightcurves
    summary.transient_candidates = stats.transient_candidates
    summary.measurements_total = stats.measurements_made
    summary.overcounting_fraction = stats.overcounting_fraction
    summary.seconds = time.perf_counter() - t0
    return summary


def _add_monitors(conn, dataset: int, monitors: list[tuple[float, float, str | None]]) -> None:
    """Add the manifest's monitored positions the dataset does not have yet."""
    known = {(round(e.ra, 9), round(e.decl, 9), e.name) for e in get_monitor_entries(conn, dataset)}
    new = [m for m in monitors if (round(m[0] % 360.0, 9), round(m[1], 9), m[2]) not in known]
    if new:
        insert_monitor_positions(conn, dataset, [(ra, decl) for ra, decl, _ in new],
                                 names=[name or "" for _, _, name in new])


def _associate_image(conn, dataset: int, image: ManifestImage, digest: str,
                     a: dict[str, float], summary: RunSummary, mode: dict[str, str | None]) -> int:
    """One image in one transaction (``mode``: the association mode and flux division);
    returns its number of blind sources."""
    meta = image.metadata
    context = ImageContext(rms=meta.get("rms_max"), beam_fwhm=2.0 * meta["rb_smaj"] * 3600.0,
                           ew_sys_err=a["ew_sys_err"], ns_sys_err=a["ns_sys_err"])
    try:
        catalogue = read_catalogue(image.catalogue, image.format, context)
        pixels = read_pixels(image.fits, image.noise) if image.fits else None
    except (CatalogueError, FitsError) as exc:
        raise RunError(f"{image.name}: {exc}") from None
    beam = dict(bmaj=2.0 * meta["rb_smaj"], bmin=2.0 * meta["rb_smin"], bpa=meta["rb_pa"])
    url = str(image.fits or image.catalogue)
    try:
        image_id = insert_image(conn, dataset, **meta, url=url, commit=False)
        insert_extracted_sources(conn, image_id, catalogue.sources, commit=False)
        counts = associate_extracted_sources(
            conn, image_id, a["deruiter_radius"], a["beamwidths_limit"],
            a["new_source_sigma_margin"], **mode, commit=False)
        nd = ms = 0
        if pixels is not None:
            positions = get_nulldetections(conn, image_id, int(a["expiration"]))
            fits_nd = forced_fit(pixels, [(ra, decl) for _, ra, decl in positions], **beam)
            if fits_nd.fitted.any():
                insert_extracted_sources(
                    conn, image_id, as_sources(fits_nd, **beam, ew_sys_err=a["ew_sys_err"],
                                               ns_sys_err=a["ns_sys_err"]),
                    extract_type="ff_nd", commit=False,
                    ff_runcat_ids=[p[0] for p, ok in zip(positions, fits_nd.fitted) if ok])
                nd = associate_nulldetections(conn, image_id, commit=False)["forced_fits"]
            entries = get_monitor_entries(conn, dataset)
            fits_ms = forced_fit(pixels, [(e.ra, e.decl) for e in entries], **beam)
            if fits_ms.fitted.any():
                insert_extracted_sources(
                    conn, image_id, as_sources(fits_ms, **beam, ew_sys_err=a["ew_sys_err"],
                                               ns_sys_err=a["ns_sys_err"]),
                    extract_type="ff_ms", commit=False,
                    ff_monitor_ids=[e.id for e, ok in zip(entries, fits_ms.fitted) if ok])
                got = associate_monitored(conn, image_id, commit=False)
                ms = got["first_fits"] + got["later_fits"]
        with transaction(conn, commit=False) as cur:
            cur.execute("SELECT record_image_input(%s, %s, %s, %s, %s, %s)",
                        (image_id, image.name, image.format,
                         str(image.fits) if image.fits else None,
                         str(image.noise) if image.noise else None, digest))
        conn.commit()
    except Exception as exc:
        if not conn.closed:
            conn.rollback()
        raise RunError(f"{image.name}: {exc}") from exc
    summary.images_associated += 1
    summary.measurements += len(catalogue)
    summary.forced_fits_nd += nd
    summary.forced_fits_ms += ms
    for key, value in counts.items():
        if isinstance(value, int):
            summary.association[key] = summary.association.get(key, 0) + value
    for key, value in catalogue.replaced.items():
        summary.errors_replaced[key] = summary.errors_replaced.get(key, 0) + value
    return len(catalogue)


def catalogue_extractions(conn: psycopg2.extensions.connection, dataset_id: int
                          ) -> dict[str, list[int]]:
    """Per catalogue a run loaded into the dataset (its name in the manifest), the ids of its
    blind extractions in catalogue row order."""
    rows = read_rows(conn, "SELECT catalogue, xtrsrc FROM catalogue_extractions(%s)", (dataset_id,))
    return {name: list(ids) for name, ids in rows}
