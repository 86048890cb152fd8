-- 97_results.sql: the results of a dataset as the command line shows and exports them:
-- transient candidates, the most variable lightcurves, the running catalogue with its per-band
-- flux statistics, and every lightcurve measurement.
--
-- Reads:  runningcatalog, runningcatalog_flux, frequencyband, newsource, varmetric,
--         extractedsource, image, assocxtrsource (through the lightcurve view).
-- Writes: nothing.
-- Invariant: read-only; every function returns the rows of one dataset. Units: positions deg,
--            position uncertainties arcsec, fluxes Jy, frequencies Hz, V and eta
--            dimensionless, sigma_rms_* in units of the noise.

CREATE OR REPLACE FUNCTION dataset_transient_candidates(p_dataset integer)
RETURNS TABLE (runcat integer, newsource_type smallint, wm_ra double precision,
               wm_decl double precision, trigger_xtrsrc bigint, taustart_ts timestamp,
               freq_eff double precision, f_peak double precision, f_peak_err double precision,
               previous_limits_image integer, sigma_rms_min double precision,
               sigma_rms_max double precision, v_int double precision, eta_int double precision,
               datapoints integer)
LANGUAGE sql STABLE
AS $$
    -- significance against the earlier limits: f_peak of the trigger over rms_min (resp.
    -- rms_max) of the image giving the limit (as varmetric keeps them)
    SELECT rc.id, ns.newsource_type, rc.wm_ra, rc.wm_decl, ns.trigger_xtrsrc, i.taustart_ts,
           i.freq_eff, x.f_peak, x.f_peak_err, ns.previous_limits_image,
           x.f_peak / nullif(p.rms_min, 0), x.f_peak / nullif(p.rms_max, 0),
           vm.v_int, vm.eta_int, rc.datapoints
    FROM runningcatalog rc
    JOIN newsource ns ON ns.runcat = rc.id
    JOIN extractedsource x ON x.id = ns.trigger_xtrsrc
    JOIN image i ON i.id = x.image
    JOIN image p ON p.id = ns.previous_limits_image
    LEFT JOIN varmetric vm ON vm.runcat = rc.id
    WHERE rc.dataset = p_dataset
    ORDER BY x.f_peak / nullif(p.rms_max, 0) DESC NULLS LAST, rc.id
$$;
COMMENT ON FUNCTION dataset_transient_candidates(integer) IS
    'Transient candidates (newsource) of a dataset with their significance above the earlier limits '
    '(sigma_rms_min/max = trigger f_peak over rms_min/rms_max of the limiting image), most significant first.';

CREATE OR REPLACE FUNCTION dataset_variability(p_dataset integer)
RETURNS TABLE (runcat integer, wm_ra double precision, wm_decl double precision,
               datapoints integer, freq_central double precision, v_int double precision,
               eta_int double precision, lightcurve_max double precision,
               lightcurve_avg double precision, lightcurve_median double precision,
               newsource integer)
LANGUAGE sql STABLE
AS $$
    SELECT rc.id, rc.wm_ra, rc.wm_decl, rc.datapoints, fb.freq_central, vm.v_int, vm.eta_int,
           vm.lightcurve_max, vm.lightcurve_avg, vm.lightcurve_median, vm.newsource
    FROM runningcatalog rc
    JOIN varmetric vm ON vm.runcat = rc.id
    LEFT JOIN frequencyband fb ON fb.id = vm.band
    WHERE rc.dataset = p_dataset
    ORDER BY vm.eta_int DESC NULLS LAST, vm.v_int DESC NULLS LAST, rc.id
$$;
COMMENT ON FUNCTION dataset_variability(integer) IS
    'Variability (varmetric: V and eta of the latest measurement''s band, f_int max/mean/median in Jy) '
    'of every lightcurve of a dataset, the most variable (largest eta) first.';

CREATE OR REPLACE FUNCTION dataset_runcat_fluxes(p_dataset integer)
RETURNS TABLE (runcat integer, wm_ra double precision, wm_decl double precision,
               wm_uncertainty_ew double precision, wm_uncertainty_ns double precision,
               datapoints integer, mon_src boolean, band integer, freq_central double precision,
               stokes smallint, f_datapoints integer, avg_f_peak double precision,
               avg_f_int double precision, wmean_f_int double precision,
               wmean_f_int_err double precision, v_int double precision, eta_int double precision,
               v_peak double precision, eta_peak double precision, newsource_type smallint)
LANGUAGE sql STABLE
AS $$
    SELECT rc.id, rc.wm_ra, rc.wm_decl, rc.wm_uncertainty_ew * 3600.0,
           rc.wm_uncertainty_ns * 3600.0, rc.datapoints, rc.mon_src, f.band, fb.freq_central,
           f.stokes, f.f_datapoints, f.avg_f_peak, f.avg_f_int,
           f.avg_weighted_f_int / nullif(f.avg_f_int_weight, 0),
           1.0 / sqrt(nullif(f.f_datapoints * f.avg_f_int_weight, 0)),
           v_index(f.f_datapoints, f.avg_f_int, f.avg_f_int_sq),
           eta_index(f.f_datapoints, f.avg_f_int_weight, f.avg_weighted_f_int, f.avg_weighted_f_int_sq),
           v_index(f.f_datapoints, f.avg_f_peak, f.avg_f_peak_sq),
           eta_index(f.f_datapoints, f.avg_f_peak_weight, f.avg_weighted_f_peak, f.avg_weighted_f_peak_sq),
           ns.newsource_type
    FROM runningcatalog rc
    JOIN runningcatalog_flux f ON f.runcat = rc.id
    JOIN frequencyband fb ON fb.id = f.band
    LEFT JOIN newsource ns ON ns.runcat = rc.id
    WHERE rc.dataset = p_dataset
    ORDER BY rc.id, fb.freq_central, f.stokes
$$;
COMMENT ON FUNCTION dataset_runcat_fluxes(integer) IS
    'The running catalogue of a dataset, one row per lightcurve, band and Stokes: weighted-mean '
    'position (deg) and its uncertainty (arcsec), flux means and weighted mean with its error (Jy), '
    'V and eta of f_int and f_peak in that band, newsource type.';

CREATE OR REPLACE FUNCTION dataset_lightcurves(p_dataset integer)
RETURNS TABLE (runcat integer, xtrsrc bigint, image integer, taustart_ts timestamp,
               band integer, freq_eff double precision, stokes smallint, ra double precision,
               decl double precision, f_peak double precision, f_peak_err double precision,
               f_int double precision, f_int_err double precision, extract_type smallint,
               assoc_type smallint, r double precision, distance_arcsec double precision,
               v_int double precision, eta_int double precision, flux_fraction double precision)
LANGUAGE sql STABLE
AS $$
    SELECT l.runcat, l.xtrsrc, l.image, l.taustart_ts, l.band, l.freq_eff, l.stokes, l.ra,
           l.decl, l.f_peak, l.f_peak_err, l.f_int, l.f_int_err, l.extract_type, l.assoc_type,
           l.r, l.distance_arcsec, l.v_int, l.eta_int, l.flux_fraction
    FROM lightcurve l
    WHERE l.dataset = p_dataset
    ORDER BY l.runcat, l.taustart_ts, l.freq_eff, l.xtrsrc
$$;
COMMENT ON FUNCTION dataset_lightcurves(integer) IS
    'Every measurement of every lightcurve of a dataset (one row per link), in runcat and time '
    'order; fluxes are the measurement''s, flux_fraction the share this lightcurve holds.';
