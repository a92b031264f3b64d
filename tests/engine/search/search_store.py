"""Tiny stores for the search tests, built through the Repository's public ingest."""

from __future__ import annotations

import numpy as np
import pandas as pd

from aurorax.engine import DataSource, MetadataField, Repository

GILL_LAT, GILL_LON = 56.376723, -94.643664
FSMI_LAT, FSMI_LON = 60.03, -111.93
APA = ("classified as APA", "classified as not APA", "not classified")
GROUND_SCHEMA = (
    MetadataField("calgary_apa_ml_v1", "string", allowed_values=APA),
    MetadataField("calgary_apa_ml_v1_confidence", "double"),
)
SPACE_SCHEMA = (
    MetadataField("nbtrace_region", "string"),
    MetadataField("orbit_number", "int"),
)
START = pd.Timestamp("2021-12-01T00:00:00")
# One degree of latitude on the 110 km footprint sphere.
KM_PER_DEG = (6371.2 + 110.0) * np.pi / 180.0


def add_sources(repo) -> dict[str, DataSource]:
    """THEMIS ASI GILL and FSMI (ground), Swarm A (leo), THEMIS-D (heo), a substorm list."""
    specs = {
        "gill": DataSource(
            "themis-asi",
            "gillam",
            "panchromatic ASI",
            "ground",
            "THEMIS-ASI GILL",
            ephemeris_metadata_schema=GROUND_SCHEMA,
        ),
        "fsmi": DataSource(
            "themis-asi",
            "fort smith",
            "panchromatic ASI",
            "ground",
            "THEMIS-ASI FSMI",
            ephemeris_metadata_schema=GROUND_SCHEMA,
        ),
        "swarma": DataSource(
            "swarm", "swarma", "footprint", "leo", "Swarm A", ephemeris_metadata_schema=SPACE_SCHEMA
        ),
        "themisd": DataSource(
            "themis",
            "themisd",
            "footprint",
            "heo",
            "THEMIS-D",
            ephemeris_metadata_schema=SPACE_SCHEMA,
        ),
        "onsets": DataSource(
            "events", "substorm list", "substorm onset", "event_list", "Substorm onsets"
        ),
    }
    return {k: repo.add_data_source(v) for k, v in specs.items()}


def ground_frame(
    source: DataSource, lat: float, lon: float, minutes, confidence=None
) -> pd.DataFrame:
    """Ground ephemeris at ``minutes`` after START: fixed site, nbtrace = geo (northern site)."""
    minutes = np.asarray(minutes)
    conf = np.full(minutes.size, 99.0) if confidence is None else np.asarray(confidence, float)
    return pd.DataFrame(
        {
            "data_source": source.identifier,
            "epoch": START + pd.to_timedelta(minutes, unit="min"),
            "geo_lat": lat,
            "geo_lon": lon,
            "nbtrace_lat": lat,
            "nbtrace_lon": lon,
            "sbtrace_lat": -lat,
            "sbtrace_lon": lon,
            "metadata.calgary_apa_ml_v1": np.where(conf >= 50, APA[0], APA[1]),
            "metadata.calgary_apa_ml_v1_confidence": conf,
        }
    )


def space_frame(source: DataSource, minutes, lat, lon, geo_lat=None, orbit=1) -> pd.DataFrame:
    """Spacecraft ephemeris: nbtrace at (lat, lon); geographic position ``geo_lat`` (default lat)."""
    minutes = np.asarray(minutes)
    lat = np.broadcast_to(np.asarray(lat, float), minutes.shape)
    lon = np.broadcast_to(np.asarray(lon, float), minutes.shape)
    geo = lat if geo_lat is None else np.broadcast_to(np.asarray(geo_lat, float), minutes.shape)
    return pd.DataFrame(
        {
            "data_source": source.identifier,
            "epoch": START + pd.to_timedelta(minutes, unit="min"),
            "geo_lat": geo,
            "geo_lon": lon,
            "nbtrace_lat": lat,
            "nbtrace_lon": lon,
            "sbtrace_lat": -lat,
            "sbtrace_lon": lon,
            "metadata.nbtrace_region": "auroral oval",
            "metadata.orbit_number": orbit,
        }
    )


N_MINUTES = 240  # four hours: ground bins are hours, space bins 10 minutes


def _site(rng, edge):
    if edge == "dateline":
        return rng.uniform(55, 70), rng.choice([-1, 1]) * rng.uniform(179.0, 180.0)
    if edge == "pole":
        return rng.uniform(87.0, 89.99), rng.uniform(-180, 180)
    return rng.uniform(50, 70), rng.uniform(-150, -60)


def _wander(rng, sites, edge):
    """A footprint track: per 10 minutes, near a random site or anywhere on the globe."""
    lat, lon = np.empty(N_MINUTES), np.empty(N_MINUTES)
    for b in range(0, N_MINUTES, 10):
        if rng.random() < 0.4:
            s_lat, s_lon = sites[rng.integers(len(sites))]
            lat0, lon0 = s_lat + rng.normal(0, 2), s_lon + rng.normal(0, 4)
        else:
            lat0, lon0 = rng.uniform(-89, 89), rng.uniform(-180, 180)
        k = np.arange(10)
        lat[b : b + 10] = lat0 + rng.uniform(-0.3, 0.3) * (k - 5)
        lon[b : b + 10] = lon0 + rng.uniform(-1, 1) * (k - 5)
    if edge == "pole":
        lon = rng.uniform(-180, 180, N_MINUTES)  # across the pole: longitudes mean little
    lat = np.clip(lat, -89.99, 89.99)
    return lat, (lon + 180.0) % 360.0 - 180.0


def random_store(rng, n_ground: int, n_space: int, n_space2: int, edge: str):
    """An in-memory store of ``N_MINUTES`` minutes: ``n_ground`` THEMIS ASI sites near ``edge``
    (none, dateline, pole), ``n_space`` Swarm and ``n_space2`` THEMIS footprints wandering near
    the sites or anywhere. Returns (repo, site locations, [[ground], [swarm], [themis]], records)."""
    repo = Repository(":memory:")
    sites, blocks, frames = [], [[], [], []], []
    for i in range(n_ground):
        ds = repo.add_data_source(
            DataSource(
                "themis-asi",
                f"site{i}",
                "ASI",
                "ground",
                f"G{i}",
                ephemeris_metadata_schema=GROUND_SCHEMA,
            )  # fmt: skip
        )
        lat, lon = _site(rng, edge)
        sites.append((lat, lon))
        minutes = np.flatnonzero(rng.random(N_MINUTES) > 0.2)[: rng.integers(100, N_MINUTES)]
        conf = np.round(rng.uniform(0, 100, minutes.size), 1)
        frames.append(ground_frame(ds, lat, lon, minutes, conf))
        blocks[0].append(ds)
    for b, (program, n) in enumerate((("swarm", n_space), ("themis", n_space2)), start=1):
        for i in range(n):
            ds = repo.add_data_source(
                DataSource(
                    program,
                    f"{program}{i}",
                    "footprint",
                    "leo",
                    f"{program}{i}",
                    ephemeris_metadata_schema=SPACE_SCHEMA,
                )  # fmt: skip
            )
            lat, lon = _wander(rng, sites, edge)
            minutes = np.flatnonzero(rng.random(N_MINUTES) > 0.1)
            frame = space_frame(ds, minutes, lat[minutes], lon[minutes], geo_lat=lat[minutes])
            lost = rng.random(minutes.size) < 0.05
            frame.loc[lost, ["nbtrace_lat", "nbtrace_lon", "sbtrace_lat", "sbtrace_lon"]] = np.nan
            frames.append(frame)
            blocks[b].append(ds)
    for f in frames:
        repo.ingest_ephemeris(f)
    return repo, sites, blocks, pd.concat(frames, ignore_index=True)
