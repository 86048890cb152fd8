-- 00_sky.sql: sky geometry and statistics helpers shared by the schema and the stages.
--
-- Reads:  nothing (pure functions).
-- Writes: nothing.
-- Invariant: every function is IMMUTABLE and PARALLEL SAFE, so generated columns, indexes and
--            the planner can use them; angles are in degrees unless the name says arcsec.
--            They are plain SQL and not STRICT, so the planner inlines them into the calling
--            query (no per-row function call); the two-valued ones are declared RETURNS TABLE,
--            the form PostgreSQL inlines in a FROM clause (CROSS JOIN LATERAL). Integer counts
--            are cast to double precision before any arithmetic with a decimal literal, which
--            would otherwise run in (slow) numeric.
--
-- Positions are compared in the gnomonic (tangent-plane) frame of a reference position:
-- xi points east, eta north, both in degrees of the projection plane. Near the reference
-- (arcseconds to arcminutes) xi ~ d(RA) cos(Dec) and eta ~ d(Dec), which is what TraP's
-- De Ruiter radius uses, but the frame has no RA wrap and no singularity at the poles.

CREATE OR REPLACE FUNCTION ra_norm(ra double precision)
RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN ra - 360.0 * floor(ra / 360.0) >= 360.0 THEN 0.0
            ELSE ra - 360.0 * floor(ra / 360.0) END;
COMMENT ON FUNCTION ra_norm(double precision) IS
    'Right ascension folded into [0, 360) degrees (a value that rounds to 360 becomes 0).';

CREATE OR REPLACE FUNCTION alpha(theta double precision, decl double precision)
RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN abs(decl) + theta > 89.9 THEN 180.0
            ELSE degrees(abs(atan(sin(radians(theta))
                 / sqrt(abs(cos(radians(decl - theta)) * cos(radians(decl + theta))))))) END;
COMMENT ON FUNCTION alpha(double precision, double precision) IS
    'Half-width in RA (deg) of a circle of radius theta (deg) centred at declination decl (deg); '
    '180 when the circle reaches within 0.1 deg of a pole (TraP alpha(), MSR-TR-2006-52 2.1).';

CREATE OR REPLACE FUNCTION sky_offsets(ra0 double precision, decl0 double precision,
                                       ra double precision, decl double precision)
RETURNS TABLE (xi double precision, eta double precision)
LANGUAGE sql IMMUTABLE PARALLEL SAFE ROWS 1
AS $$
    SELECT degrees(cos(radians(decl)) * sin(radians(ra - ra0)) / c.cosc),
           degrees((cos(radians(decl0)) * sin(radians(decl))
                    - sin(radians(decl0)) * cos(radians(decl)) * cos(radians(ra - ra0))) / c.cosc)
    FROM (SELECT sin(radians(decl0)) * sin(radians(decl))
                 + cos(radians(decl0)) * cos(radians(decl)) * cos(radians(ra - ra0)) AS cosc) c
$$;
COMMENT ON FUNCTION sky_offsets(double precision, double precision, double precision, double precision) IS
    'Gnomonic offsets (xi east, eta north; deg) of (ra, decl) in the tangent plane at (ra0, decl0). '
    'Valid within 90 deg of the reference; no RA wrap, no pole singularity.';

CREATE OR REPLACE FUNCTION sky_shift(ra0 double precision, decl0 double precision,
                                     xi double precision, eta double precision)
RETURNS TABLE (ra double precision, decl double precision)
LANGUAGE sql IMMUTABLE PARALLEL SAFE ROWS 1
AS $$
    -- decl from atan2, not asin: asin loses up to 3 mas within a few mas of a pole.
    -- The trigonometry is computed once in a sub-select (OFFSET 0 keeps the planner from
    -- copying it into every use of the outputs), and ra_norm() then takes a plain value, so
    -- that it is inlined (a costly argument used three times would make it a function call).
    SELECT ra_norm(s.ra), s.decl
    FROM (SELECT ra0 + degrees(atan2(radians(xi),
                                     cos(radians(decl0)) - radians(eta) * sin(radians(decl0)))) AS ra,
                 degrees(atan2(sin(radians(decl0)) + radians(eta) * cos(radians(decl0)),
                               sqrt((cos(radians(decl0)) - radians(eta) * sin(radians(decl0))) ^ 2
                                    + radians(xi) ^ 2))) AS decl
          OFFSET 0) s
$$;
COMMENT ON FUNCTION sky_shift(double precision, double precision, double precision, double precision) IS
    'Inverse of sky_offsets: the position (RA in [0, 360), decl; deg) at gnomonic offsets '
    '(xi, eta; deg) from (ra0, decl0).';

CREATE OR REPLACE FUNCTION zone_height()
RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN 0.1;
COMMENT ON FUNCTION zone_height() IS
    'Height (deg) of the declination zones of the runcat index (runningcatalog.anchor_zone = '
    'floor(decl / zone_height())). Chosen by measurement against 1 deg and 1 arcmin zones.';

CREATE OR REPLACE FUNCTION offset_distance_arcsec(xi double precision, eta double precision)
RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN 3600.0 * degrees(atan(sqrt(radians(xi) ^ 2 + radians(eta) ^ 2)));
COMMENT ON FUNCTION offset_distance_arcsec(double precision, double precision) IS
    'Great-circle separation (arcsec) of a point at gnomonic offsets (xi, eta; deg) from the tangent point.';

CREATE OR REPLACE FUNCTION deruiter(xi double precision, eta double precision,
                                    sigma_ew_1 double precision, sigma_ns_1 double precision,
                                    sigma_ew_2 double precision, sigma_ns_2 double precision)
RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN sqrt(xi ^ 2 / (sigma_ew_1 ^ 2 + sigma_ew_2 ^ 2) + eta ^ 2 / (sigma_ns_1 ^ 2 + sigma_ns_2 ^ 2));
COMMENT ON FUNCTION deruiter(double precision, double precision, double precision, double precision, double precision, double precision) IS
    'Dimensionless De Ruiter radius of two positions separated by gnomonic offsets (xi, eta; deg) '
    'with on-sky 1-sigma uncertainties (deg) east-west and north-south of each.';

-- Variability indices from the running means kept in runningcatalog_flux.
-- n = number of flux points, avg = mean flux, avg_sq = mean of flux^2 (Jy, Jy^2);
-- avg_weight = mean of 1/err^2, avg_weighted = mean of flux/err^2, avg_weighted_sq = mean of flux^2/err^2.

CREATE OR REPLACE FUNCTION v_index(n integer, avg double precision, avg_sq double precision)
RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN n IS NULL OR n <= 1 THEN 0.0
            WHEN avg IS NULL OR avg = 0.0 THEN NULL
            WHEN avg_sq - avg * avg <= 1e-12 * avg_sq THEN 0.0
            ELSE sqrt(n * (avg_sq - avg * avg) / (n - 1)::double precision) / avg END;
COMMENT ON FUNCTION v_index(integer, double precision, double precision) IS
    'Flux coefficient of variation V = sqrt(n/(n-1) (<f^2> - <f>^2)) / <f>. 0 for one point or when the '
    'variance is below rounding (1e-12 of <f^2>), NULL when the mean flux is exactly 0.';

CREATE OR REPLACE FUNCTION eta_index(n integer, avg_weight double precision,
                                     avg_weighted double precision, avg_weighted_sq double precision)
RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN n IS NULL OR n <= 1 OR avg_weight IS NULL OR avg_weight <= 0.0 THEN 0.0
            WHEN avg_weighted_sq - avg_weighted * avg_weighted / avg_weight
                 <= 1e-12 * abs(avg_weighted_sq) THEN 0.0
            ELSE n / (n - 1)::double precision
                 * (avg_weighted_sq - avg_weighted * avg_weighted / avg_weight) END;
COMMENT ON FUNCTION eta_index(integer, double precision, double precision, double precision) IS
    'Reduced chi-square of the fluxes about their weighted mean, eta = n/(n-1) (<w f^2> - <w f>^2/<w>), '
    'w = 1/err^2; 0 for one point and when the scatter is below rounding (1e-12 of <w f^2>), so a '
    'constant lightcurve gives exactly 0 and never a negative value.';

CREATE OR REPLACE FUNCTION running_mean(n integer, avg double precision, value double precision)
RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN (coalesce(n, 0) * coalesce(avg, 0.0) + value) / (coalesce(n, 0) + 1)::double precision;
COMMENT ON FUNCTION running_mean(integer, double precision, double precision) IS
    'Mean of n values with mean avg, plus one more value (n NULL or 0: the value itself).';
