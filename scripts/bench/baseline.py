"""The two reference points of the benchmark, run on the same images as tkpdb.

* ``WriteFloor``: no matching at all. The simulator's truth says which source each extraction
  belongs to; the floor stores exactly what association stores for that answer (extractions by
  binary COPY, links, new runcats, runcat and flux updates) in one transaction per image.
* ``InMemory``: what the VAST pipeline does. The running catalogue lives in numpy arrays;
  each image is matched with astropy ``search_around_sky`` and a pandas De Ruiter filter with
  TraP's rules (many-to-many pruned to the smallest De Ruiter radius per extraction, one-to-many
  forks, many-to-one appended to every runcat, unmatched extractions start runcats), weighted
  means and flux sums updated in memory, then the same rows written as the floor writes them.
"""

from __future__ import annotations

import bisect

import numpy as np
import pandas as pd
from astropy import units as u
from astropy.coordinates import SkyCoord, search_around_sky

import tkpdb
from tkpdb.ingest import as_columns

from . import writer

N_FLUX = 10  # running sums per band: n-free sums of f, f^2, w, w f, w f^2 for peak and int


class Catalogue:
    """Running catalogue in memory: flat weighted sums (TraP's formulas) and flux sums."""

    def __init__(self, n_bands: int) -> None:
        self.n_bands = n_bands
        self.ids = np.empty(0, np.int64)
        self.n = np.empty(0)
        self.sums = np.empty((0, 6))                 # w_ra, w_decl, w_ra*ra, w_decl*decl, ra_err, decl_err
        self.flux_n = np.empty((0, n_bands))
        self.flux = np.empty((0, n_bands, N_FLUX))
        # variability state per row and band, as association keeps it: sum and largest f_int,
        # and the sorted (f_int, extraction id) keys whose middle is the exact median
        self.f_sum = np.empty((0, n_bands))
        self.f_max = np.empty((0, n_bands))
        self.values: list[list[list[tuple[float, int]]]] = []

    def position(self) -> tuple[np.ndarray, np.ndarray]:
        return self.sums[:, 2] / self.sums[:, 0], self.sums[:, 3] / self.sums[:, 1]

    def sigma(self) -> tuple[np.ndarray, np.ndarray]:
        return self.sums[:, 0] ** -0.5, self.sums[:, 1] ** -0.5

    def append(self, ids: np.ndarray, n: np.ndarray, sums: np.ndarray, flux_n: np.ndarray,
               flux: np.ndarray, parents: np.ndarray | None = None) -> np.ndarray:
        """Add rows: new ones (``parents`` None) or copies of the state of rows ``parents``."""
        first = len(self.ids)
        self.ids = np.concatenate([self.ids, ids])
        self.n = np.concatenate([self.n, n])
        self.sums = np.vstack([self.sums, sums])
        self.flux_n = np.vstack([self.flux_n, flux_n])
        self.flux = np.concatenate([self.flux, flux])
        if parents is None:
            self.f_sum = np.vstack([self.f_sum, np.zeros((len(ids), self.n_bands))])
            self.f_max = np.vstack([self.f_max, np.full((len(ids), self.n_bands), -np.inf)])
            self.values += [[[] for _ in range(self.n_bands)] for _ in range(len(ids))]
        else:
            self.f_sum = np.vstack([self.f_sum, self.f_sum[parents]])
            self.f_max = np.vstack([self.f_max, self.f_max[parents]])
            self.values += [[list(band) for band in self.values[p]] for p in parents]
        return np.arange(first, len(self.ids))

    def drop(self, rows: np.ndarray) -> None:
        keep = np.ones(len(self.ids), bool)
        keep[rows] = False
        for name in ("ids", "n", "sums", "flux_n", "flux", "f_sum", "f_max"):
            setattr(self, name, getattr(self, name)[keep])
        self.values = [v for v, kept in zip(self.values, keep) if kept]


def measurement_terms(cols: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Per extraction: position sums (6) and flux sums (10), as association adds them."""
    unc_ew = np.hypot(cols["ew_sys_err"], cols["error_radius"]) / 3600
    unc_ns = np.hypot(cols["ns_sys_err"], cols["error_radius"]) / 3600
    w_ra, w_decl = unc_ew ** -2, unc_ns ** -2
    ra_err = np.hypot(cols["ra_fit_err"], cols["ew_sys_err"] / 3600 / np.cos(np.radians(cols["decl"])))
    decl_err = np.hypot(cols["decl_fit_err"], cols["ns_sys_err"] / 3600)
    pos = np.column_stack([w_ra, w_decl, w_ra * cols["ra"], w_decl * cols["decl"], ra_err, decl_err])
    flux = []
    for kind in ("peak", "int"):
        f, w = cols[f"f_{kind}"], cols[f"f_{kind}_err"] ** -2
        flux += [f, f * f, w, w * f, w * f * f]
    return pos, np.column_stack(flux)


class _Method:
    """Common part of the floor and the baseline: state, id allocation and the writes."""

    def __init__(self, conn, dataset: int, n_bands: int) -> None:
        self.conn, self.dataset = conn, dataset
        self.cat = Catalogue(n_bands)
        with conn.cursor() as cur:
            writer.prepare(cur)
        conn.commit()

    def _ids(self, cur, sequence: str, n: int) -> np.ndarray:
        if n == 0:
            return np.empty(0, np.int64)
        cur.execute(f"SELECT array_agg(nextval('{sequence}')) FROM generate_series(1, %s)", (n,))
        return np.asarray(cur.fetchone()[0], np.int64)

    def _rows(self, rows: np.ndarray, xtrsrc: np.ndarray | None = None) -> dict[str, np.ndarray]:
        cat = self.cat
        ra, decl = cat.position()
        sig_ew, sig_ns = cat.sigma()
        n = cat.n[rows]
        return dict(
            id=cat.ids[rows], xtrsrc=xtrsrc if xtrsrc is not None else np.zeros(len(rows), np.int64),
            dataset=np.full(len(rows), self.dataset), datapoints=n,
            wm_ra=np.mod(ra[rows], 360.0), wm_decl=decl[rows], wm_uncertainty_ew=sig_ew[rows],
            wm_uncertainty_ns=sig_ns[rows], avg_ra_err=cat.sums[rows, 4] / n,
            avg_decl_err=cat.sums[rows, 5] / n, avg_wra=cat.sums[rows, 2] / n,
            avg_wdecl=cat.sums[rows, 3] / n, avg_weight_ra=cat.sums[rows, 0] / n,
            avg_weight_decl=cat.sums[rows, 1] / n, anchor_ra=np.mod(ra[rows], 360.0),
            anchor_decl=decl[rows])

    def _flux_rows(self, rows: np.ndarray, band: int, band_id: int,
                   latest: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        cat = self.cat
        n = cat.flux_n[rows, band]
        means = cat.flux[rows, band, :] / n[:, None]
        out = dict(runcat=cat.ids[rows], band=np.full(len(rows), band_id),
                   stokes=np.ones(len(rows)), f_datapoints=n)
        for k, name in enumerate(writer.FLUX_COLUMNS[4:14]):
            out[name] = means[:, k]
        lists = [cat.values[r][band] for r in rows]
        lo = [v[(len(v) - 1) // 2] for v in lists]
        hi = [v[len(v) // 2] for v in lists]
        out.update(f_int_count=np.array([len(v) for v in lists]), f_int_sum=cat.f_sum[rows, band],
                   f_int_max=cat.f_max[rows, band],
                   median_lo_f_int=np.array([f for f, _ in lo]), median_lo_xtrsrc=np.array([x for _, x in lo]),
                   median_hi_f_int=np.array([f for f, _ in hi]), median_hi_xtrsrc=np.array([x for _, x in hi]),
                   **latest)
        return out

    def store(self, image: int, band: int, band_id: int, sources, matches: pd.DataFrame) -> None:
        """Write an image whose extraction -> catalogue-row links are ``matches`` (columns j, k,
        r, sep; k = -1 for a new runcat, -2 for a fork of row ``parent``)."""
        cols = as_columns(sources)
        pos, flux = measurement_terms(cols)
        with self.conn.cursor() as cur:
            xtrsrc = np.asarray(tkpdb.insert_extracted_sources(self.conn, image, sources, commit=False))
            cur.execute("SELECT extract(epoch FROM taustart_ts), freq_eff FROM image WHERE id = %s",
                        (image,))
            ts, freq = map(float, cur.fetchone())
            cat = self.cat
            # forks: new rows copying their parent's state (TraP types 2 and 6)
            forks = matches[matches.k == -2]
            fork_rows = cat.append(self._ids(cur, "runningcatalog_id_seq", len(forks)),
                                   cat.n[forks.parent], cat.sums[forks.parent],
                                   cat.flux_n[forks.parent], cat.flux[forks.parent],
                                   parents=forks.parent.to_numpy())
            matches.loc[forks.index, "k"] = fork_rows
            new = matches[matches.k == -1]
            new_rows = cat.append(self._ids(cur, "runningcatalog_id_seq", len(new)), np.zeros(len(new)),
                                  np.zeros((len(new), 6)), np.zeros((len(new), cat.n_bands)),
                                  np.zeros((len(new), cat.n_bands, N_FLUX)))
            matches.loc[new.index, "k"] = new_rows
            j, k = matches.j.to_numpy(), matches.k.to_numpy().astype(np.int64)
            np.add.at(cat.n, k, 1)
            np.add.at(cat.sums, k, pos[j])
            np.add.at(cat.flux_n, (k, band), 1)
            np.add.at(cat.flux, (k, band), flux[j])
            f_int = cols["f_int"]
            np.add.at(cat.f_sum, (k, band), f_int[j])
            np.maximum.at(cat.f_max, (k, band), f_int[j])
            for row, key in zip(k.tolist(), zip(f_int[j].tolist(), xtrsrc[j].tolist())):
                bisect.insort(cat.values[row][band], key)

            inserted = np.concatenate([fork_rows, new_rows])
            first_x = np.concatenate([xtrsrc[forks.j.to_numpy()], xtrsrc[new.j.to_numpy()]])
            updated = np.setdiff1d(k, inserted)
            nflux = cat.flux_n[k, band]
            fmean = cat.flux[k, band, :] / nflux[:, None]
            var = np.maximum(fmean[:, 6] - fmean[:, 5] ** 2, 0.0)
            kinds = np.where(matches.kind.to_numpy() == 4, 4, np.where(matches.kind.to_numpy() == 2, 2, 3))
            writer.write(
                cur,
                new_runcats=self._rows(inserted, first_x),
                updated_runcats=self._rows(updated),
                flux=self._flux_rows(k, band, band_id, dict(
                    latest_ts=np.full(len(k), ts), latest_f_int=f_int[j],
                    latest_freq=np.full(len(k), freq), latest_xtrsrc=xtrsrc[j])),
                links=dict(runcat=cat.ids[k], xtrsrc=xtrsrc[j], type=kinds,
                           distance_arcsec=matches.sep.to_numpy(), r=matches.r.to_numpy(),
                           v_int=np.sqrt(var * nflux / np.maximum(nflux - 1, 1)) / fmean[:, 5],
                           eta_int=np.zeros(len(k)), f_datapoints=nflux,
                           band=np.full(len(k), band_id), stokes=np.ones(len(k)), f_int=f_int[j]))
            if len(forks):
                parents = cat.ids[np.unique(forks.parent.to_numpy())]
                cur.execute("""
                    INSERT INTO assocxtrsource (runcat, xtrsrc, type, distance_arcsec, r, v_int,
                                                eta_int, f_datapoints, band, stokes, f_int)
                    SELECT child.id, a.xtrsrc, 6, a.distance_arcsec, a.r, a.v_int, a.eta_int,
                           a.f_datapoints, a.band, a.stokes, a.f_int
                    FROM unnest(%s::int[], %s::int[]) AS child(id, parent)
                    JOIN assocxtrsource a ON a.runcat = child.parent""",
                            (cat.ids[fork_rows].tolist(), cat.ids[forks.parent.to_numpy()].tolist()))
                cur.execute("DELETE FROM assocxtrsource WHERE runcat = ANY(%s)", (parents.tolist(),))
                cur.execute("DELETE FROM runningcatalog_flux WHERE runcat = ANY(%s)", (parents.tolist(),))
                cur.execute("DELETE FROM runningcatalog WHERE id = ANY(%s)", (parents.tolist(),))
                cat.drop(np.unique(forks.parent.to_numpy()))
        self.conn.commit()


class WriteFloor(_Method):
    """Stores association's output for the known answer: no matching."""

    def __init__(self, conn, dataset: int, n_bands: int, n_sources: int) -> None:
        super().__init__(conn, dataset, n_bands)
        self.row_of_source = np.full(n_sources, -1, np.int64)

    def image(self, image: int, band: int, band_id: int, sources, source_index: np.ndarray) -> None:
        known = self.row_of_source[source_index] >= 0
        matches = pd.DataFrame(dict(j=np.arange(len(source_index)),
                                    k=np.where(known, self.row_of_source[source_index], -1),
                                    r=0.0, sep=0.0, kind=np.where(known, 3, 4), parent=-1))
        first_new = len(self.cat.ids)
        self.store(image, band, band_id, sources, matches)
        new = ~known
        self.row_of_source[source_index[new]] = first_new + np.arange(new.sum())


class InMemory(_Method):
    """VAST-style association in memory (astropy + pandas), then the same writes."""

    def __init__(self, conn, dataset: int, n_bands: int, radius_deg: float,
                 deruiter_radius: float = 5.68) -> None:
        super().__init__(conn, dataset, n_bands)
        self.radius, self.deruiter_radius = radius_deg, deruiter_radius

    def image(self, image: int, band: int, band_id: int, sources) -> None:
        cols = as_columns(sources)
        n = len(cols["ra"])
        cat = self.cat
        pairs = pd.DataFrame(dict(j=np.empty(0, int), k=np.empty(0, int), r=[], sep=[]))
        if len(cat.ids):
            ra, decl = cat.position()
            here = SkyCoord(cols["ra"] * u.deg, cols["decl"] * u.deg)
            there = SkyCoord(ra * u.deg, decl * u.deg)
            j, k, sep, _ = search_around_sky(here, there, self.radius * u.deg)
            sig_ew, sig_ns = cat.sigma()
            unc_ew = np.hypot(cols["ew_sys_err"], cols["error_radius"])[j] / 3600
            unc_ns = np.hypot(cols["ns_sys_err"], cols["error_radius"])[j] / 3600
            dra = (cols["ra"][j] - ra[k]) * np.cos(np.radians((cols["decl"][j] + decl[k]) / 2))
            r = np.sqrt(dra ** 2 / (sig_ew[k] ** 2 + unc_ew ** 2)
                        + (cols["decl"][j] - decl[k]) ** 2 / (sig_ns[k] ** 2 + unc_ns ** 2))
            pairs = pd.DataFrame(dict(j=j, k=k, r=r, sep=sep.arcsec))
            pairs = pairs[pairs.r < self.deruiter_radius]
        # many-to-many: an extraction linked to several runcats that have several links keeps
        # its smallest De Ruiter radius among those
        nj = pairs.groupby("j").j.transform("size")
        nk = pairs.groupby("k").k.transform("size")
        multi = pairs[(nj > 1) & (nk > 1)]
        drop = multi.index.difference(multi.sort_values(["j", "r"]).groupby("j").head(1).index)
        pairs = pairs.drop(drop)
        # one-to-many: a runcat with several links forks into one new runcat per link
        nk = pairs.groupby("k").k.transform("size")
        pairs["kind"] = np.where(nk > 1, 2, 3)
        pairs["parent"] = np.where(nk > 1, pairs.k, -1)
        pairs.loc[nk > 1, "k"] = -2
        unmatched = np.setdiff1d(np.arange(n), pairs.j.to_numpy())
        new = pd.DataFrame(dict(j=unmatched, k=-1, r=0.0, sep=0.0, kind=4, parent=-1))
        matches = pd.concat([pairs, new], ignore_index=True)
        self.store(image, band, band_id, sources, matches)
