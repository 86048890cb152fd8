"""Images: every field is refused out of its range (naming the image and the field), the band
rule for images without a bandwidth, extraction radii up to 180 deg, beams the spatial index
can search, coverage limited to the extraction circle, time order, and insert_image in the
caller's transaction.
"""

from __future__ import annotations

import datetime as dt
import math

import psycopg2
import pytest

import tkpdb
from tests.sky import IMAGE_DEFAULTS, T0, image, observe, offset, query, source

TABLES = ("image", "frequencyband", "skyregion", "assocskyrgn")


def counts(conn) -> tuple:
    return query(conn, "SELECT " + ", ".join(f"(SELECT count(*) FROM {t})" for t in TABLES))[0]


@pytest.fixture
def dataset(conn) -> int:
    return tkpdb.insert_dataset(conn, "images")


NAN, INF = math.nan, math.inf
BAD_FIELDS = [
    ("rb_smaj", NAN), ("rb_smaj", INF), ("rb_smaj", 0.0), ("rb_smaj", -0.01), ("rb_smaj", 89.999),
    ("rb_smin", NAN), ("rb_smin", 0.02),            # larger than rb_smaj
    ("rb_pa", NAN), ("rb_pa", 400.0),
    ("centre_ra", NAN), ("centre_ra", -INF), ("centre_decl", NAN), ("centre_decl", 90.5),
    ("xtr_radius", NAN), ("xtr_radius", 0.0), ("xtr_radius", 180.5),
    ("freq_eff", NAN), ("freq_eff", INF), ("freq_eff", 0.0), ("freq_eff", -150e6),
    ("freq_bw", NAN), ("freq_bw", INF), ("freq_bw", -1e6), ("freq_bw", 400e6), ("freq_bw", 1e-300),
    ("tau_time", NAN), ("tau_time", 0.0), ("tau_time", INF),
    ("rms_min", NAN), ("rms_min", 0.0), ("rms_max", INF), ("rms_max", 5e-4),   # below rms_min
    ("detection_thresh", NAN), ("detection_thresh", -8.0), ("analysis_thresh", INF),
    ("stokes", 0), ("stokes", 5), ("stokes", 70000),
]


def test_an_out_of_range_field_is_refused_naming_image_and_field(conn, dataset):
    """Every case of BAD_FIELDS in one database (a database per case would cost more than the
    checks); the message names the case that failed."""
    for field, value in BAD_FIELDS:
        before = counts(conn)
        with pytest.raises(tkpdb.ImageValidationError) as err:
            image(conn, dataset, 0, url="img-7.fits", **{field: value})
        message = str(err.value)
        assert message.startswith(f"image 'img-7.fits' of dataset {dataset}: field '{field}' = "), \
            (field, value, message)
        assert counts(conn) == before, (field, value)


def test_the_sql_function_refuses_the_same(conn, dataset):
    for field, value in (("rb_smaj", NAN), ("centre_decl", 91.0), ("xtr_radius", 200.0),
                         ("rms_max", 5e-4)):
        fields = dict(IMAGE_DEFAULTS, taustart_ts=T0, stokes=1, url=None, **{field: value})
        args = [fields[name] for name in tkpdb.images.IMAGE_FIELDS]
        before = counts(conn)
        with pytest.raises(psycopg2.errors.InvalidParameterValue, match=f"field '{field}'"):
            query(conn, "SELECT insert_image(%s" + ", %s" * 15 + "::smallint, %s)", (dataset, *args))
        conn.rollback()
        assert counts(conn) == before


def test_a_value_that_is_not_a_number_is_refused(conn, dataset):
    for field, value in (("rb_smaj", True), ("freq_eff", "150e6"), ("centre_ra", 1 + 2j),
                         ("tau_time", None), ("stokes", 1.0), ("stokes", True),
                         ("taustart_ts", "2026-01-01")):
        with pytest.raises(tkpdb.ImageValidationError, match=f"field '{field}'"):
            image(conn, dataset, 0, **{field: value})
        assert counts(conn) == (0, 0, 0, 0)


def test_a_nan_centre_never_becomes_ra_0(conn, dataset):
    with pytest.raises(tkpdb.ImageValidationError, match="centre_ra"):
        image(conn, dataset, 0, centre_ra=NAN, centre_decl=0.0)
    assert query(conn, "SELECT count(*) FROM skyregion") == [(0,)]


def test_a_nan_beam_no_longer_makes_every_source_a_transient(conn, dataset):
    """The defect: rb_smaj NaN passed 'rb_smaj > 0', matched nothing, and every source of the
    second image became a new runcat and a transient candidate."""
    observe(conn, image(conn, dataset, 0), [source(123.0, 10.0, flux=5.0)])
    with pytest.raises(tkpdb.ImageValidationError, match="rb_smaj"):
        image(conn, dataset, 1, rb_smaj=NAN)
    _, result = observe(conn, image(conn, dataset, 1), [source(123.0, 10.0, flux=5.0)])
    assert (result["one_to_one"], result["new_sources"], result["new_transient_candidates"]) == (1, 0, 0)


def bands(conn, dataset: int) -> list[int]:
    return [b for (b,) in query(conn, "SELECT band FROM image WHERE dataset = %s ORDER BY id",
                                (dataset,))]


@pytest.mark.parametrize("bandwidth", [0.0, None])
def test_images_without_a_bandwidth_at_one_frequency_share_a_band(conn, dataset, bandwidth):
    """The defect: freq_bw 0 or missing put every image in a band of its own, so no lightcurve
    ever had two fluxes in a band (no variability)."""
    for step in range(3):
        observe(conn, image(conn, dataset, step, freq_bw=bandwidth), [source(123.0, 10.0, flux=step + 1.0)])
    assert len(set(bands(conn, dataset))) == 1
    assert query(conn, "SELECT f_datapoints FROM runningcatalog_flux") == [(3,)]
    (v_int,) = query(conn, "SELECT v_int FROM varmetric")[0]
    assert v_int > 0


def test_a_point_band_and_a_wide_band_join(conn, dataset):
    wide = image(conn, dataset, 0, freq_eff=150e6, freq_bw=1e6)       # band [149.5, 150.5] MHz
    inside = image(conn, dataset, 1, freq_eff=150.3e6, freq_bw=0.0)   # a point inside it
    point = image(conn, dataset, 2, freq_eff=151e6, freq_bw=None)     # band [151, 151]
    around = image(conn, dataset, 3, freq_eff=151.2e6, freq_bw=1e6)   # contains the point band
    band = dict(query(conn, "SELECT id, band FROM image"))
    assert band[wide] == band[inside] != band[point] == band[around]
    assert query(conn, "SELECT count(*) FROM frequencyband") == [(2,)]


def test_band_tolerance_joins_nearby_frequencies_without_a_bandwidth(conn):
    strict = tkpdb.insert_dataset(conn, "no tolerance")
    tolerant = tkpdb.insert_dataset(conn, "1 kHz", band_tolerance=1e3)
    for ds in (strict, tolerant):
        for step, freq in enumerate((150e6, 150e6 + 400.0, 150e6 + 5e3)):
            image(conn, ds, step, freq_eff=freq, freq_bw=0.0)
    assert len(set(bands(conn, strict))) == 3
    first, near, far = bands(conn, tolerant)
    assert first == near != far
    with pytest.raises(ValueError, match="band_tolerance"):
        tkpdb.insert_dataset(conn, "bad", band_tolerance=NAN)


def test_an_infinite_frequency_never_joins_a_band(conn, dataset):
    image(conn, dataset, 0, freq_eff=150e6, freq_bw=1e6)
    for freq, bw in ((INF, 1e6), (150e6, INF), (1e300, 1e300)):
        with pytest.raises(tkpdb.ImageValidationError):
            image(conn, dataset, 1, freq_eff=freq, freq_bw=bw)
    assert query(conn, "SELECT count(*) FROM frequencyband") == [(1,)]


@pytest.mark.parametrize("radius", [89.999, 90.0, 120.0, 180.0])
def test_very_large_extraction_radii_associate(conn, dataset, radius):
    """All-sky monitors: a region of radius 90 deg and more. 89.999 raised a pgSphere error
    (radius plus anchor margin over 90 deg); a region beyond 90 deg has no scircle."""
    centre = (10.0, 0.0)
    far = (10.0, 85.0)                                        # 85 deg north of the centre
    rows = [source(*centre, flux=2.0), source(*far, flux=2.0)]
    for step in range(2):
        img = image(conn, dataset, step, centre_ra=centre[0], centre_decl=centre[1],
                    xtr_radius=radius, rb_smaj=0.5, rb_smin=0.5)
        _, result = observe(conn, img, rows)
        assert result["new_sources" if step == 0 else "one_to_one"] == 2
    (region,) = query(conn, "SELECT id FROM skyregion")[0]
    assert query(conn, "SELECT count(*) FROM assocskyrgn WHERE skyrgn = %s", (region,)) == [(2,)]
    # a new region around the antipode links the runcats it contains (the far one, when big)
    img = image(conn, dataset, 2, centre_ra=190.0, centre_decl=0.0, xtr_radius=radius,
                rb_smaj=0.5, rb_smin=0.5)
    (other,) = query(conn, "SELECT skyrgn FROM image WHERE id = %s", (img,))[0]
    linked = query(conn, "SELECT count(*) FROM assocskyrgn WHERE skyrgn = %s", (other,))[0][0]
    assert linked == (radius >= 180.0) + (radius > 95.0)


def test_a_beam_too_large_for_the_spatial_index_is_refused_at_insert(conn, dataset):
    with pytest.raises(tkpdb.ImageValidationError, match="largest beam the spatial index"):
        image(conn, dataset, 0, rb_smaj=89.999, rb_smin=1.0)
    img = image(conn, dataset, 0, rb_smaj=45.0, rb_smin=1.0)
    tkpdb.insert_extracted_sources(conn, img, [source(123.0, 10.0)])
    with pytest.raises(psycopg2.errors.RaiseException, match="too large a search radius"):
        tkpdb.associate_extracted_sources(conn, img, beamwidths_limit=3.0)
    assert tkpdb.associate_extracted_sources(conn, img, beamwidths_limit=1.0)["new_sources"] == 1


def test_a_source_outside_the_extraction_radius_gets_no_coverage_from_its_image(conn, dataset):
    """The defect: a source 2 deg from the centre of an image of radius 1 deg was linked to the
    image's sky region and became a 'likely' transient against the earlier image of that
    region, which never covered its position."""
    observe(conn, image(conn, dataset, 0, xtr_radius=1.0), [source(123.0, 10.0)])
    outside = offset(123.0, 10.0, 0.0, 2.0 * 3600.0)
    ids, result = observe(conn, image(conn, dataset, 1, xtr_radius=1.0),
                          [source(123.0, 10.0), source(*outside, flux=50.0)])
    assert (result["new_sources"], result["new_transient_candidates"]) == (1, 0)
    (runcat,) = query(conn, "SELECT id FROM runningcatalog WHERE xtrsrc = %s", (ids[1],))[0]
    assert query(conn, "SELECT count(*) FROM assocskyrgn WHERE runcat = %s", (runcat,)) == [(0,)]
    later = image(conn, dataset, 2, xtr_radius=1.0)
    assert runcat not in [r for r, _, _ in tkpdb.get_nulldetections(conn, later)]
    # a region that does contain it links it and covers it from then on
    wide = image(conn, dataset, 3, xtr_radius=3.0)
    (region,) = query(conn, "SELECT skyrgn FROM image WHERE id = %s", (wide,))[0]
    assert query(conn, "SELECT skyrgn FROM assocskyrgn WHERE runcat = %s", (runcat,)) == [(region,)]


def test_an_image_earlier_than_an_associated_one_is_refused(conn, dataset):
    observe(conn, image(conn, dataset, 5), [source(123.0, 10.0)])
    before = counts(conn)
    with pytest.raises(tkpdb.ImageValidationError, match="is earlier than .* already associated"):
        image(conn, dataset, 3)
    assert counts(conn) == before
    same_time = image(conn, dataset, 5, freq_eff=160e6)        # another band of the timestep
    assert tkpdb.associate_extracted_sources(conn, same_time)["new_sources"] == 0
    # registered in order, associated out of order: the later association is refused
    six, seven = image(conn, dataset, 6), image(conn, dataset, 7)
    observe(conn, seven, [source(123.0, 10.0)])
    tkpdb.insert_extracted_sources(conn, six, [source(123.0, 10.0)])
    with pytest.raises(psycopg2.errors.RaiseException, match="associated in time order"):
        tkpdb.associate_extracted_sources(conn, six)
    other = tkpdb.insert_dataset(conn, "other")                # time order is per dataset
    image(conn, other, 0)


def test_an_image_its_extractions_and_its_association_are_one_transaction(conn, dsn, dataset):
    """insert_image(commit=False): nothing of the image survives a failure or a dead driver."""
    def load(connection, step: int) -> int:
        img = image(connection, dataset, step, commit=False)
        tkpdb.insert_extracted_sources(connection, img, [source(123.0, 10.0)], commit=False)
        return img

    with conn.cursor() as cur:
        cur.execute("""CREATE FUNCTION fail() RETURNS trigger LANGUAGE plpgsql AS
                       $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$;
                       CREATE TRIGGER fail BEFORE INSERT ON runningcatalog
                       FOR EACH ROW EXECUTE FUNCTION fail();""")
    conn.commit()
    img = load(conn, 0)
    with pytest.raises(psycopg2.errors.RaiseException, match="injected failure"):
        tkpdb.associate_extracted_sources(conn, img)
    assert counts(conn) == (0, 0, 0, 0)
    assert query(conn, "SELECT count(*) FROM extractedsource") == [(0,)]
    with conn.cursor() as cur:
        cur.execute("DROP TRIGGER fail ON runningcatalog; DROP FUNCTION fail()")
    conn.commit()

    driver = tkpdb.connect(dsn)          # a driver that dies before it commits
    load(driver, 0)
    driver.close()
    assert counts(conn) == (0, 0, 0, 0)

    img = load(conn, 0)
    assert tkpdb.associate_extracted_sources(conn, img)["new_sources"] == 1
    assert counts(conn) == (1, 1, 1, 1)


def test_a_refused_image_leaves_the_callers_transaction_alone(conn, dataset):
    first = image(conn, dataset, 0, commit=False)
    with pytest.raises(tkpdb.ImageValidationError):
        image(conn, dataset, 1, rb_smaj=NAN, commit=False)
    tkpdb.insert_extracted_sources(conn, first, [source(123.0, 10.0)], commit=False)
    assert tkpdb.associate_extracted_sources(conn, first)["new_sources"] == 1
    assert counts(conn)[0] == 1


def test_a_timezone_aware_start_is_stored_in_utc(conn, dataset):
    cet = dt.timezone(dt.timedelta(hours=1))
    img = image(conn, dataset, 0, taustart_ts=dt.datetime(2026, 1, 1, 1, 0, tzinfo=cet))
    assert query(conn, "SELECT taustart_ts FROM image WHERE id = %s", (img,)) == [(T0,)]
