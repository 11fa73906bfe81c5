"""Synthetic instances shaped like the Jakarta civil service around the 43rd ASEAN Summit.

:func:`generate_instance` writes a complete instance folder (SPEC §1) for benchmarks,
tests and demos: provincial agencies as units, teams of 5–20, Indonesian-style
NIPs and names, domiciles across Jakarta and Bodetabek, leave spells, requests
and, with the hybrid rules, offices with desks, team days and cover pairs.

Every instance it writes is feasible under SPEC §2. The generator builds a
*witness* schedule alongside the data (everyone in the office except a rotating
half of those allowed home, trimmed until every rule holds) and sizes the desks
from it; team minimums are relaxed where leave would break them, and ``must WFH``
requests are only added where the caps, the team minimum and the weekly office
days still leave room. The same arguments always give byte-identical files.
"""
from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd

WINDOW = (dt.date(2023, 8, 21), dt.date(2023, 10, 21))
SUMMIT = (dt.date(2023, 9, 5), dt.date(2023, 9, 7))
WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# category id, label, default cap and summit cap in percent (None: the phase leaves it alone)
CATEGORIES = (
    ("administrasi", "Layanan administrasi pemerintahan", 50, 75),
    ("dukungan_pimpinan", "Layanan dukungan pimpinan", 50, 75),
    ("layanan_masyarakat", "Layanan masyarakat", 0, None),
)
ADM, DUK, LAY = 0, 1, 2

# Provincial agencies: id, name, main category, relative size. Interleaved so that the
# first few already mix the three categories.
AGENCIES = (
    ("DINKES", "Dinas Kesehatan", LAY, 3.0),
    ("BAPPEDA", "Badan Perencanaan Pembangunan Daerah", ADM, 1.0),
    ("BIROUMUM", "Biro Umum dan Administrasi Sekretariat Daerah", DUK, 1.0),
    ("DISHUB", "Dinas Perhubungan", LAY, 2.5),
    ("INSPEKTORAT", "Inspektorat", ADM, 0.8),
    ("SATPOLPP", "Satuan Polisi Pamong Praja", LAY, 2.5),
    ("BPKD", "Badan Pengelola Keuangan Daerah", ADM, 1.2),
    ("BIROPROKOMPIM", "Biro Protokol dan Komunikasi Pimpinan", DUK, 0.6),
    ("BPBD", "Badan Penanggulangan Bencana Daerah", LAY, 1.0),
    ("BKD", "Badan Kepegawaian Daerah", ADM, 0.8),
    ("GULKARMAT", "Dinas Penanggulangan Kebakaran dan Penyelamatan", LAY, 2.5),
    ("DISKOMINFOTIK", "Dinas Komunikasi, Informatika dan Statistik", ADM, 0.9),
    ("BIROPEM", "Biro Pemerintahan", DUK, 0.5),
    ("DSDA", "Dinas Sumber Daya Air", LAY, 2.0),
    ("BIROHUKUM", "Biro Hukum", ADM, 0.4),
    ("BINAMARGA", "Dinas Bina Marga", LAY, 1.8),
    ("BAPENDA", "Badan Pendapatan Daerah", ADM, 1.5),
    ("SETDPRD", "Sekretariat Dewan Perwakilan Rakyat Daerah", DUK, 0.7),
    ("DLH", "Dinas Lingkungan Hidup", LAY, 2.0),
    ("BPAD", "Badan Pengelola Aset Daerah", ADM, 0.7),
    ("DUKCAPIL", "Dinas Kependudukan dan Pencatatan Sipil", LAY, 1.2),
    ("BPSDM", "Badan Pengembangan Sumber Daya Manusia", ADM, 0.5),
    ("DINSOS", "Dinas Sosial", LAY, 1.2),
    ("BIROORGRB", "Biro Organisasi dan Reformasi Birokrasi", ADM, 0.4),
    ("DPMPTSP", "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu", LAY, 1.0),
    ("BIROPBJ", "Biro Pengadaan Barang dan Jasa", ADM, 0.4),
    ("DKPKP", "Dinas Ketahanan Pangan, Kelautan dan Pertanian", LAY, 1.0),
    ("KESBANGPOL", "Badan Kesatuan Bangsa dan Politik", ADM, 0.4),
    ("BIROKESRA", "Biro Kesejahteraan Rakyat", DUK, 0.4),
    ("DISNAKERTRANSGI", "Dinas Tenaga Kerja, Transmigrasi dan Energi", LAY, 0.9),
    ("DISPAREKRAF", "Dinas Pariwisata dan Ekonomi Kreatif", ADM, 0.7),
    ("DCKTRP", "Dinas Cipta Karya, Tata Ruang dan Pertanahan", LAY, 1.2),
    ("DISPUSIP", "Dinas Perpustakaan dan Kearsipan", ADM, 0.5),
    ("DPRKP", "Dinas Perumahan Rakyat dan Kawasan Permukiman", LAY, 0.8),
    ("BIROPEREKONOMIAN", "Biro Perekonomian dan Keuangan", ADM, 0.4),
    ("DISPORA", "Dinas Pemuda dan Olahraga", ADM, 0.6),
    ("DISBUD", "Dinas Kebudayaan", ADM, 0.6),
    ("DPPAPP", "Dinas Pemberdayaan, Perlindungan Anak dan Pengendalian Penduduk", ADM, 0.6),
    ("DPPKUKM", "Dinas Perindustrian, Perdagangan, Koperasi, Usaha Kecil dan Menengah", ADM, 0.7),
    ("BIROPEMBANGUNAN", "Biro Pembangunan dan Lingkungan Hidup", ADM, 0.4),
)
# the city-level branch offices (Suku Dinas) of the Dinas, by administrative city
CITIES = (("JP", "Jakarta Pusat"), ("JU", "Jakarta Utara"), ("JB", "Jakarta Barat"),
          ("JS", "Jakarta Selatan"), ("JT", "Jakarta Timur"), ("KS", "Kepulauan Seribu"))

# domicile, share of staff, commute range in km (to the offices in central Jakarta)
DOMICILES = (
    ("Jakarta Pusat", 0.07, 2, 10), ("Jakarta Utara", 0.09, 6, 22), ("Jakarta Barat", 0.14, 6, 25),
    ("Jakarta Selatan", 0.14, 5, 22), ("Jakarta Timur", 0.17, 6, 25), ("Bekasi", 0.11, 18, 42),
    ("Depok", 0.09, 20, 40), ("Tangerang", 0.07, 20, 42), ("Tangerang Selatan", 0.07, 18, 36),
    ("Bogor", 0.05, 38, 60),
)

MALE_NAMES = ("Agus", "Ahmad", "Andi", "Ari", "Arief", "Bambang", "Bayu", "Budi", "Dedi", "Denny",
              "Dimas", "Eko", "Fajar", "Fauzi", "Hadi", "Hendra", "Heru", "Ilham", "Imam", "Indra",
              "Irfan", "Joko", "Kurniawan", "Lukman", "Muhammad", "Nanang", "Rahmat", "Rizky", "Rudi",
              "Sigit", "Slamet", "Taufik", "Teguh", "Wahyu", "Yudi", "Yusuf", "Adi", "Bagus", "Dwi",
              "Gilang", "Hafiz", "Iwan", "Reza", "Ridwan", "Satria", "Tri", "Wisnu", "Yoga")
FEMALE_NAMES = ("Anisa", "Ayu", "Dewi", "Dian", "Endang", "Fitri", "Indah", "Intan", "Kartika", "Lestari",
                "Lina", "Maya", "Mega", "Nurul", "Putri", "Ratna", "Rina", "Sari", "Siti", "Sri",
                "Tuti", "Wati", "Wulan", "Yanti", "Yuliana", "Ani", "Citra", "Desi", "Eka", "Fitria",
                "Hana", "Ika", "Irma", "Laila", "Novi", "Nining", "Puspita", "Rahma", "Rini", "Septi",
                "Tika", "Utami", "Vina", "Winda", "Yeni", "Zahra", "Nadia", "Oktaviani")
FAMILY_NAMES = ("Setiawan", "Santoso", "Wijaya", "Saputra", "Hidayat", "Nugroho", "Pratama", "Kusuma",
                "Susanto", "Hartono", "Siregar", "Nasution", "Lubis", "Harahap", "Simanjuntak", "Sitompul",
                "Panjaitan", "Hutapea", "Sembiring", "Ginting", "Tarigan", "Manurung", "Rahayu", "Wulandari",
                "Permatasari", "Purnamasari", "Handayani", "Maharani", "Ramadhan", "Firmansyah", "Gunawan",
                "Kurniasih", "Suryadi", "Sutrisno", "Wibowo", "Prasetyo", "Utomo", "Hakim", "Syahputra",
                "Fadillah", "Hasibuan", "Daulay", "Pohan", "Rangkuti", "Tanjung", "Situmorang", "Pardede",
                "Matondang", "Effendi", "Halim", "Iskandar", "Jaya", "Kartono", "Mulyadi", "Nainggolan",
                "Rusdi", "Sinaga", "Sudrajat", "Suharto", "Sulistyo", "Syamsudin", "Tambunan", "Yulianto",
                "Zulkarnain", "Batubara", "Pangaribuan", "Sihombing", "Marpaung", "Lim", "Tanoto")
DEGREES = ("", "", "", "", ", S.E.", ", S.H.", ", S.Kom.", ", S.Sos.", ", S.T.", ", S.AP.", ", M.Si.",
           ", S.Kep.", ", A.Md.", ", S.Psi.", ", M.M.")

OFFICES_CENTRAL = ("Balai Kota Blok G", "Balai Kota Blok H", "Gedung Dinas Teknis Abdul Muis",
                   "Gedung Dinas Teknis Jatibaru", "Gedung Dinas Kesehatan Jalan Kesehatan",
                   "Gedung DPRD DKI Jakarta")

LEAVE_SHARE = 0.03


# ---------------------------------------------------------------------------- the calendar
def _working_days() -> tuple[list[dt.date], list[dt.date]]:
    """The window's working days (Mon–Fri less Indonesia's national holidays) and the holidays."""
    import holidays

    years = range(WINDOW[0].year, WINDOW[1].year + 2)
    off = sorted(holidays.country_holidays("ID", years=years).keys())
    off_set = set(off)
    days = []
    d = WINDOW[0]
    while d <= WINDOW[1]:
        if d.weekday() < 5 and d not in off_set:
            days.append(d)
        d += dt.timedelta(days=1)
    return days, off


# ---------------------------------------------------------------------------- units and teams
def _unit_catalogue(units: int) -> list[tuple[str, str, int, float, str | None]]:
    """``units`` agencies: the provincial list, then Suku Dinas per city, then numbered UPTs.

    Returns (id, name, category, relative size, city code or None).
    """
    out = [(a, n, c, w, None) for a, n, c, w in AGENCIES[:units]]
    dinas = [a for a in AGENCIES if a[1].startswith("Dinas ")]
    for code, city in CITIES:
        for a, n, c, w in dinas:
            if len(out) >= units:
                return out
            out.append((f"{a}-{code}", f"Suku {n} {city}", c, w / 4, code))
    k = 1
    while len(out) < units:
        for a, n, c, w in AGENCIES:
            if len(out) >= units:
                break
            out.append((f"{a}-UPT{k}", f"Unit Pelaksana Teknis {k} {n}", c, w / 3, None))
        k += 1
    return out


def _unit_office(unit_id: str, main: int, city: str | None) -> str:
    if city is not None:
        return "Kantor Bupati Kepulauan Seribu" if city == "KS" else f"Kantor Wali Kota {dict(CITIES)[city]}"
    base = unit_id.split("-")[0]
    if base == "SETDPRD":
        return "Gedung DPRD DKI Jakarta"
    if base == "DINKES":
        return "Gedung Dinas Kesehatan Jalan Kesehatan"
    if base.startswith("BIRO"):
        return "Balai Kota Blok G"
    if main == LAY:
        return "Gedung Dinas Teknis Abdul Muis" if sum(map(ord, base)) % 2 else "Gedung Dinas Teknis Jatibaru"
    return "Balai Kota Blok H"


def _team_sizes(rng: np.random.Generator, n: int) -> list[int]:
    """Split a unit of ``n`` ≥ 5 people into teams of 5–20."""
    lo, hi = math.ceil(n / 20), n // 5
    k = int(np.clip(round(n / rng.uniform(8, 15)), lo, hi))
    extra = rng.multinomial(n - 5 * k, np.full(k, 1 / k))
    while (extra > 15).any():  # rare: move the overflow to teams with room
        i = int(np.argmax(extra))
        j = int(np.argmin(extra))
        move = min(extra[i] - 15, 15 - extra[j])
        extra[i] -= move
        extra[j] += move
    return list(5 + extra)


# ---------------------------------------------------------------------------- helpers
def _flip_first(wfh: np.ndarray, flippable: np.ndarray, order: np.ndarray, group: np.ndarray,
                starts: np.ndarray, need: np.ndarray) -> None:
    """Send to the office (in place) the first ``need[g]`` flippable members of each group ``g``.

    ``order`` lists employees so that each group is contiguous, starting at ``starts[g]``.
    """
    if not need.any():
        return
    m = flippable[order].astype(np.int64)
    before = np.concatenate(([0], np.cumsum(m)))
    rank = before[1:] - before[starts][group[order]]  # 1-based rank among flippable in group
    hit = (m == 1) & (rank <= need[group[order]])
    wfh[order[hit]] = False


def _grouping(group: np.ndarray, groups: int) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(group, kind="stable")
    counts = np.bincount(group, minlength=groups)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    return order, starts


def _ceil_pct(pct: np.ndarray, count: np.ndarray) -> np.ndarray:
    """``ceil(pct/100 × count)`` in exact integer arithmetic."""
    return -((-pct * count) // 100)


def _fmt_ratio(pct: int) -> str:
    return "" if pct == 0 else f"{pct / 100:.2f}".rstrip("0").rstrip(".")


# ---------------------------------------------------------------------------- the generator
def generate_instance(out_dir, employees: int, units: int, seed: int, *, name: str | None = None,
                      hybrid_rules: bool = True, max_consecutive_wfh: int | None = None,
                      min_wfo_per_week: int | None = 2) -> Path:
    """Write a synthetic, feasible instance folder shaped like Jakarta's provincial civil service.

    The window is 2023-08-21..2023-10-21 with Indonesia's holidays, the three
    categories of SPEC §1 and the summit phase ``puncak-ktt`` (5–7 Sep 2023, caps
    0.75). Units are provincial agencies (then Suku Dinas per city, then numbered
    UPTs), of heavy-tailed sizes, split into teams of 5–20.

    Parameters
    ----------
    out_dir
        The folder to write (created if missing; the instance's files are overwritten).
    employees
        How many employees; at least 5 per unit.
    units
        How many units (agencies).
    seed
        The random seed: the same arguments give byte-identical files.
    name
        The instance's name; default ``sintetis-<employees>-<units>-s<seed>``.
    hybrid_rules
        Also write ``offices.csv`` (desks) and ``pairs.csv`` (cover pairs) and give a
        few administrative units' teams a weekly team day.
    max_consecutive_wfh, min_wfo_per_week
        The optional rules of ``instance.yaml`` (``None`` writes ``null``: off).

    Returns
    -------
    pathlib.Path
        The instance folder.

    Raises
    ------
    ValueError
        If there are fewer than 5 employees per unit or the rule values are out of range.
    """
    return _generate(out_dir, employees, units, seed, name=name, hybrid_rules=hybrid_rules,
                     max_consecutive_wfh=max_consecutive_wfh, min_wfo_per_week=min_wfo_per_week)[0]


def _generate(out_dir, employees: int, units: int, seed: int, *, name: str | None = None,
              hybrid_rules: bool = True, max_consecutive_wfh: int | None = None,
              min_wfo_per_week: int | None = 2) -> tuple[Path, pd.DataFrame]:
    """:func:`generate_instance`, also returning the witness schedule (``nip, date, mode``) that proves it feasible."""
    if units < 1 or employees < 5 * units:
        raise ValueError(f"need at least 5 employees per unit: {employees} employees, {units} units")
    if max_consecutive_wfh is not None and max_consecutive_wfh < 1:
        raise ValueError("max_consecutive_wfh must be at least 1 (or None)")
    if min_wfo_per_week is not None and not 0 <= min_wfo_per_week <= 5:
        raise ValueError("min_wfo_per_week must be between 0 and 5 (or None)")
    rng = np.random.default_rng(seed)
    name = name or f"sintetis-{employees}-{units}-s{seed}"
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    days, holidays_off = _working_days()
    n_days = len(days)
    weekday = np.array([d.weekday() for d in days])
    week_of_day = np.unique([d.isocalendar()[:2] for d in days], axis=0, return_inverse=True)[1].ravel()
    n_weeks = int(week_of_day.max()) + 1
    cap_pct = np.array([[c[3] if (c[3] is not None and SUMMIT[0] <= d <= SUMMIT[1]) else c[2]
                         for d in days] for c in CATEGORIES])  # [category, day]

    # --- units and their sizes (heavy-tailed: relative size × lognormal)
    catalogue = _unit_catalogue(units)
    weight = np.array([u[3] for u in catalogue]) * rng.lognormal(0.0, 0.6, units)
    min_size = min(10, employees // units)
    sizes = min_size + rng.multinomial(employees - min_size * units, weight / weight.sum())

    # --- teams: a secretariat of another category in bigger units, some mixed teams
    team_rows = []            # (team id, unit index, main category)
    emp_unit, emp_team, emp_cat, emp_essential = [], [], [], []
    for u, (uid, _, main, _, _) in enumerate(catalogue):
        tsizes = _team_sizes(rng, int(sizes[u]))
        width = max(2, len(str(len(tsizes))))
        other = ADM if main != ADM else DUK
        for j, ts in enumerate(tsizes):
            t = len(team_rows)
            tcat = other if (j == 0 and len(tsizes) >= 3 and (main != ADM or rng.random() < 0.5)) else main
            team_rows.append((f"{uid}-T{j + 1:0{width}d}", u, tcat))
            cats = np.full(ts, tcat)
            if rng.random() < 0.2:  # a mixed team: a few staff of another category
                k = int(rng.integers(1, min(3, ts - 3) + 1))
                mix = ADM if tcat != ADM else (DUK if main == ADM else LAY)
                cats[ts - k:] = mix
            emp_unit.append(np.full(ts, u))
            emp_team.append(np.full(ts, t))
            emp_cat.append(cats)
    emp_unit = np.concatenate(emp_unit)
    emp_team = np.concatenate(emp_team)
    emp_cat = np.concatenate(emp_cat)
    n_emp = len(emp_unit)
    n_teams = len(team_rows)
    team_unit = np.array([r[1] for r in team_rows])
    team_cat = np.array([r[2] for r in team_rows])
    unit_main = np.array([u[2] for u in catalogue])

    # drivers and security of bureaus and agencies: essential outside the public services
    p_essential = np.where(unit_main[emp_unit] == DUK, 0.08, 0.03)
    emp_essential = (emp_cat != LAY) & (rng.random(n_emp) < p_essential)

    # --- people: sex, NIP, name, domicile, commute
    female = rng.random(n_emp) < 0.45
    nips = _nips(rng, n_emp, female)
    names = _names(rng, n_emp, female)
    dom_p = np.array([d[1] for d in DOMICILES])
    dom = rng.choice(len(DOMICILES), size=n_emp, p=dom_p / dom_p.sum())
    lo = np.array([d[2] for d in DOMICILES])[dom]
    hi = np.array([d[3] for d in DOMICILES])[dom]
    commute = np.clip(np.round(lo + (hi - lo) * rng.beta(2, 2, n_emp), 1), 2, 60)

    # --- leave spells, then who is present when
    leave = _leave(rng, n_emp, days, holidays_off, female)
    present = np.ones((n_emp, n_days), dtype=bool)
    for e, s, length in zip(leave["emp"], leave["first"], leave["days_in"]):
        present[e, s:s + length] = False

    # --- team minimums: by count and/or by ratio, relaxed to what leave leaves present
    present_team = np.stack([np.bincount(emp_team, weights=present[:, d], minlength=n_teams)
                             for d in range(n_days)], axis=1).astype(np.int64)  # [team, day]
    team_size = np.bincount(emp_team, minlength=n_teams)
    kind = rng.random(n_teams)
    min_onsite = np.zeros(n_teams, dtype=np.int64)
    ratio_pct = np.zeros(n_teams, dtype=np.int64)
    public = team_cat == LAY
    ratio_draw = rng.choice([30, 35, 40, 45, 50], size=n_teams)
    count_draw = rng.integers(1, 4, size=n_teams)
    min_onsite[public] = np.minimum(rng.integers(2, 5, size=n_teams), team_size)[public]
    ratio_pct[~public & (kind < 0.45)] = ratio_draw[~public & (kind < 0.45)]
    by_count = ~public & (kind >= 0.45) & (kind < 0.70)
    min_onsite[by_count] = count_draw[by_count]
    both = ~public & (kind >= 0.70) & (kind < 0.88)
    min_onsite[both] = 2
    ratio_pct[both] = 30

    # --- hybrid rules: team days for a few administrative units, cover and together pairs
    team_days_per_week = np.zeros(n_teams, dtype=np.int64)
    team_days = np.full(n_teams, "", dtype=object)
    pairs: list[tuple[int, int, str]] = []
    allowed_home = (~emp_essential) & (cap_pct[emp_cat].max(axis=1) > 0)
    if hybrid_rules:
        adm_units = [u for u in range(units) if unit_main[u] == ADM]
        chosen = sorted(rng.choice(adm_units, size=min(3, len(adm_units)), replace=False).tolist()) if adm_units else []
        for i, u in enumerate(chosen):
            mask = team_unit == u
            team_days_per_week[mask] = 1
            team_days[mask] = ("tue", "wed", "")[i % 3]
        pairs = _pairs(rng, units, emp_unit, emp_team, allowed_home, nips)
    in_team_day_team = team_days_per_week[emp_team] > 0
    paired = np.zeros(n_emp, dtype=bool)
    for a, b, _ in pairs:
        paired[a] = paired[b] = True

    # --- requests (must WFH only where the caps, team minimum and weekly office days leave room)
    unit_cat = emp_unit * len(CATEGORIES) + emp_cat
    n_groups = units * len(CATEGORIES)
    present_group = np.stack([np.bincount(unit_cat, weights=present[:, d], minlength=n_groups)
                              for d in range(n_days)], axis=1).astype(np.int64)
    must_wfh = np.full(n_emp, -1)
    must_wfo = np.full(n_emp, -1)
    requests = _requests(rng, days, weekday, week_of_day, n_weeks, present, present_team, present_group,
                         emp_team, unit_cat, emp_cat, cap_pct, min_onsite, ratio_pct, allowed_home,
                         in_team_day_team | paired, min_wfo_per_week, must_wfh, must_wfo)
    must_wfh_team = np.zeros((n_teams, n_days), dtype=np.int64)
    has = must_wfh >= 0
    np.add.at(must_wfh_team, (emp_team[has], must_wfh[has]), 1)
    # relax count minimums to what is present (less must WFH) on the thinnest day
    min_onsite = np.minimum(min_onsite, (present_team - must_wfh_team).min(axis=1))

    # --- a witness schedule proving feasibility; desks are sized from it
    wfh = _witness(present, allowed_home, emp_cat, cap_pct, emp_team, min_onsite, ratio_pct,
                   unit_cat, n_groups, must_wfh, must_wfo, team_days_per_week, team_days, weekday,
                   week_of_day, n_weeks, pairs, min_wfo_per_week, max_consecutive_wfh)
    office_names = [_unit_office(u[0], u[2], u[4]) for u in catalogue]
    offices_df = None
    if hybrid_rules:
        office_ids = sorted(set(office_names))
        unit_office = np.array([office_ids.index(o) for o in office_names])
        emp_office = unit_office[emp_unit]
        wfo = present & ~wfh
        staff = np.bincount(emp_office, minlength=len(office_ids))
        peak = np.stack([np.bincount(emp_office, weights=wfo[:, d], minlength=len(office_ids))
                         for d in range(n_days)], axis=1).max(axis=1).astype(np.int64)
        share = rng.uniform(0.70, 0.90, len(office_ids))
        margin = np.maximum(2, np.ceil(0.03 * peak)).astype(np.int64)
        desks = np.maximum(peak, np.minimum(staff, np.maximum(np.ceil(share * staff).astype(np.int64),
                                                              peak + margin)))
        keep = staff > 0
        offices_df = pd.DataFrame({"office": np.array(office_ids)[keep], "desks": desks[keep]})

    # --- write the tables
    nip_str = nips
    emp_df = pd.DataFrame({
        "nip": nip_str, "name": names,
        "unit": np.array([u[0] for u in catalogue])[emp_unit],
        "team": np.array([r[0] for r in team_rows])[emp_team],
        "category": np.array([c[0] for c in CATEGORIES])[emp_cat],
        "essential": np.where(emp_essential, "true", "false"),
        "domicile": np.array([d[0] for d in DOMICILES])[dom],
        "commute_km": [f"{x:.1f}" for x in commute],
    })
    if hybrid_rules:
        emp_df["office"] = np.array(office_names)[emp_unit]
    teams_df = pd.DataFrame({
        "team": [r[0] for r in team_rows], "unit": [catalogue[r[1]][0] for r in team_rows],
        "min_onsite": [str(m) if m else "" for m in min_onsite],
        "min_onsite_ratio": [_fmt_ratio(int(p)) for p in ratio_pct],
    })
    if hybrid_rules:
        teams_df["team_days_per_week"] = [str(k) if k else "" for k in team_days_per_week]
        teams_df["team_days"] = team_days
    leave_df = pd.DataFrame({"nip": nip_str[leave["emp"]], "start": leave["start"], "end": leave["end"],
                             "type": leave["type"]})
    req_df = pd.DataFrame(requests, columns=["emp", "date", "mode", "strength", "weight"])
    req_df.insert(0, "nip", nip_str[req_df.pop("emp").to_numpy(dtype=np.int64)])

    _write_csv(emp_df, out / "employees.csv")
    _write_csv(teams_df, out / "teams.csv")
    _write_csv(leave_df, out / "leave.csv")
    _write_csv(req_df, out / "requests.csv")
    tables = ["employees", "teams", "leave", "requests"]
    for extra in ("offices", "pairs"):
        (out / f"{extra}.csv").unlink(missing_ok=True)  # the loader would find stale ones
    if hybrid_rules:
        _write_csv(offices_df, out / "offices.csv")
        _write_csv(pd.DataFrame({"nip_a": [nip_str[a] for a, _, _ in pairs],
                                 "nip_b": [nip_str[b] for _, b, _ in pairs],
                                 "rule": [r for _, _, r in pairs]}), out / "pairs.csv")
        tables += ["offices", "pairs"]
    (out / "instance.yaml").write_text(_yaml(name, employees, units, seed, hybrid_rules,
                                             max_consecutive_wfh, min_wfo_per_week, tables), encoding="utf-8")
    modes = np.where(present, np.where(wfh, "WFH", "WFO"), "LEAVE")
    witness = pd.DataFrame({"nip": np.repeat(nip_str, n_days), "date": np.tile(np.array(days), n_emp),
                            "mode": modes.ravel()})
    return out, witness


# ---------------------------------------------------------------------------- people
def _nips(rng: np.random.Generator, n: int, female: np.ndarray) -> np.ndarray:
    """18-digit NIPs: birth date yyyymmdd, appointment yyyymm, sex digit, 3-digit serial."""
    birth_year = rng.integers(1966, 2001, n)
    birth = birth_year * 10000 + rng.integers(1, 13, n) * 100 + rng.integers(1, 29, n)
    appointed_year = np.minimum(birth_year + rng.integers(21, 34, n), 2023)
    appointed = appointed_year * 100 + rng.choice([1, 2, 3, 4, 12], size=n)
    appointed = np.where(appointed > 202306, 202303, appointed)
    prefix = (birth.astype(np.int64) * 1_000_000 + appointed) * 10 + np.where(female, 2, 1)
    s = pd.Series(prefix)
    base = pd.Series(rng.integers(1, 900, n)).groupby(s).transform("first").to_numpy()
    serial = base + s.groupby(s).cumcount().to_numpy()
    return (prefix * 1000 + serial).astype(str)


def _names(rng: np.random.Generator, n: int, female: np.ndarray) -> np.ndarray:
    """Generated Indonesian-looking names (random combinations, no real person's data)."""
    male_first = np.array(MALE_NAMES)[rng.integers(0, len(MALE_NAMES), n)]
    female_first = np.array(FEMALE_NAMES)[rng.integers(0, len(FEMALE_NAMES), n)]
    first = np.where(female, female_first, male_first)
    family = np.array(FAMILY_NAMES)[rng.integers(0, len(FAMILY_NAMES), n)]
    middle_pool = np.where(female, np.array(FEMALE_NAMES)[rng.integers(0, len(FEMALE_NAMES), n)],
                           np.array(MALE_NAMES)[rng.integers(0, len(MALE_NAMES), n)])
    with_middle = (rng.random(n) < 0.3) & (middle_pool != first)
    middle = np.where(with_middle, np.char.add(middle_pool.astype(str), " "), "")
    degree = np.array(DEGREES)[rng.integers(0, len(DEGREES), n)]
    return np.char.add(np.char.add(np.char.add(np.char.add(first.astype(str), " "), middle), family), degree)


def _leave(rng: np.random.Generator, n_emp: int, days: list[dt.date], holidays_off: list[dt.date],
           female: np.ndarray) -> dict:
    """Leave spells covering about 3% of employee-working-days, none overlapping.

    Spells start on a working day of the window; lengths are in working days and
    may run past the window's end.
    """
    n_days = len(days)
    target = LEAVE_SHARE * n_emp * n_days
    pool = int(target / 2.0) + 10
    emp = rng.integers(0, n_emp, pool)
    first = rng.integers(0, n_days, pool)
    kind = rng.random(pool)
    length = np.select(
        [kind < 0.30, kind < 0.50, kind < 0.68, kind < 0.78, kind < 0.90, kind < 0.97, kind < 0.995],
        [1, 2, 3, 4, 5, rng.integers(6, 11, pool), rng.integers(11, 23, pool)],
        rng.integers(40, 67, pool))
    # drop spells overlapping an earlier one of the same employee
    df = pd.DataFrame({"emp": emp, "first": first, "length": length, "rank": np.arange(pool)})
    df = df.sort_values(["emp", "first", "rank"], kind="stable")
    last = df["first"] + df["length"] - 1
    prev_end = last.groupby(df["emp"]).cummax().groupby(df["emp"]).shift(1).fillna(-1)
    df = df[df["first"] > prev_end].sort_values("rank", kind="stable")
    df["days_in"] = np.minimum(df["length"], n_days - df["first"])
    df = df[df["days_in"].cumsum() <= target]
    df = df.sort_values(["emp", "first"], kind="stable")
    # calendar dates: the first and last working day of each spell
    day64 = np.array(days, dtype="datetime64[D]")
    hol = np.array(holidays_off, dtype="datetime64[D]")
    start = day64[df["first"].to_numpy()]
    end = np.busday_offset(start, df["length"].to_numpy() - 1, roll="forward", holidays=hol)
    length = df["length"].to_numpy()
    r = rng.random(len(df))
    is_female = female[df["emp"].to_numpy()]
    kind = np.where(length >= 30, np.where(is_female, "cuti_melahirkan", "cuti_besar"),
                    np.where(length >= 6, np.where(r < 0.6, "cuti_sakit", np.where(r < 0.75, "cuti_besar",
                                                                                     "cuti_tahunan")),
                             np.where(r < 0.7, "cuti_tahunan", np.where(r < 0.92, "cuti_sakit",
                                                                        "cuti_alasan_penting"))))
    return {"emp": df["emp"].to_numpy(), "first": df["first"].to_numpy(),
            "days_in": df["days_in"].to_numpy(), "start": start.astype(str), "end": end.astype(str),
            "type": kind}


def _pairs(rng: np.random.Generator, units: int, emp_unit: np.ndarray, emp_team: np.ndarray,
           allowed_home: np.ndarray, nips: np.ndarray) -> list[tuple[int, int, str]]:
    """Cover pairs (unit head and deputy) in about a quarter of the units, and one together pair.

    The head and deputy are the unit's two most senior (earliest-born) staff who may work from home.
    """
    pairs: list[tuple[int, int, str]] = []
    used = np.zeros(len(emp_unit), dtype=bool)
    n_cover = max(1, min(units, round(units / 4)))
    for u in sorted(rng.choice(units, size=n_cover, replace=False).tolist()):
        candidates = np.flatnonzero((emp_unit == u) & allowed_home)
        if len(candidates) >= 2:
            a, b = (int(c) for c in candidates[np.argsort(nips[candidates], kind="stable")[:2]])
            pairs.append((a, b, "cover"))
            used[a] = used[b] = True
    # two colleagues of one team who share a car: always the same mode
    for t in rng.permutation(int(emp_team.max()) + 1):
        candidates = np.flatnonzero((emp_team == t) & allowed_home & ~used)
        if len(candidates) >= 4:
            pairs.append((int(candidates[-2]), int(candidates[-1]), "together"))
            break
    return pairs


def _requests(rng, days, weekday, week_of_day, n_weeks, present, present_team, present_group, emp_team,
              unit_cat, emp_cat, cap_pct, min_onsite, ratio_pct, allowed_home, no_must_wfh,
              min_wfo_per_week, must_wfh, must_wfo) -> list[tuple]:
    """Prefer requests (weekday WFH, dated WFO or WFH) and a few musts, each kept satisfiable.

    Fills ``must_wfh`` / ``must_wfo`` (the day index per employee, -1 for none).
    """
    n_emp, n_days = present.shape
    rows: list[tuple] = []
    home = np.flatnonzero(allowed_home)
    # prefer WFH on a weekday (Friday or Monday mostly)
    who = home[rng.random(len(home)) < 0.07]
    wd = rng.choice(["fri", "mon", "wed", "tue", "thu"], size=len(who), p=[0.45, 0.3, 0.1, 0.08, 0.07])
    for e, d, w in zip(who, wd, rng.integers(1, 4, len(who))):
        rows.append((int(e), str(d), "WFH", "prefer", int(w)))
    # prefer a dated day: at home (family matters) or in the office (a meeting)
    for mode, share in (("WFH", 0.03), ("WFO", 0.03)):
        who = home[rng.random(len(home)) < share]
        for e, d, w in zip(who, rng.integers(0, n_days, len(who)), rng.integers(1, 4, len(who))):
            rows.append((int(e), days[d].isoformat(), mode, "prefer", int(w)))
    # must WFO: a dated meeting or duty
    who = rng.choice(n_emp, size=max(1, round(0.004 * n_emp)), replace=False)
    for e in who:
        pd_ = np.flatnonzero(present[e])
        if len(pd_):
            d = int(rng.choice(pd_))
            must_wfo[e] = d
            rows.append((int(e), days[d].isoformat(), "WFO", "must", 1))
    # must WFH: an appointment at home, only where every rule keeps room for it
    must_team = np.zeros_like(present_team)
    must_group = np.zeros_like(present_group)
    candidates = np.flatnonzero(allowed_home & ~no_must_wfh & (must_wfo < 0))
    k = min(len(candidates), max(2, round(0.003 * n_emp)))
    for e in rng.choice(candidates, size=k, replace=False) if k else []:
        d = int(rng.integers(0, n_days))
        if not present[e, d]:
            continue
        t, g = emp_team[e], unit_cat[e]
        if must_team[t, d] >= 1:
            continue
        cap_room = (cap_pct[emp_cat[e], d] * present_group[g, d]) // 100 - must_group[g, d]
        at_home_team = present_team[t, d] - must_team[t, d] - 1
        need = max(min_onsite[t], int(_ceil_pct(ratio_pct[t], present_team[t, d])))
        week_days = np.flatnonzero(week_of_day == week_of_day[d])
        p_week = int(present[e, week_days].sum())
        weekly_ok = min_wfo_per_week is None or p_week - 1 >= min(min_wfo_per_week, p_week)
        if cap_room >= 1 and at_home_team >= need and weekly_ok:
            must_wfh[e] = d
            must_team[t, d] += 1
            must_group[g, d] += 1
            rows.append((int(e), days[d].isoformat(), "WFH", "must", 1))
    rows.sort(key=lambda r: (r[0], r[1], r[2], r[3]))
    return rows


# ---------------------------------------------------------------------------- the witness
def _witness(present, allowed_home, emp_cat, cap_pct, emp_team, min_onsite, ratio_pct, unit_cat, n_groups,
             must_wfh, must_wfo, team_days_per_week, team_days, weekday, week_of_day, n_weeks, pairs,
             min_wfo_per_week, max_consecutive_wfh) -> np.ndarray:
    """A schedule keeping every rule of SPEC §2 but the desks; returns ``wfh[employee, day]``.

    Half of those allowed home are at home on alternate days; then only WFH→WFO
    changes follow (caps, team minimums, weekly office days, runs), and each such
    change keeps the rules already met.
    """
    n_emp, n_days = present.shape
    n_teams = len(min_onsite)
    days_idx = np.arange(n_days)
    is_must = np.zeros((n_emp, n_days), dtype=bool)
    has = must_wfh >= 0
    is_must[np.flatnonzero(has), must_wfh[has]] = True
    parity = np.arange(n_emp) % 2
    home = allowed_home.copy()
    for a, b, rule in pairs:
        home[b] = False               # cover: the deputy stays in; together: both stay in
        if rule == "together":
            home[a] = False
    wfh = home[:, None] & (cap_pct[emp_cat] > 0) & present & (((days_idx[None, :] + parity[:, None]) % 2) == 0)
    has_wfo = must_wfo >= 0
    wfh[np.flatnonzero(has_wfo), must_wfo[has_wfo]] = False
    # team days: the listed weekday (else Wednesday, else the week's first working day) all on site
    for t in np.flatnonzero(team_days_per_week > 0):
        for w in range(n_weeks):
            wdays = np.flatnonzero(week_of_day == w)
            listed = [d for d in wdays if WEEKDAY_NAMES[weekday[d]] in str(team_days[t]).split()]
            pick = listed or [d for d in wdays if weekday[d] == 2] or list(wdays)
            for d in pick[:team_days_per_week[t]]:
                wfh[emp_team == t, d] = False
    # the present working day before a must WFH is at the office, so no run can reach it
    for e in np.flatnonzero(has):
        before = np.flatnonzero(present[e, :must_wfh[e]])
        if len(before):
            wfh[e, before[-1]] = False
    wfh |= is_must & present

    team_order, team_starts = _grouping(emp_team, n_teams)
    group_order, group_starts = _grouping(unit_cat, n_groups)
    group_cat = np.arange(n_groups) % cap_pct.shape[0]
    for d in range(n_days):
        col = wfh[:, d]
        free = col & ~is_must[:, d]
        p_group = np.bincount(unit_cat, weights=present[:, d], minlength=n_groups).astype(np.int64)
        w_group = np.bincount(unit_cat, weights=col, minlength=n_groups).astype(np.int64)
        limit = (cap_pct[group_cat, d] * p_group) // 100
        _flip_first(col, free, group_order, unit_cat, group_starts, np.maximum(0, w_group - limit))
        free = col & ~is_must[:, d]
        p_team = np.bincount(emp_team, weights=present[:, d], minlength=n_teams).astype(np.int64)
        w_team = np.bincount(emp_team, weights=col, minlength=n_teams).astype(np.int64)
        need = np.maximum(min_onsite, _ceil_pct(ratio_pct, p_team))
        _flip_first(col, free, team_order, emp_team, team_starts, np.maximum(0, need - (p_team - w_team)))
        wfh[:, d] = col
    if min_wfo_per_week:
        for w in range(n_weeks):
            wdays = np.flatnonzero(week_of_day == w)
            p = present[:, wdays].sum(axis=1)
            deficit = np.minimum(min_wfo_per_week, p) - (present[:, wdays] & ~wfh[:, wdays]).sum(axis=1)
            for d in wdays:
                flip = (deficit > 0) & wfh[:, d] & ~is_must[:, d]
                wfh[flip, d] = False
                deficit -= flip
    if max_consecutive_wfh:
        run = np.zeros(n_emp, dtype=np.int64)
        for d in range(n_days):
            flip = present[:, d] & wfh[:, d] & ~is_must[:, d] & (run >= max_consecutive_wfh)
            wfh[flip, d] = False
            run = np.where(present[:, d], np.where(wfh[:, d], run + 1, 0), run)
    return wfh & present


# ---------------------------------------------------------------------------- writing
def _write_csv(df: pd.DataFrame, path: Path) -> None:
    path.write_text(df.to_csv(index=False, lineterminator="\n"), encoding="utf-8")


def _yaml(name, employees, units, seed, hybrid_rules, max_consecutive_wfh, min_wfo_per_week, tables) -> str:
    def rule(v):
        return "null" if v is None else str(v)

    cats = "\n".join(f"  {cid + ':':<20}{{label: {label}, max_wfh: {cap / 100:.2f}}}"
                     for cid, label, cap, _ in CATEGORIES)
    summit = ", ".join(f"{cid}: {s / 100:.2f}" for cid, _, _, s in CATEGORIES if s is not None)
    table_map = ", ".join(f"{t}: {t}.csv" for t in tables)
    return (
        f"# Synthetic instance written by giliran's generator (models/generate.py):\n"
        f"# {employees} employees, {units} units, seed {seed}, hybrid rules {'on' if hybrid_rules else 'off'}.\n"
        f"name: {name}\n"
        f"window: {{start: {WINDOW[0]}, end: {WINDOW[1]}}}\n"
        f"workdays: [mon, tue, wed, thu, fri]\n"
        f"holidays: {{country: ID}}\n"
        f"extra_days_off: []\n"
        f"categories:\n{cats}\n"
        f"phases:\n"
        f"  - {{name: puncak-ktt, start: {SUMMIT[0]}, end: {SUMMIT[1]}, max_wfh: {{{summit}}}}}\n"
        f"cap_scope: unit\n"
        f"rules:\n"
        f"  max_consecutive_wfh: {rule(max_consecutive_wfh)}\n"
        f"  min_wfo_per_week: {rule(min_wfo_per_week)}\n"
        f"objective: [wfh, fairness, preferences]\n"
        f"tables: {{{table_map}}}\n"
    )
