"""read_tables: a large campaign's tables read two at a time in threads are exactly those
read one after the other, problems included."""

from __future__ import annotations

import threading
from pathlib import Path

import pandas as pd
import pytest

from evalkit.errors import DataError
from evalkit.load import load_campaign
from evalkit.tables import conversion as tables
from tests.tiny import copy_tiny, edit

ROOT = Path(__file__).resolve().parents[1]
DEMO_TABLES = ("pilots", "standards", "surveys", "inspections", "kpis", "experts")


def _assert_same(threaded: dict[str, tables.LoadedTable], alone: dict[str, tables.LoadedTable]) -> None:
    assert list(threaded) == list(alone)
    for name, table in alone.items():
        pd.testing.assert_frame_equal(threaded[name].frame, table.frame)
        assert (threaded[name].problems, threaded[name].extra_columns) == (table.problems, table.extra_columns)
        assert threaded[name].categorical.keys() == table.categorical.keys()


def test_tables_read_in_threads_equal_those_read_one_after_the_other(monkeypatch: pytest.MonkeyPatch) -> None:
    locations = {name: ROOT / "data" / "demo" / f"{name}.csv" for name in DEMO_TABLES}
    assert all(path.is_file() for path in locations.values())
    alone = tables.read_tables(locations)  # the demo is under THREADED_READ_MIN_BYTES
    monkeypatch.setattr(tables, "THREADED_READ_MIN_BYTES", 0)
    threads = []
    read_table = tables.read_table

    def spy(*arguments: object) -> tables.LoadedTable:
        threads.append(threading.current_thread().name)
        return read_table(*arguments)

    monkeypatch.setattr(tables, "read_table", spy)
    _assert_same(tables.read_tables(locations), alone)
    assert len(threads) == len(DEMO_TABLES) and all(name.startswith("evalkit-read") for name in threads)


def test_sheets_of_a_workbook_and_a_missing_file_read_in_threads_as_one_after_the_other(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    book = tmp_path / "台账.xlsx"
    with pd.ExcelWriter(book) as writer:
        for sheet, name in (("试点", "pilots"), ("标准", "standards")):
            pd.read_csv(ROOT / "data" / "demo" / f"{name}.csv", dtype=str).to_excel(writer, sheet_name=sheet,
                                                                                  index=False)
    locations = {"pilots": f"{book}#试点", "standards": f"{book}#标准", "kpis": tmp_path / "缺失.csv"}
    alone = tables.read_tables(locations)
    monkeypatch.setattr(tables, "THREADED_READ_MIN_BYTES", 0)
    threaded = tables.read_tables(locations)
    assert [p.message for p in alone["kpis"].problems] != []
    _assert_same(threaded, alone)


def test_problems_found_in_a_reading_thread_are_reported_as_without_threads(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    campaign_file = copy_tiny(tmp_path)
    edit(campaign_file.parent / "inspections.csv", "I1,DB31/T 1000-2016,张三,conform,", "I1,DB31/T 1000-2016,张三,maybe,")
    with pytest.raises(DataError) as alone:
        load_campaign(campaign_file)
    monkeypatch.setattr(tables, "THREADED_READ_MIN_BYTES", 0)
    with pytest.raises(DataError) as threaded:
        load_campaign(campaign_file)
    assert threaded.value.problems == alone.value.problems and "maybe" in str(threaded.value)
