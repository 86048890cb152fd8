-- 92_varmetric.sql: the view varmetric (one row per lightcurve), read from the variability
-- state that association keeps in the flux row it updates anyway.
--
-- Reads:  runningcatalog_flux (the state of every band), assocxtrsource (V and eta of the latest
--         measurement, by its extraction id), newsource, extractedsource and image (the
--         newsource significance), each by key.
-- Writes: nothing. The state is written by assoc_store_flux (40_one_to_one.sql), called by
--         every stage that adds a measurement (one-to-one and many-to-one, forks, new sources,
--         null detections, monitoring fits), in the same row update as the running means.
-- Invariant: after the association of an image (blind, forced fits or monitoring), the
--            varmetric row of every runcat describes its lightcurve as it is now. A runcat the
--            image did not touch has rows that did not change (its lightcurve did not change):
--            there is never a whole-dataset rebuild (TraP deleted and rebuilt every row of the
--            dataset per timestep, trap-semantics 5.4 item 7).
--
-- Columns (TraP's varmetric):
--   id: the runningcatalog_flux row of the reported band; runcat.
--   v_int, eta_int, band: of the latest measurement of the lightcurve (largest taustart_ts);
--   among measurements at that same time (other bands, or overlapping images), the highest
--   f_int, then the highest freq_eff, then the highest extraction id. The order is total, so a
--   repeated flux value (equal fluxes at two epochs, or in two bands at one time) can never
--   select two rows. TraP took the latest time per band, the maximum f_int among those, and
--   joined back to "an assoc with that f_int", which matched several rows and failed when a
--   flux repeated. In a survey that images every band at each timestep both rules pick the
--   same row; when a band was not observed at the latest timestep, ours reports the latest
--   measurement instead of a stale brighter one.
--   lightcurve_max / lightcurve_avg / lightcurve_median (Jy): max, mean and median (the mean of
--   the two middle values for an even count) of f_int over the runcat's measurements in the
--   band and Stokes of that measurement, every extraction type included (NULL f_int ignored).
--   newsource: the runcat's newsource id; sigma_rms_max / sigma_rms_min = f_peak of the trigger
--   extraction / rms_max (resp. rms_min) of its previous_limits_image (dimensionless). Peak
--   flux, not TraP's f_int: it is the flux the transient-candidate test (60_*.sql) compares
--   with rms * (detection threshold + margin), so sigma_rms_max > threshold + margin <=> type 1.
--
-- Cost. Per band the flux row keeps the count, sum and largest of the non-NULL f_int, the
-- latest measurement, and the two middle measurements of the band as keys (f_int, extraction
-- id) into the lightcurve index of assocxtrsource (runcat, band, stokes, f_int, xtrsrc). A new
-- value moves the middle by at most one entry, found by one index probe (O(log n)), so adding
-- a measurement costs the same at the 10th and at the 10,000th image of a lightcurve, and no
-- row is written beyond the flux row that association updates anyway. History of this
-- design, measured on 10,000-source images: reading every lightcurve per image grew linearly
-- with the history (112 ms per image at image 500 for 100 sources); a sorted f_int array per
-- band (table varmetric_band) was O(lightcurve length) per update, with a second table
-- written per touched lightcurve and a varmetric upsert: ~480 ms per W1 image (hash join over
-- varmetric_band spilling to disk, an external sort for the latest band), and W3 (1,000
-- sources, 2,000 images) grew from 154 to 280 ms per image. The order-statistic update costs
-- one index entry per link and one backward or forward probe per odd-count update.
--
-- Reading: SELECT ... FROM varmetric WHERE runcat = ... reads the runcat's flux rows by key;
-- a query over all lightcurves (ORDER BY eta_int DESC LIMIT 20) reads every flux row, as a
-- scan of the table of the same name did before.

CREATE OR REPLACE VIEW varmetric AS
SELECT f.id, f.runcat, a.v_int, a.eta_int, f.band, ns.id AS newsource,
       ns.sigma_rms_max, ns.sigma_rms_min,
       f.f_int_max AS lightcurve_max,
       f.f_int_sum / nullif(f.f_int_count, 0) AS lightcurve_avg,
       (f.median_lo_f_int + f.median_hi_f_int) / 2.0 AS lightcurve_median
FROM (SELECT DISTINCT ON (runcat) *
      FROM runningcatalog_flux
      ORDER BY runcat, latest_ts DESC, latest_f_int DESC NULLS LAST, latest_freq DESC,
               latest_xtrsrc DESC) f
LEFT JOIN LATERAL (SELECT a.v_int, a.eta_int FROM assocxtrsource a
                   WHERE a.xtrsrc = f.latest_xtrsrc AND a.runcat = f.runcat) a ON true
LEFT JOIN LATERAL (
    SELECT ns.id, tx.f_peak / nullif(pi.rms_max, 0.0) AS sigma_rms_max,
           tx.f_peak / nullif(pi.rms_min, 0.0) AS sigma_rms_min
    FROM newsource ns
    JOIN extractedsource tx ON tx.id = ns.trigger_xtrsrc
    JOIN image pi ON pi.id = ns.previous_limits_image
    WHERE ns.runcat = f.runcat
) ns ON true;
COMMENT ON VIEW varmetric IS 'One row per lightcurve, current after every association: V and eta '
    'of its latest measurement, lightcurve statistics of f_int (Jy) in that band and its newsource '
    'significance (see sql/92_varmetric.sql).';
COMMENT ON COLUMN varmetric.id IS 'The runningcatalog_flux row (band and Stokes) the row reports.';
COMMENT ON COLUMN varmetric.v_int IS 'V of f_int after the latest measurement (ties: highest f_int, then freq_eff, then extraction id).';
COMMENT ON COLUMN varmetric.eta_int IS 'eta of f_int after the same measurement as v_int.';
COMMENT ON COLUMN varmetric.band IS 'Band of that measurement; the lightcurve_* columns are over this band and its Stokes.';
COMMENT ON COLUMN varmetric.sigma_rms_max IS 'Trigger f_peak / rms_max of the previous-limits image (dimensionless); NULL if not a new source.';
COMMENT ON COLUMN varmetric.sigma_rms_min IS 'Trigger f_peak / rms_min of the previous-limits image (dimensionless); NULL if not a new source.';
COMMENT ON COLUMN varmetric.lightcurve_max IS 'Largest f_int (Jy) in the band.';
COMMENT ON COLUMN varmetric.lightcurve_avg IS 'Mean f_int (Jy) in the band.';
COMMENT ON COLUMN varmetric.lightcurve_median IS 'Median f_int (Jy) in the band (mean of the two middle values for an even count).';
