"""Tables shaped like the public ones practitioners try first, written by code (no downloads).

Each ``write_*`` function writes one file into a folder and returns its path; the values
are seeded and follow the real tables' layout, types and quirks:

- :func:`write_penguins`: palmerpenguins' ``penguins.csv`` (344 rows): text ``species``,
  ``island``, ``sex``; ``NA`` cells (2 rows with no measurements, 11 with no sex).
- :func:`write_mtcars`: R's ``mtcars`` written by ``write.csv``: the first column is the
  car name under an empty header; ``cyl`` has 3 integer values, ``gear`` 3, ``carb`` 6.
- :func:`write_boston`: Boston housing as a ``;``-separated file (optionally with decimal
  commas, as European spreadsheets write it); target ``medv``.
- :func:`write_counts`: an hourly count (0–9) as the target: at most 10 integers.
- :func:`write_imbalanced`: a binary ``churn`` label with 7% positives.
- :func:`write_cities`: a Latin-1 file (``Zürich``, ``São Paulo``, ``Málaga``).
- :func:`write_bom`: a UTF-8 file starting with a byte-order mark (Excel's "CSV UTF-8").
- :func:`write_diamonds`: ``cut``/``color``/``clarity`` categories and a ``price``.

Every table is also returned as a DataFrame by the matching ``*_frame`` function, so a
test can compare what gdlab read with what was written.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

MTCARS_NAMES = [
    "Mazda RX4", "Mazda RX4 Wag", "Datsun 710", "Hornet 4 Drive", "Hornet Sportabout",
    "Valiant", "Duster 360", "Merc 240D", "Merc 230", "Merc 280", "Merc 280C", "Merc 450SE",
    "Merc 450SL", "Merc 450SLC", "Cadillac Fleetwood", "Lincoln Continental",
    "Chrysler Imperial", "Fiat 128", "Honda Civic", "Toyota Corolla", "Toyota Corona",
    "Dodge Challenger", "AMC Javelin", "Camaro Z28", "Pontiac Firebird", "Fiat X1-9",
    "Porsche 914-2", "Lotus Europa", "Ford Pantera L", "Ferrari Dino", "Maserati Bora",
    "Volvo 142E",
]


def penguins_frame(n: int = 344, seed: int = 0) -> pd.DataFrame:
    """Three species with the real tables' means (bill length/depth, flipper, mass)."""
    rng = np.random.default_rng(seed)
    kinds = {  # species: (share, islands, bill_length, bill_depth, flipper, mass)
        "Adelie": (0.44, ["Torgersen", "Biscoe", "Dream"], 38.8, 18.3, 190, 3700),
        "Chinstrap": (0.20, ["Dream"], 48.8, 18.4, 196, 3733),
        "Gentoo": (0.36, ["Biscoe"], 47.5, 15.0, 217, 5076),
    }
    names = list(kinds)
    species = rng.choice(names, size=n, p=[kinds[k][0] for k in names])
    rows = []
    for s in species:
        _, islands, bl, bd, fl, mass = kinds[s]
        rows.append({
            "species": s,
            "island": islands[rng.integers(len(islands))],
            "bill_length_mm": round(rng.normal(bl, 2.8), 1),
            "bill_depth_mm": round(rng.normal(bd, 1.0), 1),
            "flipper_length_mm": round(rng.normal(fl, 6.5)),
            "body_mass_g": int(round(rng.normal(mass, 420), -1)),
            "sex": "male" if rng.random() < 0.5 else "female",
            "year": int(rng.choice([2007, 2008, 2009])),
        })
    frame = pd.DataFrame(rows)
    numeric = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
    frame[numeric] = frame[numeric].astype(object)
    blank = rng.choice(n, size=2, replace=False)  # two birds with no measurements
    frame.loc[blank, [*numeric, "sex"]] = None
    no_sex = rng.choice(np.setdiff1d(np.arange(n), blank), size=9, replace=False)
    frame.loc[no_sex, "sex"] = None
    return frame


def write_penguins(folder: Path, name: str = "penguins.csv", **kw) -> Path:
    """``penguins.csv`` as palmerpenguins ships it: ``NA`` for missing cells."""
    path = Path(folder) / name
    frame = penguins_frame(**kw)
    if path.suffix == ".parquet":
        frame.convert_dtypes().to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False, na_rep="NA")
    return path


def mtcars_frame(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cyl = np.array([6, 6, 4, 6, 8, 6, 8, 4, 4, 6, 6, 8, 8, 8, 8, 8, 8, 4, 4, 4, 4, 8, 8, 8, 8,
                    4, 4, 4, 8, 6, 8, 4])
    wt = np.round(1.5 + 0.45 * cyl / 2 + rng.normal(0, 0.35, 32), 3)
    hp = np.round(20 * cyl + rng.normal(0, 25, 32)).astype(int)
    mpg = np.round(37.2 - 3.9 * wt - 0.03 * hp + rng.normal(0, 2.0, 32), 1)
    return pd.DataFrame({
        "": MTCARS_NAMES, "mpg": mpg, "cyl": cyl,
        "disp": np.round(40 * cyl + rng.normal(0, 30, 32), 1), "hp": hp,
        "drat": np.round(rng.uniform(2.8, 4.9, 32), 2), "wt": wt,
        "qsec": np.round(rng.uniform(14.5, 22.9, 32), 2),
        "vs": (cyl == 4).astype(int), "am": rng.integers(0, 2, 32),
        "gear": rng.choice([3, 4, 5], 32), "carb": rng.choice([1, 2, 3, 4, 6, 8], 32),
    })


def write_mtcars(folder: Path, name: str = "mtcars.csv", **kw) -> Path:
    """``mtcars.csv`` as R's ``write.csv(mtcars)`` writes it: quoted names, empty first header."""
    path = Path(folder) / name
    mtcars_frame(**kw).to_csv(path, index=False, quoting=1)  # csv.QUOTE_ALL, as R does
    return path


def boston_frame(n: int = 506, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rm = rng.normal(6.28, 0.7, n)
    lstat = np.clip(rng.gamma(3.0, 4.2, n), 1.7, 38)
    crim = np.round(rng.lognormal(-1.0, 1.6, n), 5)
    medv = np.clip(np.round(-1.0 + 5.1 * rm - 0.6 * lstat + rng.normal(0, 3.5, n), 1), 5, 50)
    return pd.DataFrame({
        "crim": crim, "zn": rng.choice([0.0, 12.5, 25.0, 80.0], n, p=[0.73, 0.1, 0.1, 0.07]),
        "indus": np.round(rng.uniform(0.5, 27.7, n), 2), "chas": rng.binomial(1, 0.07, n),
        "nox": np.round(rng.uniform(0.385, 0.871, n), 3), "rm": np.round(rm, 3),
        "age": np.round(rng.uniform(2.9, 100, n), 1), "dis": np.round(rng.uniform(1.1, 12.1, n), 4),
        "rad": rng.choice([1, 2, 3, 4, 5, 6, 7, 8, 24], n), "tax": rng.integers(187, 711, n),
        "ptratio": np.round(rng.uniform(12.6, 22.0, n), 1), "lstat": np.round(lstat, 2),
        "medv": medv,
    })


def write_boston(folder: Path, name: str = "boston.csv", *, decimal: str = ".", **kw) -> Path:
    """Boston housing, ``;``-separated (``decimal=","`` writes ``0,00632`` as Excel-de does)."""
    path = Path(folder) / name
    boston_frame(**kw).to_csv(path, index=False, sep=";", decimal=decimal)
    return path


def counts_frame(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """Bikes rented in an hour (0–9) from temperature, humidity and a weekend flag."""
    rng = np.random.default_rng(seed)
    temp = np.round(rng.uniform(-5, 32, n), 1)
    humidity = rng.integers(20, 100, n)
    weekend = rng.random(n) < 2 / 7
    rate = np.exp(0.2 + 0.05 * temp - 0.01 * humidity + 0.5 * weekend)
    return pd.DataFrame({"temp": temp, "humidity": humidity, "weekend": weekend,
                         "rentals": np.minimum(rng.poisson(rate), 9)})


def write_counts(folder: Path, name: str = "rentals.csv", **kw) -> Path:
    path = Path(folder) / name
    counts_frame(**kw).to_csv(path, index=False)
    return path


def imbalanced_frame(n: int = 1000, seed: int = 0, positive: float = 0.07) -> pd.DataFrame:
    """Telecom churn: 7% ``yes``; tenure, monthly charges and contract type."""
    rng = np.random.default_rng(seed)
    churn = rng.random(n) < positive
    tenure = np.where(churn, rng.integers(1, 20, n), rng.integers(1, 72, n))
    charges = np.round(np.where(churn, rng.normal(80, 15, n), rng.normal(60, 20, n)), 2)
    contract = np.where(churn, rng.choice(["month-to-month", "one year"], n, p=[0.9, 0.1]),
                        rng.choice(["month-to-month", "one year", "two year"], n, p=[0.4, 0.3, 0.3]))
    return pd.DataFrame({"customer_id": [f"C{100000 + i}" for i in range(n)], "tenure": tenure,
                         "monthly_charges": charges, "contract": contract,
                         "churn": np.where(churn, "yes", "no")})


def write_imbalanced(folder: Path, name: str = "churn.csv", **kw) -> Path:
    path = Path(folder) / name
    imbalanced_frame(**kw).to_csv(path, index=False)
    return path


def cities_frame() -> pd.DataFrame:
    cities = ["Zürich", "São Paulo", "Málaga", "Montréal", "Kraków", "Reykjavík"]
    cities = [c for c in cities if c.encode("latin-1", errors="ignore").decode("latin-1") == c]
    rng = np.random.default_rng(3)
    n = 60
    city = [cities[i % len(cities)] for i in range(n)]
    rent = np.round([1000 + 150 * cities.index(c) + rng.normal(0, 50) for c in city], 0)
    return pd.DataFrame({"city": city, "rooms": rng.integers(1, 5, n), "rent": rent})


def write_cities(folder: Path, name: str = "rents.csv") -> Path:
    """A Latin-1 (ISO-8859-1) file: ``Zürich`` is the byte 0xFC, not UTF-8's two bytes."""
    path = Path(folder) / name
    cities_frame().to_csv(path, index=False, encoding="latin-1")
    return path


def write_bom(folder: Path, name: str = "bom.csv") -> Path:
    """A UTF-8 file with a byte-order mark, as Excel's "CSV UTF-8" writes it."""
    path = Path(folder) / name
    cities_frame().to_csv(path, index=False, encoding="utf-8-sig")
    return path


def diamonds_frame(n: int = 600, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cuts = ["Fair", "Good", "Very Good", "Premium", "Ideal"]
    colors = list("DEFGHIJ")
    clarity = ["I1", "SI2", "SI1", "VS2", "VS1", "VVS2", "VVS1", "IF"]
    carat = np.round(rng.gamma(2.0, 0.4, n) + 0.2, 2)
    cut = rng.choice(cuts, n)
    color = rng.choice(colors, n)
    clar = rng.choice(clarity, n)
    price = np.round(np.exp(7.8 + 1.7 * np.log(carat) + 0.05 * np.vectorize(cuts.index)(cut)
                            - 0.08 * np.vectorize(colors.index)(color)
                            + 0.1 * np.vectorize(clarity.index)(clar) + rng.normal(0, 0.15, n)))
    return pd.DataFrame({"carat": carat, "cut": cut, "color": color, "clarity": clar,
                         "depth": np.round(rng.normal(61.7, 1.4, n), 1),
                         "table": np.round(rng.normal(57.4, 2.2, n), 0), "price": price.astype(int)})


def write_diamonds(folder: Path, name: str = "diamonds.csv", **kw) -> Path:
    path = Path(folder) / name
    diamonds_frame(**kw).to_csv(path, index=False)
    return path


# --- hostile files: small on disk, huge if read naively ---------------------------------------
def write_ragged_line(folder: Path, name: str = "ragged.csv", mib: int = 32) -> Path:
    """A valid header and row, then one line of ``mib`` MiB holding millions of fields."""
    path = Path(folder) / name
    with open(path, "w") as handle:
        handle.write("a,b,y\n1,2,3\n")
        handle.write("1," * (mib * 2**19) + "1\n")
    return path


def write_huge_cell(folder: Path, name: str = "cell.csv", mib: int = 300) -> Path:
    """One cell of ``mib`` MiB in column ``text`` (a log or a blob pasted into a spreadsheet)."""
    path = Path(folder) / name
    block = b"x" * 2**20
    with open(path, "wb") as handle:
        handle.write(b"a,text,y\n1,")
        for _ in range(mib):
            handle.write(block)
        handle.write(b",3\n")
    return path


def write_nested_parquet(folder: Path, name: str = "nested.parquet") -> Path:
    """A Parquet file whose ``tags`` column holds lists (as JSON exports often do)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(folder) / name
    table = pa.table({"x": [1.0, 2.0, 3.0], "tags": [["a"], ["b", "c"], []], "y": [0, 1, 0]})
    pq.write_table(table, path)
    return path


def write_npz_bomb(folder: Path, name: str = "bomb.npz", gb: float = 2.4) -> Path:
    """A ~2.4 MB ``.npz`` whose ``X.npy`` inflates to ``gb`` GB of zeros.

    The deflate stream is one compressed 16 MiB block of zeros repeated (each ends with a
    full flush, so the copies are identical and independent), then a final empty block:
    built in a second instead of the minute that compressing 2.4 GB would take.
    """
    import struct
    import zipfile
    import zlib

    chunk = 2**24
    n_chunks = int(gb * 1e9) // chunk
    n_values = n_chunks * chunk // 8
    header = _npy_header((n_values // 16, 16))
    first = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = first.compress(header) + first.flush(zlib.Z_FULL_FLUSH)
    body = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = body.compress(bytes(chunk)) + body.flush(zlib.Z_FULL_FLUSH)
    tail = zlib.compressobj(9, zlib.DEFLATED, -15).flush(zlib.Z_FINISH)
    crc = zlib.crc32(header)
    zeros = bytes(chunk)
    for _ in range(n_chunks):
        crc = zlib.crc32(zeros, crc)
    size = len(header) + n_chunks * chunk
    compressed = len(head) + n_chunks * len(block) + len(tail)
    small = _npy_bytes(np.zeros(4))  # y.npy, stored as it is
    members = [  # name, method, crc, compressed size, size, the stored bytes (pieces)
        ("X.npy", zipfile.ZIP_DEFLATED, crc, compressed, size, (head, *[block] * n_chunks, tail)),
        ("y.npy", zipfile.ZIP_STORED, zlib.crc32(small), len(small), len(small), (small,)),
    ]
    path = Path(folder) / name
    with open(path, "wb") as handle:
        offsets = []
        for member, method, data_crc, csize, usize, pieces in members:
            offsets.append(handle.tell())
            handle.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0x21, data_crc,
                                     csize, usize, len(member), 0) + member.encode())
            for piece in pieces:
                handle.write(piece)
        start = handle.tell()
        for (member, method, data_crc, csize, usize, _), offset in zip(members, offsets, strict=True):
            handle.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0x21,
                                     data_crc, csize, usize, len(member), 0, 0, 0, 0, 0, offset)
                         + member.encode())
        end = handle.tell()
        handle.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members),
                                 end - start, start, 0))
    return path


def _npy_header(shape: tuple[int, ...], descr: str = "<f8") -> bytes:
    import io

    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": descr, "fortran_order": False, "shape": shape}
    )
    return buffer.getvalue()


def _npy_bytes(array: np.ndarray) -> bytes:
    import io

    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def write_h5_unrelated_bomb(folder: Path, name: str = "extra.h5", gb: float = 2.5) -> Path:
    """A 2 KB-ish ``.h5`` with small ``X``/``y`` beside a ``gb`` GB gzip dataset never written
    (HDF5 allocates no chunk, so reading it would produce that many fill-value bytes)."""
    import h5py

    path = Path(folder) / name
    rng = np.random.default_rng(0)
    with h5py.File(path, "w") as f:
        f["X"] = rng.normal(size=(20, 3))
        f["y"] = rng.normal(size=20)
        f.create_dataset("junk", shape=(int(gb * 1e9) // 8,), dtype="f8", chunks=(2**20,),
                         compression="gzip")
    return path


def write_h5_bomb(folder: Path, name: str = "bomb.h5", gb: float = 2.5) -> Path:
    """``X`` itself declared as ``gb`` GB of gzip chunks that were never written."""
    import h5py

    path = Path(folder) / name
    with h5py.File(path, "w") as f:
        f.create_dataset("X", shape=(int(gb * 1e9) // 64, 8), dtype="f8", chunks=(2**17, 8),
                         compression="gzip")
        f["y"] = np.zeros(4)
    return path


def write_h5_external(folder: Path, target: Path, name: str = "external.h5") -> Path:
    """``X`` stored as *external raw data*: its bytes are those of ``target``, any local file."""
    import h5py

    path = Path(folder) / name
    n = max(1, Path(target).stat().st_size // 8)
    with h5py.File(path, "w") as f:
        f.create_dataset("X", shape=(n, 1), dtype="f8", external=[(str(target), 0, 8 * n)])
        f["y"] = np.zeros(n)
    return path


def write_h5_virtual(folder: Path, name: str = "virtual.h5") -> Path:
    """``X`` as a virtual dataset mapping another file's data."""
    import h5py

    other = Path(folder) / "source.h5"
    with h5py.File(other, "w") as f:
        f["data"] = np.arange(8.0).reshape(4, 2)
    layout = h5py.VirtualLayout(shape=(4, 2), dtype="f8")
    layout[:] = h5py.VirtualSource(str(other), "data", shape=(4, 2))
    path = Path(folder) / name
    with h5py.File(path, "w") as f:
        f.create_virtual_dataset("X", layout)
        f["y"] = np.zeros(4)
    return path


def write_h5_external_link(folder: Path, name: str = "link.h5") -> Path:
    """``X`` as an external link into another HDF5 file."""
    import h5py

    other = Path(folder) / "elsewhere.h5"
    with h5py.File(other, "w") as f:
        f["X"] = np.ones((4, 2))
    path = Path(folder) / name
    with h5py.File(path, "w") as f:
        f["X"] = h5py.ExternalLink(str(other), "/X")
        f["y"] = np.zeros(4)
    return path


def write_overflow(folder: Path, name: str = "overflow.csv") -> Path:
    """A table with one income of 1e308: finite in float64, ``inf`` in float32."""
    path = Path(folder) / name
    rows = [f"{20000 + 1000 * i},{i % 5},{3.0 + i}" for i in range(30)]
    rows[17] = "1e308,2,20.0"
    path.write_text("income,children,score\n" + "\n".join(rows) + "\n")
    return path
